package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/i18n"
)

// CatalogActions are the catalog and filing operations of a node;
// *node.Runtime satisfies it. Each operation audits itself in the
// transaction that changes anything.
type CatalogActions interface {
	// CatalogVersions lists the enterprise's catalog versions, newest first.
	CatalogVersions(ctx context.Context) ([]catalog.Version, error)
	// CatalogVersion returns version seq, 0 for the newest.
	CatalogVersion(ctx context.Context, seq int) (catalog.Version, error)
	// SetCatalogEntry edits, adds (unknown id) or removes an entry of the draft.
	SetCatalogEntry(ctx context.Context, by shuan.User, id string, fields [][2]string, remove bool) (catalog.Version, error)
	// ApproveCatalog approves the draft; by must not have edited it.
	ApproveCatalog(ctx context.Context, by shuan.User, seq int) (catalog.Version, error)
	// SubmitFiling files an approved version with the province.
	SubmitFiling(ctx context.Context, by shuan.User, seq int) (catalog.Filing, error)
	// ReviewFiling records a province's decision and sends it down.
	ReviewFiling(ctx context.Context, by shuan.User, rv catalog.Review) (catalog.Filing, error)
	// Filings lists the filings this node holds, newest first.
	Filings(ctx context.Context, f catalog.FilingFilter) ([]catalog.Filing, error)
	// Filing returns one filing.
	Filing(ctx context.Context, id string) (catalog.Filing, error)
	// ProveFiling verifies a filing's signatures and finds its receipt.
	ProveFiling(ctx context.Context, f catalog.Filing) (catalog.Proof, error)
	// ChangesDue lists the change filings owed (all: resolved ones too).
	ChangesDue(ctx context.Context, all bool) ([]catalog.ChangeDue, error)
	// CatalogRules returns the filing configuration and calendar.
	CatalogRules(ctx context.Context) (catalog.Config, *catalog.Calendar, error)
	// Rollup summarises the accepted filings below this node.
	Rollup(ctx context.Context) (catalog.Rollup, error)
}

// catalogPageNames are the catalog and filing page templates.
var catalogPageNames = []string{"catalog", "catalog_diff", "filings", "filing", "filings_rollup"}

// catalogFuncs are the catalog pages' own template helpers.
var catalogFuncs = template.FuncMap{
	"levelName": func(l i18n.Lang, level string) string { return l.T("cat.level." + level) },
	"fieldName": fieldName,
	"entryGet":  func(e catalog.Entry, k string) string { return e.Get(k) },
	"pct": func(p *float64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprintf("%+.1f%%", *p)
	},
	"dueDay": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(beijing).Add(-time.Second).Format(time.DateOnly)
	},
	"catName": catalog.CategoryName,
	"list":    func(s ...string) []string { return s },
	"deref":   func(p *int) int { return *p },
}

func fieldName(l i18n.Lang, key string) string {
	for _, f := range catalog.Fields {
		if f.Key == key {
			if l == i18n.EN {
				return f.EN
			}
			return f.ZH
		}
	}
	return key
}

