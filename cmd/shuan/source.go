package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/node"
	"github.com/shuan-dev/shuan/scan"
)

func init() {
	register(command{name: "source add", summary: "register a data source at an enterprise node (password sealed with SM4)", run: runSourceAdd})
	register(command{name: "source list", summary: "list the registered data sources and their last scan", run: runSourceList})
	register(command{name: "source remove", summary: "remove a data source with its scans and reviews", run: runSourceRemove})
	register(command{name: "source scan", summary: "scan a registered data source and store the result", run: runSourceScan})
	register(command{name: "source confirm", summary: "confirm or override one column's label, with a reason", run: runSourceConfirm})
	register(command{name: "source results", summary: "write a source's latest scan with confirmed labels", run: runSourceResults})
}

func runSourceAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source add")
	dir := dataFlag(fs)
	name := fs.String("name", "", "data source name (required)")
	loc := fs.String("url", "", "postgres://user@host:port/db, mysql://user@host:port/db, sqlite:PATH or a file or directory (required)")
	pwFile := fs.String("password-file", "", "read the source password from `FILE`")
	pwStdin := fs.Bool("password-stdin", false, "read the source password from the first line of stdin")
	sample := fs.Int("sample", 0, "rows sampled per table (0: the scan default)")
	industry := fs.String("industry", "", "industry key or GB/T 4754 code for industry rules (default: the node's industry)")
	var include, exclude listFlag
	fs.Var(&include, "include", "file `GLOB` to include (repeatable)")
	fs.Var(&exclude, "exclude", "file or directory `GLOB` to exclude (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *loc == "" {
		return fmt.Errorf("%w: --name and --url are required", errUsage)
	}
	if *pwFile != "" && *pwStdin {
		return fmt.Errorf("%w: give --password-file or --password-stdin, not both", errUsage)
	}
	var pw string
	switch {
	case *pwFile != "":
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("read password file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	case *pwStdin:
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	src, err := r.AddSource(ctx, shuan.User{}, *name, *loc, pw, node.SourceOptions{
		Sample: *sample, Include: include, Exclude: exclude, Industry: *industry,
	})
	if err != nil {
		return err
	}
	sealed := ""
	if src.Secret != nil {
		sealed = " (password sealed)"
	}
	fmt.Fprintf(env.Stdout, "added %s: %s %s%s\n", src.Name, src.Kind, src.Location, sealed)
	return nil
}

// sourceRow is one line of `shuan source list --json`.
type sourceRow struct {
	node.Source
	LastScan *node.ScanRecord `json:"last_scan,omitempty"`
}

func runSourceList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source list")
	dir := dataFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	srcs, err := r.Sources(ctx)
	if err != nil {
		return err
	}
	rows := make([]sourceRow, 0, len(srcs))
	for _, s := range srcs {
		row := sourceRow{Source: s}
		last, err := r.Scans(ctx, node.ScanFilter{SourceID: s.ID, Limit: 1})
		if err != nil {
			return err
		}
		if len(last) > 0 {
			row.LastScan = &last[0]
		}
		rows = append(rows, row)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tLOCATION\tLAST SCAN\tSTATUS\tTABLES\tIMPORTANT\tCORE")
	for _, row := range rows {
		last, status, tables, imp, core := "-", "-", "-", "-", "-"
		if s := row.LastScan; s != nil {
			last, status = s.Started.Local().Format("2006-01-02 15:04"), s.Status
			tables, imp, core = fmt.Sprint(s.Counts.Tables), fmt.Sprint(s.Counts.ImportantTables), fmt.Sprint(s.Counts.CoreTables)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Name, row.Kind, row.Location, last, status, tables, imp, core)
	}
	return tw.Flush()
}

func runSourceRemove(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source remove")
	dir := dataFlag(fs)
	name := fs.String("name", "", "data source name or id (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.RemoveSource(ctx, shuan.User{}, *name); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "removed %s\n", *name)
	return nil
}

func runSourceScan(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source scan")
	dir := dataFlag(fs)
	name := fs.String("name", "", "data source name or id (required)")
	asJSON := fs.Bool("json", false, "print the stored scan document (JSON) instead of a summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	rec, err := r.RunScan(ctx, shuan.User{}, *name)
	if err != nil {
		return err
	}
	rep, err := r.ScanReport(ctx, rec.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return scan.Write(env.Stdout, rep.Result, "json", scan.WriteOptions{})
	}
	c := rec.Counts
	fmt.Fprintf(env.Stdout, "scan %s of %s: %s in %s\n", rec.ID, rep.Source.Name, rec.Status, rec.Finished.Sub(rec.Started).Round(1e6))
	fmt.Fprintf(env.Stdout, "tables %d (unchanged %d), columns %d, PI columns %d (sensitive %d), important tables %d, core tables %d, confirmed columns %d, skipped %d\n",
		c.Tables, rep.Result.Summary.Unchanged, c.Columns, c.PIColumns, c.SensitivePI, c.ImportantTables, c.CoreTables, c.Confirmed, c.Skipped)
	for _, s := range rep.Result.Skipped {
		fmt.Fprintf(env.Stderr, "shuan source scan: skipped %q: %s\n", s.Name, s.Reason)
	}
	if n := len(rep.Result.Changes); n > 0 {
		fmt.Fprintf(env.Stdout, "%d changes since the previous scan (see 'shuan source results')\n", n)
	}
	return nil
}

func runSourceConfirm(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source confirm")
	dir := dataFlag(fs)
	name := fs.String("name", "", "data source name or id (required)")
	table := fs.String("table", "", "table name as in the scan result (required)")
	column := fs.String("column", "", "column name (required)")
	category := fs.String("category", "", "taxonomy code, e.g. mgmt.hr_finance (required)")
	pi := fs.String("pi", "", "PI type (pi.* code), empty for none")
	sensitive := fs.Bool("sensitive", false, "the column is sensitive PI (PIPL art. 28)")
	level := fs.String("level", "general", "core | important | general")
	sub := fs.Int("sub-level", 0, "sub-level 1-4 of general data (0: none)")
	reason := fs.String("reason", "", "why (required)")
	by := fs.String("by", "", "reviewer name recorded with the label (default: cli)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *table == "" || *column == "" || *category == "" || strings.TrimSpace(*reason) == "" {
		return fmt.Errorf("%w: --name, --table, --column, --category and --reason are required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	rv, err := r.ConfirmColumn(ctx, shuan.User{Name: *by}, *name, *table, *column,
		node.Label{Category: *category, PI: *pi, SensitivePI: *sensitive, Level: *level, SubLevel: *sub}, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "confirmed %s.%s: %s %s %s by %s\n", rv.Table, rv.Column, rv.Category, rv.PI, rv.Level, rv.By)
	return nil
}

func runSourceResults(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source results")
	dir := dataFlag(fs)
	name := fs.String("name", "", "data source name or id (required)")
	format := fs.String("format", "table", "output format: "+strings.Join(scan.Formats(), ", "))
	out := fs.String("o", "", "write the output to `FILE` (default stdout; required for xlsx)")
	langFlag := fs.String("lang", "zh", "language of human formats: zh or en")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	if scan.Binary(*format) && *out == "" {
		return fmt.Errorf("%w: --format %s needs -o FILE", errUsage, *format)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	src, err := r.Source(ctx, *name)
	if err != nil {
		return err
	}
	last, err := r.Scans(ctx, node.ScanFilter{SourceID: src.ID, Status: "done", Limit: 1})
	if err != nil {
		return err
	}
	if len(last) == 0 {
		return shuan.Errorf(shuan.ENOTFOUND, "data source %s has no finished scan (run 'shuan source scan')", src.Name)
	}
	rep, err := r.ScanReport(ctx, last[0].ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := scan.Write(&buf, rep.Result, *format, scan.WriteOptions{Lang: *langFlag}); err != nil {
		return fmt.Errorf("write %s output: %w", *format, err)
	}
	var w io.Writer = env.Stdout
	if *out != "" {
		return os.WriteFile(*out, buf.Bytes(), 0o644)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
