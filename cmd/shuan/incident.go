package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/shuan-dev/shuan/incident"
)

func init() {
	register(command{name: "incident grade", summary: "grade an incident and show its reporting clocks (事件分级) [FILE]", run: runIncidentGrade})
	register(command{name: "incident table", summary: "print the incident grading table with [C]/[P]/[U] flags", run: runIncidentTable})
}

// gradeInput is the JSON description `shuan incident grade` reads.
type gradeInput struct {
	incident.Facts
	// Discovered is when the incident was discovered (RFC 3339); default now.
	Discovered time.Time `json:"discovered"`
	// Resolved, when set, starts the summary-report clock.
	Resolved time.Time `json:"resolved"`
}

// gradeOutput is the --json document of `shuan incident grade`.
type gradeOutput struct {
	Facts   incident.Facts   `json:"facts"`
	Grading incident.Grading `json:"grading"`
	Clocks  []clockOut       `json:"clocks"`
}

type clockOut struct {
	incident.Clock
	RemainingSeconds int64 `json:"remaining_seconds"`
	Overdue          bool  `json:"overdue"`
}

func loadIncidentConfig(path string) (*incident.Config, error) {
	var data []byte
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read incident config: %w", err)
		}
		data = b
	}
	return incident.ParseConfig(data)
}

func runIncidentGrade(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident grade")
	asJSON := fs.Bool("json", false, "write JSON to stdout")
	cfgPath := fs.String("config", "", "incident configuration `FILE` (default: built-in table)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: shuan incident grade [--json] [--config FILE] [FILE|-]")
		fmt.Fprintln(env.Stderr, `Reads {"data_level","threat","pi","sensitive_pi","outage_hours","loss_cny","discovered","resolved"} as JSON`)
		fmt.Fprintln(env.Stderr, "(from FILE or stdin) and prints the emergency-plan level, the criteria met and the reporting clocks.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadIncidentConfig(*cfgPath)
	if err != nil {
		return err
	}
	var r io.Reader = env.Stdin
	if p := fs.Arg(0); p != "" && p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("open facts: %w", err)
		}
		defer f.Close()
		r = f
	}
	var in gradeInput
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("%w: read facts: %v", errUsage, err)
	}
	now := time.Now().UTC()
	if in.Discovered.IsZero() {
		in.Discovered = now
	}
	inc := &incident.Incident{Discovered: in.Discovered, Resolved: in.Resolved, Facts: in.Facts, Grading: cfg.Grade(in.Facts)}
	out := gradeOutput{Facts: in.Facts, Grading: inc.Grading}
	for _, c := range cfg.ClocksFor(inc) {
		out.Clocks = append(out.Clocks, clockOut{Clock: c, RemainingSeconds: int64(c.Remaining(now) / time.Second), Overdue: c.Overdue(now)})
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	w := env.Stdout
	g := out.Grading
	flag := ""
	if g.Unconfirmed {
		flag = "  [依据未确认 unconfirmed]"
	}
	fmt.Fprintf(w, "事件级别 level: %s (%s), 预警 warning: %s%s\n", g.LevelZH, g.Level, incident.ColourZH(g.Warning), flag)
	for _, m := range g.Met {
		fmt.Fprintf(w, "  满足 met: %-12s %s (value %s) [%s] %s\n", m.Criterion, m.Threshold, m.Value, m.Flag, m.Basis)
	}
	fmt.Fprintln(w, "报告时限 clocks:")
	for _, c := range out.Clocks {
		switch {
		case c.Pending:
			fmt.Fprintf(w, "  %-36s pending (starts on resolution) [%s]\n", c.Name, c.Flag)
		case c.Overdue:
			fmt.Fprintf(w, "  %-36s due %s — overdue by %s [%s]\n", c.Name, c.Due.Format(time.RFC3339), (-c.Remaining(now)).Round(time.Second), c.Flag)
		default:
			fmt.Fprintf(w, "  %-36s due %s — %s left [%s]\n", c.Name, c.Due.Format(time.RFC3339), c.Remaining(now).Round(time.Second), c.Flag)
		}
	}
	return nil
}

func runIncidentTable(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident table")
	asJSON := fs.Bool("json", false, "write the configuration as JSON")
	cfgPath := fs.String("config", "", "incident configuration `FILE` (default: built-in table)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadIncidentConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(cfg)
	}
	w := env.Stdout
	fmt.Fprintln(w, "事件分级表 grading table (any one criterion suffices; C confirmed, P partly, U unconfirmed)")
	for _, b := range cfg.Grading {
		fmt.Fprintf(w, "\n%s (%s), 预警 %s\n", b.NameZH, b.Level, incident.ColourZH(b.Warning))
		if len(b.Criteria) == 0 {
			fmt.Fprintf(w, "  below the bands above [%s] %s\n", b.Flag, b.Basis)
		}
		for _, c := range b.Criteria {
			th := "≥ " + strconv.FormatFloat(c.Min, 'f', -1, 64)
			if c.Criterion == incident.CriterionDataLevel {
				th = fmt.Sprint(c.Levels)
				if c.Threat != "" {
					th += " + " + c.Threat + " threat"
				}
			}
			fmt.Fprintf(w, "  %-13s %-30s [%s] %s\n", c.Criterion, th, c.Flag, c.Basis)
		}
		for _, c := range cfg.Clocks[b.Level] {
			fmt.Fprintf(w, "  clock: %-30s %s from %s [%s]\n", c.Name, c.After, c.From, c.Flag)
		}
	}
	return nil
}