// catalogRoutes adds the catalog and filing pages when Config.Catalog is set.
func (s *server) catalogRoutes(mux *http.ServeMux) {
	if s.cfg.Catalog == nil {
		return
	}
	if err := s.parseCatalogTemplates(); err != nil {
		panic(err) // embedded templates: a parse error is a build defect every console test catches
	}
	mux.Handle("GET /catalog", s.page(shuan.PermRead, s.catalogPage))
	mux.Handle("POST /catalog/entries", s.page(shuan.PermEditCatalog, s.catalogEntryPost))
	mux.Handle("POST /catalog/approve", s.page(shuan.PermApprove, s.catalogApprove))
	mux.Handle("POST /catalog/submit", s.page(shuan.PermEditCatalog, s.catalogSubmit))
	mux.Handle("GET /catalog/diff", s.page(shuan.PermRead, s.catalogDiff))
	mux.Handle("GET /catalog/export", s.page(shuan.PermRead, s.catalogExport))
	mux.Handle("GET /filings", s.page(shuan.PermRead, s.filingsPage))
	mux.Handle("GET /filings/{id}", s.page(shuan.PermRead, s.filingPage))
	mux.Handle("GET /filings/{id}/print", s.page(shuan.PermRead, s.filingPrint))
	mux.Handle("POST /filings/{id}/review", s.page(shuan.PermReviewFiling, s.filingReview))
	mux.Handle("GET /rollup", s.page(shuan.PermRead, s.rollupPage))
	mux.Handle("GET /rollup/export", s.page(shuan.PermRead, s.rollupExport))
	mux.Handle("GET /api/v1/filings", s.api(shuan.PermRead, s.apiFilings))
	mux.Handle("GET /api/v1/filings/{id}", s.api(shuan.PermRead, s.apiFiling))
	mux.Handle("GET /api/v1/rollup", s.api(shuan.PermRead, s.apiRollup))
	mux.Handle("GET /api/v1/catalog", s.api(shuan.PermRead, s.apiCatalog))
}

