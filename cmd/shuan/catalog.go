package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/sqlstore"
)

func init() {
	register(command{name: "catalog build", summary: "build the important/core data catalog draft from scan results", run: runCatalogBuild})
	register(command{name: "catalog list", summary: "list catalog versions", run: runCatalogList})
	register(command{name: "catalog show", summary: "show a catalog version's entries", run: runCatalogShow})
	register(command{name: "catalog diff", summary: "compare two catalog versions", run: runCatalogDiff})
	register(command{name: "catalog set", summary: "edit, add or remove an entry of the draft catalog", run: runCatalogSet})
	register(command{name: "catalog approve", summary: "approve the draft catalog (internal approval by another user)", run: runCatalogApprove})
	register(command{name: "catalog export", summary: "export a catalog version as the filing form (xlsx or printable html)", run: runCatalogExport})
	register(command{name: "catalog config", summary: "show or set the filing thresholds, periods and holiday calendar", run: runCatalogConfig})
	register(command{name: "catalog import", summary: "import a catalog from the filing form's xlsx layout (all rows or none)", run: runCatalogImport})
}

func runCatalogBuild(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog build")
	dir := dataFlag(fs)
	var from listFlag
	fs.Var(&from, "from", "scan result `JSON` (repeatable; default: the node's latest confirmed scans)")
	as := fs.String("as", "", "console `USER` making the change (default: the operator)")
	jsonOut := fs.Bool("json", false, "print the draft as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var results []*scan.Result
	for _, p := range from {
		res, err := scan.ReadResultFile(p)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	by, err := r.CatalogUser(ctx, *as, shuan.PermEditCatalog)
	if err != nil {
		return err
	}
	v, err := r.BuildCatalog(ctx, by, results)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, v)
	}
	fmt.Fprintf(env.Stdout, "catalog version %d (%s): %d entries\n", v.Seq, v.Status, len(v.Entries))
	return nil
}

func runCatalogList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog list")
	dir := dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	vs, err := r.CatalogVersions(ctx)
	if err != nil {
		return err
	}
	type row struct {
		Seq      int            `json:"seq"`
		ID       string         `json:"id"`
		Status   string         `json:"status"`
		Totals   catalog.Totals `json:"totals"`
		Editors  []string       `json:"editors"`
		Approver string         `json:"approver,omitempty"`
		SM3      string         `json:"sm3,omitempty"`
	}
	rows := []row{}
	for _, v := range vs {
		rows = append(rows, row{v.Seq, v.ID, v.Status, v.Totals(), v.Editors, v.Approver, v.SM3})
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATUS\tENTRIES\tCORE\tIMPORTANT\tRECORDS\tEDITORS\tAPPROVER")
	for _, x := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", x.Seq, x.Status, x.Totals.Entries, x.Totals.Core, x.Totals.Important,
			x.Totals.Records, strings.Join(x.Editors, ","), x.Approver)
	}
	return tw.Flush()
}

func runCatalogShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog show")
	dir := dataFlag(fs)
	seq := fs.Int("version", 0, "catalog `VERSION` (default: the newest)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	v, err := r.CatalogVersion(ctx, *seq)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, v)
	}
	fmt.Fprintf(env.Stdout, "catalog version %d · %s · editors %s · approver %s\n", v.Seq, v.Status, strings.Join(v.Editors, ","), or(v.Approver, "—"))
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tLEVEL\tCATEGORY\tRECORDS\tTABLES\tOWNER\tMISSING")
	for _, e := range v.Entries {
		var missing []string
		for _, p := range e.Problems(true) {
			missing = append(missing, strings.TrimSuffix(p, " is required for filing"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.ID, e.Name, e.Level, e.Category, e.Records,
			strings.Join(e.Tables, ","), or(e.Owner, "—"), strings.Join(missing, ","))
	}
	return tw.Flush()
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func runCatalogDiff(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog diff")
	dir := dataFlag(fs)
	from := fs.Int("from", 0, "older `VERSION` (required)")
	to := fs.Int("to", 0, "newer `VERSION` (default: the newest)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == 0 {
		return fmt.Errorf("%w: --from is required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	a, err := r.CatalogVersion(ctx, *from)
	if err != nil {
		return err
	}
	b, err := r.CatalogVersion(ctx, *to)
	if err != nil {
		return err
	}
	d := catalog.Compare(a, b)
	if *jsonOut {
		return writeJSON(env.Stdout, d)
	}
	fmt.Fprintf(env.Stdout, "version %d → %d: %d added, %d removed, %d changed\n", d.From, d.To, len(d.Added), len(d.Removed), len(d.Changed))
	for _, e := range d.Added {
		fmt.Fprintf(env.Stdout, "+ %s %s (%s, %d records)\n", e.ID, e.Name, e.Level, e.Records)
	}
	for _, e := range d.Removed {
		fmt.Fprintf(env.Stdout, "- %s %s\n", e.ID, e.Name)
	}
	for _, c := range d.Changed {
		fmt.Fprintf(env.Stdout, "~ %s %s", c.ID, c.Name)
		if c.RecordsPct != nil {
			fmt.Fprintf(env.Stdout, " (records %+.1f%%)", *c.RecordsPct)
		}
		fmt.Fprintln(env.Stdout)
		for _, f := range c.Fields {
			fmt.Fprintf(env.Stdout, "    %s: %q → %q\n", f.Field, f.From, f.To)
		}
	}
	return nil
}

func runCatalogSet(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog set")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: shuan catalog set --data DIR [--id ID] [--remove] [--as USER] FIELD=VALUE...\n\nFields: ")
		var keys []string
		for _, f := range catalog.Fields {
			keys = append(keys, f.Key)
		}
		fmt.Fprintln(env.Stderr, strings.Join(append(keys, "note"), ", "))
		fs.PrintDefaults()
	}
	dir := dataFlag(fs)
	id := fs.String("id", "", "entry `ID` (omit to add an entry)")
	remove := fs.Bool("remove", false, "remove the entry")
	as := fs.String("as", "", "console `USER` making the change (default: the operator)")
	jsonOut := fs.Bool("json", false, "print the draft as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var fields [][2]string
	for _, a := range fs.Args() {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("%w: %q is not FIELD=VALUE", errUsage, a)
		}
		fields = append(fields, [2]string{strings.TrimSpace(k), v})
	}
	if *remove && *id == "" {
		return fmt.Errorf("%w: --remove needs --id", errUsage)
	}
	if !*remove && len(fields) == 0 {
		return fmt.Errorf("%w: nothing to set: give FIELD=VALUE arguments", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	by, err := r.CatalogUser(ctx, *as, shuan.PermEditCatalog)
	if err != nil {
		return err
	}
	v, err := r.SetCatalogEntry(ctx, by, *id, fields, *remove)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, v)
	}
	fmt.Fprintf(env.Stdout, "catalog version %d (%s): %d entries\n", v.Seq, v.Status, len(v.Entries))
	return nil
}

func runCatalogApprove(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog approve")
	dir := dataFlag(fs)
	seq := fs.Int("version", 0, "catalog `VERSION` (default: the newest)")
	as := fs.String("as", "", "reviewer's console `USER` (required; must not have edited the version)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *as == "" {
		return fmt.Errorf("%w: --as USER is required: internal approval names its reviewer", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	by, err := r.CatalogUser(ctx, *as, shuan.PermApprove)
	if err != nil {
		return err
	}
	v, err := r.ApproveCatalog(ctx, by, *seq)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, v)
	}
	fmt.Fprintf(env.Stdout, "catalog version %d approved by %s, SM3 %s\n", v.Seq, v.Approver, v.SM3)
	return nil
}

func runCatalogExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog export")
	dir := dataFlag(fs)
	seq := fs.Int("version", 0, "catalog `VERSION` (default: the newest)")
	out := fs.String("o", "", "output `FILE` (.xlsx or .html; required)")
	format := fs.String("format", "", "xlsx or html (default: from the file name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: -o FILE is required", errUsage)
	}
	if *format == "" {
		*format = strings.TrimPrefix(filepath.Ext(*out), ".")
	}
	if *format != "xlsx" && *format != "html" {
		return fmt.Errorf("%w: format must be xlsx or html", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	v, err := r.CatalogVersion(ctx, *seq)
	if err != nil {
		return err
	}
	self, err := r.Self(ctx)
	if err != nil {
		return err
	}
	self.USCC = or(self.USCC, r.Cfg.USCC)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	switch *format {
	case "xlsx":
		err = catalog.WriteXLSX(f, v, [][2]string{{"备案单位", self.Name}, {"统一社会信用代码", self.USCC},
			{"地区", self.Region}, {"行业", self.Industry}})
	default:
		d := catalog.PrintData{Enterprise: self, Version: v, Printed: r.Now()}
		fls, ferr := r.Filings(ctx, catalog.FilingFilter{EnterpriseID: self.ID})
		if ferr != nil {
			return ferr
		}
		for i := range fls {
			if fls[i].VersionID == v.ID {
				d.Filing = &fls[i]
				if p, perr := r.ProveFiling(ctx, fls[i]); perr == nil {
					d.SM3, d.Signature = p.SM3, p.Signature
				}
				break
			}
		}
		err = catalog.WriteHTML(f, d)
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func runCatalogImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog import")
	dir := dataFlag(fs)
	as := fs.String("as", "", "console `USER` making the change (default: the operator)")
	jsonOut := fs.Bool("json", false, "print the draft, or the row errors, as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give one FILE.xlsx", errUsage)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	entries, err := catalog.ReadXLSX(f)
	var ie *catalog.ImportError
	if errors.As(err, &ie) {
		if *jsonOut {
			writeJSON(env.Stdout, map[string]any{"imported": 0, "errors": ie.Rows})
		} else {
			for _, re := range ie.Rows {
				fmt.Fprintln(env.Stdout, re.Error())
			}
		}
		return shuan.Errorf(shuan.EINVALID, "%d problems; nothing imported", len(ie.Rows))
	} else if err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	by, err := r.CatalogUser(ctx, *as, shuan.PermEditCatalog)
	if err != nil {
		return err
	}
	v, err := r.ImportCatalog(ctx, by, entries)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, v)
	}
	fmt.Fprintf(env.Stdout, "imported %d entries into catalog version %d (draft)\n", len(entries), v.Seq)
	return nil
}

func runCatalogConfig(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "catalog config")
	dir := dataFlag(fs)
	threshold := fs.Float64("threshold", 0, "scale change that makes a change filing due, as a fraction (0.30 = 30%)")
	months := fs.Int("change-months", 0, "months allowed for a change filing")
	days := fs.Int("review-days", 0, "working days the province has to review a filing")
	calendar := fs.String("calendar", "", "holiday `FILE` (lines: YYYY-MM-DD off|work NOTE) replacing the shipped one")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	cfg, _, err := r.CatalogRules(ctx)
	if err != nil {
		return err
	}
	changed := false
	if *threshold != 0 {
		cfg.ScaleThreshold, changed = *threshold, true
	}
	if *months != 0 {
		cfg.ChangeMonths, changed = *months, true
	}
	if *days != 0 {
		cfg.ReviewDays, changed = *days, true
	}
	if changed {
		if err := cfg.Validate(); err != nil {
			return err
		}
		b, _ := json.Marshal(cfg)
		if err := r.DB.PutSetting(ctx, sqlstore.SettingCatalogConfig, string(b)); err != nil {
			return err
		}
	}
	if *calendar != "" {
		text, err := os.ReadFile(*calendar)
		if err != nil {
			return err
		}
		if _, err := catalog.ParseCalendar(string(text)); err != nil {
			return err
		}
		if err := r.DB.PutSetting(ctx, sqlstore.SettingCatalogCalendar, string(text)); err != nil {
			return err
		}
	}
	if changed || *calendar != "" {
		if _, err := r.DB.AppendAudit(ctx, r.Now(), "cli", "catalog.config", "catalog", fmt.Sprintf("%+v calendar=%q", cfg, *calendar)); err != nil {
			return err
		}
	}
	if *jsonOut {
		return writeJSON(env.Stdout, cfg)
	}
	fmt.Fprintf(env.Stdout, "scale threshold %.0f%%, change filing within %d months, review within %d working days\n",
		cfg.ScaleThreshold*100, cfg.ChangeMonths, cfg.ReviewDays)
	return nil
}
