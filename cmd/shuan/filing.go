package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/node"
)

func init() {
	register(command{name: "filing submit", summary: "file an approved catalog version with the province (目录备案)", run: runFilingSubmit})
	register(command{name: "filing list", summary: "list filings with status and review deadline", run: runFilingList})
	register(command{name: "filing show", summary: "show a filing, its review and its verified signature", run: runFilingShow})
	register(command{name: "filing review", summary: "accept or return a filing (province)", run: runFilingReview})
	register(command{name: "filing changes", summary: "change filings due (enterprise: its own; province, ministry: reported)", run: runFilingChanges})
	register(command{name: "filing rollup", summary: "totals of accepted filings by region, industry and category (province, ministry)", run: runFilingRollup})
}

func runFilingSubmit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "filing submit")
	dir := dataFlag(fs)
	seq := fs.Int("version", 0, "approved catalog `VERSION` (default: the newest)")
	as := fs.String("as", "", "console `USER` submitting (default: the operator)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
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
	f, err := r.SubmitFiling(ctx, by, *seq)
	if err != nil {
		return err
	}
	if *jsonOut {
		f.Version.Entries = nil
		return writeJSON(env.Stdout, f)
	}
	fmt.Fprintln(env.Stdout, f.ID)
	return nil
}

// FilingRow is a filing as listed: without its entries, with its deadline state.
type FilingRow struct {
	catalog.Filing
	Overdue      bool `json:"overdue"`
	WorkdaysLeft *int `json:"workdays_left,omitempty"`
}

func filingRow(f catalog.Filing, cal *catalog.Calendar, now time.Time) FilingRow {
	f.Version.Entries = nil
	row := FilingRow{Filing: f, Overdue: f.Overdue(now)}
	if f.Open() && !f.Due.IsZero() {
		n := cal.WorkdaysLeft(now, f.Due)
		row.WorkdaysLeft = &n
	}
	return row
}