// parseCatalogTemplates defines the "nav-catalog" block in every page and
// adds the catalog pages, cloned from the overview so they share the layout
// and whatever navigation other features added.
func (s *server) parseCatalogTemplates() error {
	for name, t := range s.pages {
		if _, err := t.ParseFS(templateFS, "templates/catalog_nav.html"); err != nil {
			return fmt.Errorf("web: parse catalog navigation for %s: %w", name, err)
		}
	}
	base, ok := s.pages["overview"]
	if !ok {
		return fmt.Errorf("web: no overview page to base the catalog pages on")
	}
	for _, name := range catalogPageNames {
		t, err := base.Clone()
		if err != nil {
			return fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		if _, err := t.Funcs(catalogFuncs).ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

func enterpriseCatalog(rq *request) error {
	if rq.Self.Role != shuan.RoleEnterprise {
		return shuan.Errorf(shuan.ENOTFOUND, "the data catalog is kept at enterprise nodes")
	}
	return nil
}

func regulator(rq *request) error {
	if rq.Self.Role == shuan.RoleEnterprise {
		return shuan.Errorf(shuan.ENOTFOUND, "the roll-up is kept by provinces and the ministry")
	}
	return nil
}

// entryRow is one catalog entry as the editor shows it.
type entryRow struct {
	catalog.Entry
	Missing  []string
	Comments []catalog.Comment // from the province, on the last returned filing
}

// fieldInput is one editable entry field.
type fieldInput struct {
	Key, Label string
	Long       bool
}

// catalogData is the content of the catalog editor.
type catalogData struct {
	Version    *catalog.Version
	Versions   []catalog.Version
	Rows       []entryRow
	Fields     []fieldInput
	Totals     catalog.Totals
	CanEdit    bool
	CanApprove bool
	CanSubmit  bool
	Filings    []filingRow
	Changes    []catalog.ChangeDue
	Returned   *catalog.Filing
	Error      string
	Levels     []option
	Blank      catalog.Entry // the add form's empty entry
}

func (s *server) catalogData(r *http.Request, rq *request) (*catalogData, error) {
	ctx := r.Context()
	c := s.cfg.Catalog
	d := &catalogData{Blank: catalog.Entry{Level: shuan.LevelImportant}}
	vs, err := c.CatalogVersions(ctx)
	if err != nil {
		return nil, err
	}
	d.Versions = vs
	fls, err := c.Filings(ctx, catalog.FilingFilter{Limit: 20})
	if err != nil {
		return nil, err
	}
	_, cal, err := c.CatalogRules(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range fls {
		d.Filings = append(d.Filings, newFilingRow(f, cal, rq.Now))
	}
	comments := map[string][]catalog.Comment{}
	if len(fls) > 0 && fls[0].Status == catalog.Returned {
		d.Returned = &fls[0]
		for _, cm := range fls[0].Comments {
			comments[cm.EntryID] = append(comments[cm.EntryID], cm)
		}
	}
	if d.Changes, err = c.ChangesDue(ctx, false); err != nil {
		return nil, err
	}
	for _, f := range catalog.Fields {
		if f.Key == "id" || f.Key == "findings" {
			continue
		}
		long := f.Key == "description" || f.Key == "security" || f.Key == "purpose"
		d.Fields = append(d.Fields, fieldInput{Key: f.Key, Label: fieldName(rq.Lang, f.Key), Long: long})
	}
	for _, l := range []string{shuan.LevelImportant, shuan.LevelCore} {
		d.Levels = append(d.Levels, option{Value: l, Label: rq.Lang.T("cat.level." + l)})
	}
	if len(vs) > 0 {
		v := vs[0]
		d.Version = &v
		d.Totals = v.Totals()
		for _, e := range v.Entries {
			d.Rows = append(d.Rows, entryRow{Entry: e, Missing: missing(rq.Lang, e), Comments: comments[e.ID]})
		}
		open := len(fls) > 0 && fls[0].Open()
		d.CanEdit = rq.User.Role.Can(shuan.PermEditCatalog)
		d.CanApprove = v.Status == catalog.Draft && rq.User.Role.Can(shuan.PermApprove) && !slices.Contains(v.Editors, rq.User.Name)
		d.CanSubmit = v.Status == catalog.Approved && rq.User.Role.Can(shuan.PermEditCatalog) && !open &&
			!(len(fls) > 0 && fls[0].VersionID == v.ID && fls[0].Status == catalog.Accepted)
	} else {
		d.CanEdit = rq.User.Role.Can(shuan.PermEditCatalog)
	}
	return d, nil
}

func missing(l i18n.Lang, e catalog.Entry) []string {
	var out []string
	for _, p := range e.Problems(true) {
		if k, ok := strings.CutSuffix(p, " is required for filing"); ok {
			out = append(out, fieldName(l, k))
		}
	}
	return out
}

func (s *server) catalogPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	d, err := s.catalogData(r, rq)
	if err != nil {
		return err
	}
	v := s.newView(r, rq, rq.Lang, "catalog", rq.Lang.T("nav.catalog"), d)
	if msg := r.URL.Query().Get("done"); msg != "" {
		v.Flash = rq.Lang.T("cat.done." + msg)
	}
	return s.render(w, http.StatusOK, "catalog", v)
}

// catalogFail re-shows the editor with an error the user can fix.
func (s *server) catalogFail(w http.ResponseWriter, r *http.Request, rq *request, err error) error {
	switch shuan.ErrorCode(err) {
	case shuan.EINVALID, shuan.ECONFLICT, shuan.EFORBIDDEN, shuan.ENOTFOUND:
	default:
		return err
	}
	d, derr := s.catalogData(r, rq)
	if derr != nil {
		return derr
	}
	d.Error = shuan.ErrorMessage(err)
	return s.render(w, httpapi.Status(shuan.ErrorCode(err)), "catalog", s.newView(r, rq, rq.Lang, "catalog", rq.Lang.T("nav.catalog"), d))
}

func (s *server) catalogEntryPost(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "bad form: %v", err)
	}
	id := strings.TrimSpace(r.PostForm.Get("id"))
	remove := r.PostForm.Get("remove") != ""
	var fields [][2]string
	if !remove {
		for _, f := range catalog.Fields {
			if vals, ok := r.PostForm[f.Key]; ok && f.Key != "id" && f.Key != "findings" {
				fields = append(fields, [2]string{f.Key, strings.Join(vals, "")})
			}
		}
	}
	if _, err := s.cfg.Catalog.SetCatalogEntry(r.Context(), rq.User, id, fields, remove); err != nil {
		return s.catalogFail(w, r, rq, err)
	}
	http.Redirect(w, r, "/catalog?done=saved", http.StatusSeeOther)
	return nil
}

func formSeq(r *http.Request) int {
	n, _ := strconv.Atoi(r.FormValue("version"))
	return n
}

func (s *server) catalogApprove(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	if _, err := s.cfg.Catalog.ApproveCatalog(r.Context(), rq.User, formSeq(r)); err != nil {
		return s.catalogFail(w, r, rq, err)
	}
	http.Redirect(w, r, "/catalog?done=approved", http.StatusSeeOther)
	return nil
}

func (s *server) catalogSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	f, err := s.cfg.Catalog.SubmitFiling(r.Context(), rq.User, formSeq(r))
	if err != nil {
		return s.catalogFail(w, r, rq, err)
	}
	http.Redirect(w, r, "/filings/"+f.ID+"?done=submitted", http.StatusSeeOther)
	return nil
}

// diffData is the content of the diff view.
type diffData struct {
	Diff     catalog.Diff
	Versions []catalog.Version
}

func (s *server) catalogDiff(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	ctx := r.Context()
	vs, err := s.cfg.Catalog.CatalogVersions(ctx)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return shuan.Errorf(shuan.ENOTFOUND, "no catalog yet")
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	to, _ := strconv.Atoi(r.URL.Query().Get("to"))
	if to == 0 {
		to = vs[0].Seq
	}
	if from == 0 {
		from = max(to-1, 1)
	}
	a, err := s.cfg.Catalog.CatalogVersion(ctx, from)
	if err != nil {
		return err
	}
	b, err := s.cfg.Catalog.CatalogVersion(ctx, to)
	if err != nil {
		return err
	}
	d := &diffData{Diff: catalog.Compare(a, b), Versions: vs}
	return s.render(w, http.StatusOK, "catalog_diff", s.newView(r, rq, rq.Lang, "catalog", rq.Lang.T("cat.diff.title", from, to), d))
}

func (s *server) catalogExport(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	seq, _ := strconv.Atoi(r.URL.Query().Get("version"))
	v, err := s.cfg.Catalog.CatalogVersion(r.Context(), seq)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.WriteXLSX(&buf, v, [][2]string{{"备案单位", rq.Self.Name}, {"统一社会信用代码", rq.Self.USCC},
		{"地区", rq.Self.Region}, {"行业", rq.Self.Industry}}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="catalog-v%d.xlsx"`, v.Seq))
	_, err = w.Write(buf.Bytes())
	return err
}

// filingRow is a filing as listed, with its deadline state.
type filingRow struct {
	catalog.Filing
	Overdue      bool `json:"overdue"`
	WorkdaysLeft *int `json:"workdays_left,omitempty"`
}

func newFilingRow(f catalog.Filing, cal *catalog.Calendar, now time.Time) filingRow {
	row := filingRow{Filing: f, Overdue: f.Overdue(now)}
	row.Version.Entries = nil
	if f.Open() && !f.Due.IsZero() {
		n := cal.WorkdaysLeft(now, f.Due)
		row.WorkdaysLeft = &n
	}
	return row
}

// filingsData is the content of the filings page.
type filingsData struct {
	Open     []filingRow
	Closed   []filingRow
	Overdue  int
	Changes  []catalog.ChangeDue
	Coverage *catalog.Coverage
}

func (s *server) filingRows(ctx context.Context, rq *request, f catalog.FilingFilter) ([]filingRow, error) {
	fls, err := s.cfg.Catalog.Filings(ctx, f)
	if err != nil {
		return nil, err
	}
	_, cal, err := s.cfg.Catalog.CatalogRules(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]filingRow, 0, len(fls))
	for _, fl := range fls {
		rows = append(rows, newFilingRow(fl, cal, rq.Now))
	}
	return rows, nil
}

func (s *server) filingsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	rows, err := s.filingRows(ctx, rq, catalog.FilingFilter{Limit: 500})
	if err != nil {
		return err
	}
	d := &filingsData{}
	for _, row := range rows {
		if row.Open() {
			d.Open = append(d.Open, row)
			if row.Overdue {
				d.Overdue++
			}
		} else {
			d.Closed = append(d.Closed, row)
		}
	}
	// Oldest deadline first in the review queue.
	slices.SortFunc(d.Open, func(a, b filingRow) int { return a.Due.Compare(b.Due) })
	if d.Changes, err = s.cfg.Catalog.ChangesDue(ctx, false); err != nil {
		return err
	}
	if rq.Self.Role != shuan.RoleEnterprise {
		ru, err := s.cfg.Catalog.Rollup(ctx)
		if err != nil {
			return err
		}
		d.Coverage = &ru.Coverage
	}
	return s.render(w, http.StatusOK, "filings", s.newView(r, rq, rq.Lang, "filings", rq.Lang.T("nav.filings"), d))
}

// filingData is the content of one filing's page.
type filingData struct {
	Row       filingRow
	Entries   []entryRow
	General   []catalog.Comment
	Proof     catalog.Proof
	CanReview bool
	Diff      *catalog.Diff // against the filing it revises, when known here
	Error     string
}

func (s *server) filingData(r *http.Request, rq *request, id string) (*filingData, error) {
	ctx := r.Context()
	f, err := s.cfg.Catalog.Filing(ctx, id)
	if err != nil {
		return nil, err
	}
	_, cal, err := s.cfg.Catalog.CatalogRules(ctx)
	if err != nil {
		return nil, err
	}
	d := &filingData{Row: newFilingRow(f, cal, rq.Now)}
	by := map[string][]catalog.Comment{}
	for _, c := range f.Comments {
		if c.EntryID == "" {
			d.General = append(d.General, c)
		} else {
			by[c.EntryID] = append(by[c.EntryID], c)
		}
	}
	for _, e := range f.Version.Entries {
		d.Entries = append(d.Entries, entryRow{Entry: e, Comments: by[e.ID]})
	}
	if d.Proof, err = s.cfg.Catalog.ProveFiling(ctx, f); err != nil {
		return nil, err
	}
	d.CanReview = rq.Self.Role == shuan.RoleProvince && f.Open() && rq.User.Role.Can(shuan.PermReviewFiling)
	if f.Revises != "" {
		if prev, err := s.cfg.Catalog.Filing(ctx, f.Revises); err == nil {
			diff := catalog.Compare(prev.Version, f.Version)
			d.Diff = &diff
		}
	}
	return d, nil
}

func (s *server) filingPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.filingData(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.newView(r, rq, rq.Lang, "filings", rq.Lang.T("cat.filing.title", d.Row.EnterpriseName, d.Row.Seq), d)
	if msg := r.URL.Query().Get("done"); msg != "" {
		v.Flash = rq.Lang.T("cat.done." + msg)
	}
	return s.render(w, http.StatusOK, "filing", v)
}

func (s *server) filingPrint(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	f, err := s.cfg.Catalog.Filing(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.cfg.Catalog.ProveFiling(ctx, f)
	if err != nil {
		return err
	}
	ent, err := s.cfg.Store.FindNode(ctx, f.EnterpriseID)
	if err != nil {
		return err
	}
	ent.USCC = cmpOr(ent.USCC, f.USCC)
	var buf bytes.Buffer
	if err := catalog.WriteHTML(&buf, catalog.PrintData{Enterprise: ent, Filing: &f, Version: f.Version,
		SM3: p.SM3, Signature: p.Signature, Printed: rq.Now}); err != nil {
		return err
	}
	// The printable form carries its own small inline style sheet.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *server) filingReview(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "bad form: %v", err)
	}
	rv := catalog.Review{FilingID: id, Decision: r.PostForm.Get("decision"), Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
	for k, vals := range r.PostForm {
		if eid, ok := strings.CutPrefix(k, "comment_"); ok {
			if t := strings.TrimSpace(strings.Join(vals, " ")); t != "" {
				rv.Comments = append(rv.Comments, catalog.Comment{EntryID: eid, Text: t})
			}
		}
	}
	slices.SortFunc(rv.Comments, func(a, b catalog.Comment) int { return strings.Compare(a.EntryID, b.EntryID) })
	if _, err := s.cfg.Catalog.ReviewFiling(r.Context(), rq.User, rv); err != nil {
		switch shuan.ErrorCode(err) {
		case shuan.EINVALID, shuan.ECONFLICT:
			d, derr := s.filingData(r, rq, id)
			if derr != nil {
				return derr
			}
			d.Error = shuan.ErrorMessage(err)
			return s.render(w, httpapi.Status(shuan.ErrorCode(err)), "filing",
				s.newView(r, rq, rq.Lang, "filings", rq.Lang.T("cat.filing.title", d.Row.EnterpriseName, d.Row.Seq), d))
		}
		return err
	}
	http.Redirect(w, r, "/filings/"+id+"?done="+rv.Decision, http.StatusSeeOther)
	return nil
}

// rollupData is the content of the roll-up page.
type rollupData struct {
	catalog.Rollup
	Charts map[string][]chartItem
	Proofs map[string]catalog.Proof
}

func (s *server) rollupPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := regulator(rq); err != nil {
		return err
	}
	ctx := r.Context()
	ru, err := s.cfg.Catalog.Rollup(ctx)
	if err != nil {
		return err
	}
	d := &rollupData{Rollup: ru, Charts: map[string][]chartItem{}, Proofs: map[string]catalog.Proof{}}
	for _, g := range []struct {
		key string
		cs  []catalog.Count
	}{{"by_region", ru.ByRegion}, {"by_industry", ru.ByIndustry}, {"by_category", ru.ByCategory}} {
		items := []chartItem{}
		for _, c := range g.cs {
			items = append(items, chartItem{Code: c.Key, Name: c.Name, Value: c.Entries})
		}
		d.Charts[g.key] = items
	}
	for _, f := range ru.Accepted {
		full, err := s.cfg.Catalog.Filing(ctx, f.ID)
		if err != nil {
			return err
		}
		if d.Proofs[f.ID], err = s.cfg.Catalog.ProveFiling(ctx, full); err != nil {
			return err
		}
	}
	return s.render(w, http.StatusOK, "filings_rollup", s.newView(r, rq, rq.Lang, "rollup", rq.Lang.T("nav.rollup"), d))
}

func (s *server) rollupExport(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := regulator(rq); err != nil {
		return err
	}
	ctx := r.Context()
	fls, err := s.cfg.Catalog.Filings(ctx, catalog.FilingFilter{Status: catalog.Accepted})
	if err != nil {
		return err
	}
	latest := catalog.Latest(fls, catalog.Accepted)
	var keep []catalog.Filing
	for _, f := range fls {
		if latest[f.EnterpriseID].ID == f.ID {
			keep = append(keep, f)
		}
	}
	var buf bytes.Buffer
	if err := catalog.WriteRollupXLSX(&buf, keep); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="catalog-rollup.xlsx"`)
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *server) apiFilings(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	rows, err := s.filingRows(r.Context(), rq, catalog.FilingFilter{Status: q.Get("status"), Region: q.Get("region"), Limit: 1000})
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, rows)
	return nil
}

func (s *server) apiFiling(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.filingData(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := s.cfg.Catalog.Filing(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, struct {
		catalog.Filing
		Overdue bool          `json:"overdue"`
		Proof   catalog.Proof `json:"proof"`
	}{f, d.Row.Overdue, d.Proof})
	return nil
}

func (s *server) apiRollup(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := regulator(rq); err != nil {
		return err
	}
	ru, err := s.cfg.Catalog.Rollup(r.Context())
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, ru)
	return nil
}

func (s *server) apiCatalog(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseCatalog(rq); err != nil {
		return err
	}
	seq, _ := strconv.Atoi(r.URL.Query().Get("version"))
	v, err := s.cfg.Catalog.CatalogVersion(r.Context(), seq)
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, v)
	return nil
}