func runFilingList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "filing list")
	dir := dataFlag(fs)
	status := fs.String("status", "", "only filings in `STATUS` (submitted, under_review, returned, accepted)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	fls, err := r.Filings(ctx, catalog.FilingFilter{Status: *status})
	if err != nil {
		return err
	}
	_, cal, err := r.CatalogRules(ctx)
	if err != nil {
		return err
	}
	now := r.Now()
	rows := make([]FilingRow, 0, len(fls))
	for _, f := range fls {
		rows = append(rows, filingRow(f, cal, now))
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tENTERPRISE\tVERSION\tSTATUS\tSUBMITTED\tDUE\tENTRIES")
	for _, x := range rows {
		due := "—"
		if !x.Due.IsZero() {
			due = x.Due.In(catalog.Beijing).Add(-time.Second).Format(time.DateOnly)
			if x.Overdue {
				due += " OVERDUE"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\n", x.ID, x.EnterpriseName, x.Seq, x.Status,
			x.Submitted.In(catalog.Beijing).Format("2006-01-02 15:04"), due, x.Totals.Entries)
	}
	return tw.Flush()
}

func runFilingShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "filing show")
	dir := dataFlag(fs)
	id := fs.String("id", "", "filing `ID` (default: the newest)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := newestOr(ctx, r, *id)
	if err != nil {
		return err
	}
	proof, err := r.ProveFiling(ctx, f)
	if err != nil {
		return err
	}
	_, cal, err := r.CatalogRules(ctx)
	if err != nil {
		return err
	}
	row := filingRow(f, cal, r.Now())
	row.Version.Entries = f.Version.Entries
	if *jsonOut {
		return writeJSON(env.Stdout, struct {
			FilingRow
			Proof node.FilingProof `json:"proof"`
		}{row, proof})
	}
	fmt.Fprintf(env.Stdout, "filing %s\n  enterprise  %s (%s, %s)\n  version     %d (%d entries)\n  status      %s\n", f.ID, f.EnterpriseName,
		f.Region, f.Industry, f.Seq, f.Totals.Entries, f.Status)
	fmt.Fprintf(env.Stdout, "  signature   %s\n  sm3         %s\n", map[bool]string{true: "verified", false: "NOT verified " + proof.Problem}[proof.Verified], proof.SM3)
	if f.Comment != "" {
		fmt.Fprintf(env.Stdout, "  comment     %s\n", f.Comment)
	}
	for _, c := range f.Comments {
		fmt.Fprintf(env.Stdout, "  on %s: %s\n", or(c.EntryID, "filing"), c.Text)
	}
	return nil
}

func newestOr(ctx context.Context, r *node.Runtime, id string) (catalog.Filing, error) {
	if id != "" {
		return r.Filing(ctx, id)
	}
	fls, err := r.Filings(ctx, catalog.FilingFilter{Limit: 1})
	if err != nil {
		return catalog.Filing{}, err
	}
	if len(fls) == 0 {
		return catalog.Filing{}, shuan.Errorf(shuan.ENOTFOUND, "no filings yet")
	}
	return fls[0], nil
}

func runFilingReview(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "filing review")
	dir := dataFlag(fs)
	id := fs.String("id", "", "filing `ID` (required)")
	accept := fs.Bool("accept", false, "accept the filing")
	ret := fs.Bool("return", false, "return the filing for revision (needs --comment)")
	start := fs.Bool("start", false, "mark the filing under review")
	as := fs.String("as", "", "reviewer's console `USER` (default: the operator)")
	jsonOut := fs.Bool("json", false, "print JSON")
	rv := catalog.Review{}
	entry := ""
	fs.Func("entry", "entry `ID` the next --comment is about", func(v string) error { entry = v; return nil })
	fs.Func("comment", "comment `TEXT` on the filing, or on the entry named just before", func(v string) error {
		if entry == "" {
			rv.Comment = strings.TrimSpace(strings.Join([]string{rv.Comment, v}, " "))
		} else {
			rv.Comments = append(rv.Comments, catalog.Comment{EntryID: entry, Text: v})
			entry = ""
		}
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{*accept, *ret, *start} {
		if b {
			n++
		}
	}
	if n != 1 || *id == "" {
		return fmt.Errorf("%w: give --id and exactly one of --accept, --return, --start", errUsage)
	}
	if entry != "" {
		return fmt.Errorf("%w: --entry %s has no --comment after it", errUsage, entry)
	}
	switch {
	case *accept:
		rv.Decision = catalog.Accepted
	case *ret:
		rv.Decision = catalog.Returned
	default:
		rv.Decision = catalog.UnderReview
	}
	rv.FilingID = *id
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	by, err := r.CatalogUser(ctx, *as, shuan.PermReviewFiling)
	if err != nil {
		return err
	}
	f, err := r.ReviewFiling(ctx, by, rv)
	if err != nil {
		return err
	}
	if *jsonOut {
		f.Version.Entries = nil
		return writeJSON(env.Stdout, f)
	}
	fmt.Fprintf(env.Stdout, "filing %s: %s\n", f.ID, f.Status)
	return nil
}

func runFilingRollup(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "filing rollup")
	dir := dataFlag(fs)
	out := fs.String("o", "", "also write the accepted filings' entries as xlsx to `FILE`")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	ru, err := r.Rollup(ctx)
	if err != nil {
		return err
	}
	if *out != "" {
		fls, err := r.Filings(ctx, catalog.FilingFilter{Status: catalog.Accepted})
		if err != nil {
			return err
		}
		var latest []catalog.Filing
		for _, f := range fls {
			if l := catalog.Latest(fls, catalog.Accepted)[f.EnterpriseID]; l.ID == f.ID {
				latest = append(latest, f)
			}
		}
		fh, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := catalog.WriteRollupXLSX(fh, latest); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	if *jsonOut {
		return writeJSON(env.Stdout, ru)
	}
	fmt.Fprintf(env.Stdout, "accepted filings: %d of %d enterprises (key %d of %d); entries %d (core %d, important %d); overdue reviews %d; overdue changes %d\n",
		ru.Coverage.Filed, ru.Coverage.Registered, ru.Coverage.KeyFiled, ru.Coverage.KeyRegistered, ru.Totals.Entries, ru.Totals.Core,
		ru.Totals.Important, ru.OverdueReviews, len(ru.OverdueChanges))
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BY\tKEY\tNAME\tENTERPRISES\tENTRIES\tCORE\tIMPORTANT\tRECORDS")
	for _, g := range []struct {
		by string
		cs []catalog.Count
	}{{"region", ru.ByRegion}, {"industry", ru.ByIndustry}, {"category", ru.ByCategory}} {
		for _, c := range g.cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", g.by, c.Key, c.Name, c.Enterprises, c.Entries, c.Core, c.Important, c.Records)
		}
	}
	return tw.Flush()
}

func runFilingChanges(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "filing changes")
	dir := dataFlag(fs)
	all := fs.Bool("all", false, "include change filings already resolved")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	cs, err := r.ChangesDue(ctx, *all)
	if err != nil {
		return err
	}
	now := r.Now()
	type row struct {
		catalog.ChangeDue
		Overdue bool `json:"overdue"`
	}
	rows := make([]row, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, row{c, c.Overdue(now)})
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTERPRISE\tDETECTED\tDUE\tREASONS")
	for _, c := range rows {
		var why []string
		for _, t := range c.Reasons {
			why = append(why, t.Kind+" "+t.EntryID+" "+t.Detail)
		}
		due := c.Due.In(catalog.Beijing).Format(time.DateOnly)
		if c.Overdue {
			due += " OVERDUE"
		} else if !c.Resolved.IsZero() {
			due += " resolved"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.EnterpriseID, c.Detected.In(catalog.Beijing).Format(time.DateOnly), due, strings.Join(why, "; "))
	}
	return tw.Flush()
}
