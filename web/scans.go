package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/classify"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/i18n"
	"github.com/shuan-dev/shuan/node"
	"github.com/shuan-dev/shuan/scan"
)

// ScanActions are the enterprise node's data source and scan operations;
// *node.Runtime implements them. Each appends its own audit record
// (source.add, source.remove, scan.run, label.confirm, label.override) in the
// same transaction as its change.
type ScanActions interface {
	// Sources lists the registered data sources.
	Sources(ctx context.Context) ([]node.Source, error)
	// AddSource registers a source; the password is sealed, never stored in the clear.
	AddSource(ctx context.Context, by shuan.User, name, location, password string, o node.SourceOptions) (node.Source, error)
	// RemoveSource deletes a source with its scans and reviews.
	RemoveSource(ctx context.Context, by shuan.User, idOrName string) error
	// Scans lists scans, newest first, without documents.
	Scans(ctx context.Context, f node.ScanFilter) ([]node.ScanRecord, error)
	// StartScan records a running scan and runs it in the background.
	StartScan(ctx context.Context, by shuan.User, sourceID string) (node.ScanRecord, error)
	// ScanReport returns a scan with its result and the labels in force.
	ScanReport(ctx context.Context, scanID string) (node.ScanReport, error)
	// ConfirmColumn confirms or overrides one column's label, with a reason.
	ConfirmColumn(ctx context.Context, by shuan.User, sourceID, table, column string, l node.Label, reason string) (node.ReviewLabel, error)
}

// scanPageNames are the data source and scan pages, parsed by scanRoutes.
var scanPageNames = []string{"sources", "scan"}

// scanRefresh is how often (seconds) a running scan's page reloads itself.
const scanRefresh = 2

// scanRoutes adds the data source and scan pages when Config.Scans is set,
// and the navigation link to them on every page.
func (s *server) scanRoutes(mux *http.ServeMux) {
	if s.cfg.Scans == nil {
		return
	}
	if err := s.parseScanTemplates(); err != nil {
		// The templates are embedded: a parse error is a build defect that
		// every test of the console catches.
		panic(err)
	}
	mux.Handle("GET /sources", s.page(shuan.PermRead, s.sourcesPage))
	mux.Handle("POST /sources", s.page(shuan.PermManageSources, s.sourceAdd))
	mux.Handle("POST /sources/{id}/scan", s.page(shuan.PermManageSources, s.sourceScan))
	mux.Handle("POST /sources/{id}/remove", s.page(shuan.PermManageSources, s.sourceRemove))
	mux.Handle("GET /scans/{id}", s.page(shuan.PermRead, s.scanPage))
	mux.Handle("GET /scans/{id}/download", s.page(shuan.PermRead, s.scanDownload))
	mux.Handle("POST /scans/{id}/confirm", s.page(shuan.PermReviewLabels, s.scanConfirm))
	mux.Handle("GET /api/v1/sources", s.api(shuan.PermRead, s.apiSources))
	mux.Handle("GET /api/v1/scans/{id}", s.api(shuan.PermRead, s.apiScan))
}

// parseScanTemplates adds the scan pages and defines the "nav-scans" block
// of the layout in every page, so the link appears only when scans are on.
func (s *server) parseScanTemplates() error {
	for name, t := range s.pages {
		if _, err := t.ParseFS(templateFS, "templates/scan_nav.html"); err != nil {
			return fmt.Errorf("web: parse scan navigation for %s: %w", name, err)
		}
	}
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/scan_nav.html")
	if err != nil {
		return fmt.Errorf("web: parse layout for scan pages: %w", err)
	}
	for _, name := range scanPageNames {
		t, err := base.Clone()
		if err != nil {
			return fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		if _, err := t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// enterpriseOnly hides the data work pages on ministry and province nodes.
func enterpriseOnly(rq *request) error {
	if rq.Self.Role != shuan.RoleEnterprise {
		return shuan.Errorf(shuan.ENOTFOUND, "data sources are kept at enterprise nodes")
	}
	return nil
}

// sourceForm is the add form as submitted; the password is never kept.
type sourceForm struct {
	Name, URL, Sample, Include, Exclude, Industry string
}

// sourceRow is a data source with its latest scan.
type sourceRow struct {
	node.Source
	Last     *node.ScanRecord
	LastDone *node.ScanRecord
}

// sourcesData is the content of the data sources page.
type sourcesData struct {
	Rows      []sourceRow
	Scans     []scanRow
	CanManage bool
	Form      sourceForm
	Errors    []string
}

// scanRow is a scan with its source's name.
type scanRow struct {
	node.ScanRecord
	SourceName string
}

func (s *server) sourcesData(r *http.Request, rq *request, f sourceForm) (*sourcesData, error) {
	ctx := r.Context()
	srcs, err := s.cfg.Scans.Sources(ctx)
	if err != nil {
		return nil, err
	}
	d := &sourcesData{CanManage: rq.User.Role.Can(shuan.PermManageSources), Form: f}
	names := map[string]string{}
	for _, src := range srcs {
		names[src.ID] = src.Name
		row := sourceRow{Source: src}
		last, err := s.cfg.Scans.Scans(ctx, node.ScanFilter{SourceID: src.ID, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			row.Last = &last[0]
		}
		done, err := s.cfg.Scans.Scans(ctx, node.ScanFilter{SourceID: src.ID, Status: "done", Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(done) > 0 {
			row.LastDone = &done[0]
		}
		d.Rows = append(d.Rows, row)
	}
	scans, err := s.cfg.Scans.Scans(ctx, node.ScanFilter{Limit: 50})
	if err != nil {
		return nil, err
	}
	for _, sc := range scans {
		d.Scans = append(d.Scans, scanRow{ScanRecord: sc, SourceName: names[sc.SourceID]})
	}
	return d, nil
}

func (s *server) sourcesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	d, err := s.sourcesData(r, rq, sourceForm{})
	if err != nil {
		return err
	}
	v := s.newView(r, rq, rq.Lang, "sources", rq.Lang.T("nav.sources"), d)
	if name := r.URL.Query().Get("added"); name != "" {
		v.Flash = rq.Lang.T("src.added", name)
	} else if name := r.URL.Query().Get("removed"); name != "" {
		v.Flash = rq.Lang.T("src.removed", name)
	}
	return s.render(w, http.StatusOK, "sources", v)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '，' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *server) sourceAdd(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.ETOOLARGE, "%s", rq.Lang.T("compose.err.form"))
	}
	f := sourceForm{
		Name:     strings.TrimSpace(r.PostForm.Get("name")),
		URL:      strings.TrimSpace(r.PostForm.Get("url")),
		Sample:   strings.TrimSpace(r.PostForm.Get("sample")),
		Include:  r.PostForm.Get("include"),
		Exclude:  r.PostForm.Get("exclude"),
		Industry: strings.TrimSpace(r.PostForm.Get("industry")),
	}
	var problems []string
	sample := 0
	if f.Sample != "" {
		n, err := strconv.Atoi(f.Sample)
		if err != nil || n < 0 {
			problems = append(problems, rq.Lang.T("src.err.sample"))
		}
		sample = n
	}
	if f.Name == "" {
		problems = append(problems, rq.Lang.T("src.err.name"))
	}
	if f.URL == "" {
		problems = append(problems, rq.Lang.T("src.err.url"))
	}
	if len(problems) == 0 {
		src, err := s.cfg.Scans.AddSource(r.Context(), rq.User, f.Name, f.URL, r.PostForm.Get("password"), node.SourceOptions{
			Sample: sample, Include: splitList(f.Include), Exclude: splitList(f.Exclude), Industry: f.Industry,
		})
		switch shuan.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/sources?added="+url.QueryEscape(src.Name), http.StatusSeeOther)
			return nil
		case shuan.EINVALID, shuan.ECONFLICT:
			problems = append(problems, shuan.ErrorMessage(err))
		default:
			return fmt.Errorf("add source: %w", err)
		}
	}
	// A URL with a password in it is shown again without it.
	f.URL = redactURL(f.URL)
	d, err := s.sourcesData(r, rq, f)
	if err != nil {
		return err
	}
	d.Errors = problems
	return s.render(w, http.StatusUnprocessableEntity, "sources", s.newView(r, rq, rq.Lang, "sources", rq.Lang.T("nav.sources"), d))
}

// redactURL drops the password of a URL typed into the form.
func redactURL(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return loc
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k := range q {
		switch strings.ToLower(k) {
		case "password", "passwd", "pass", "sslpassword":
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (s *server) sourceScan(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	rec, err := s.cfg.Scans.StartScan(r.Context(), rq.User, r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/scans/"+url.PathEscape(rec.ID), http.StatusSeeOther)
	return nil
}

func (s *server) sourceRemove(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	srcs, err := s.cfg.Scans.Sources(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	i := slices.IndexFunc(srcs, func(src node.Source) bool { return src.ID == id })
	if i < 0 {
		return shuan.Errorf(shuan.ENOTFOUND, "data source %q not found", id)
	}
	if err := s.cfg.Scans.RemoveSource(r.Context(), rq.User, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/sources?removed="+url.QueryEscape(srcs[i].Name), http.StatusSeeOther)
	return nil
}

// scanData is the content of one scan's page.
type scanData struct {
	Scan      node.ScanRecord
	Source    node.Source
	Result    *scan.Result
	Tables    []tableView
	Running   bool
	CanReview bool
	CanManage bool
	Errors    []string
	Cats      []option
	PIs       []option
	Levels    []option
	SubLevels []string
	History   []node.ScanRecord
}

// tableView is one table of a result, ready to show.
type tableView struct {
	scan.Table
	CategoryName string
	LevelName    string
	PIColumns    int
	Confirmed    int
	Open         bool
	Columns      []columnView
}

// columnView is one column with its label in force.
type columnView struct {
	scan.Column
	Anchor       string
	CategoryName string
	PIName       string
	LevelName    string
	Review       *node.ReviewLabel
	Evidence     []string
}

func catName(l i18n.Lang, code string) string {
	if code == "" {
		return "—"
	}
	if n := l.T("scan.cat." + code); n != "scan.cat."+code {
		return n
	}
	return code
}

func piName(l i18n.Lang, code string) string {
	if code == "" {
		return ""
	}
	if n := l.T("scan.pitype." + code); n != "scan.pitype."+code {
		return n
	}
	return code
}

func levelName(l i18n.Lang, level string, sub int) string {
	n := l.T("scan.level." + level)
	if n == "scan.level."+level {
		n = level
	}
	if level == "general" && sub > 0 {
		return l.T("scan.level.general_sub", n, sub)
	}
	return n
}

// anchor is an element id for a column: ASCII, stable, unique per result.
func anchor(ti, ci int) string { return fmt.Sprintf("col-%d-%d", ti, ci) }

func (s *server) scanData(r *http.Request, rq *request, open string) (*scanData, error) {
	rep, err := s.cfg.Scans.ScanReport(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := &scanData{Scan: rep.Scan, Source: rep.Source, Result: rep.Result,
		Running:   rep.Scan.Status == "running" || rep.Scan.Status == "queued",
		CanReview: rq.User.Role.Can(shuan.PermReviewLabels), CanManage: rq.User.Role.Can(shuan.PermManageSources)}
	if d.History, err = s.cfg.Scans.Scans(r.Context(), node.ScanFilter{SourceID: rep.Source.ID, Limit: 20}); err != nil {
		return nil, err
	}
	if rep.Result == nil {
		return d, nil
	}
	reviews := map[[2]string]*node.ReviewLabel{}
	for i := range rep.Reviews {
		rv := &rep.Reviews[i]
		reviews[[2]string{rv.Table, rv.Column}] = rv
	}
	l := rq.Lang
	for ti, t := range rep.Result.Tables {
		tv := tableView{Table: t, CategoryName: catName(l, t.Category), LevelName: levelName(l, t.Level, t.SubLevel), Open: t.Name == open}
		for ci, c := range t.Columns {
			cv := columnView{Column: c, Anchor: anchor(ti, ci), CategoryName: catName(l, c.Category),
				PIName: piName(l, c.PIType()), LevelName: levelName(l, c.Level, c.SubLevel), Review: reviews[[2]string{t.Name, c.Name}]}
			for _, e := range c.Evidence {
				cv.Evidence = append(cv.Evidence, e.Kind+" · "+e.Rule+" · "+e.Detail)
			}
			if c.PIType() != "" {
				tv.PIColumns++
			}
			if c.Confirmed {
				tv.Confirmed++
			}
			tv.Columns = append(tv.Columns, cv)
		}
		d.Tables = append(d.Tables, tv)
	}
	for _, c := range classify.Categories() {
		d.Cats = append(d.Cats, option{Value: c, Label: catName(l, c) + " (" + c + ")"})
	}
	d.PIs = append(d.PIs, option{Value: "", Label: l.T("scan.pi_none")})
	for _, p := range classify.PITypes() {
		d.PIs = append(d.PIs, option{Value: p, Label: piName(l, p) + " (" + p + ")"})
	}
	d.SubLevels = []string{"0", "1", "2", "3", "4"}
	for _, lv := range []string{"core", "important", "general"} {
		d.Levels = append(d.Levels, option{Value: lv, Label: levelName(l, lv, 0)})
	}
	return d, nil
}

func (s *server) scanPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	d, err := s.scanData(r, rq, r.URL.Query().Get("table"))
	if err != nil {
		return err
	}
	v := s.newView(r, rq, rq.Lang, "sources", rq.Lang.T("scan.title", d.Source.Name), d)
	if d.Running {
		// Reload until the background scan has finished.
		w.Header().Set("Refresh", strconv.Itoa(scanRefresh))
	}
	if col := r.URL.Query().Get("confirmed"); col != "" {
		v.Flash = rq.Lang.T("scan.confirmed_flash", col)
	}
	return s.render(w, http.StatusOK, "scan", v)
}

func (s *server) scanConfirm(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.ETOOLARGE, "%s", rq.Lang.T("compose.err.form"))
	}
	rep, err := s.cfg.Scans.ScanReport(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := r.PostForm
	table, column := f.Get("table"), f.Get("column")
	sub, _ := strconv.Atoi(f.Get("sub_level"))
	l := node.Label{Category: f.Get("category"), PI: f.Get("pi"), SensitivePI: f.Get("sensitive") != "", Level: f.Get("level"), SubLevel: sub}
	if l.Level != "general" {
		l.SubLevel = 0
	}
	var problems []string
	if strings.TrimSpace(f.Get("reason")) == "" {
		problems = append(problems, rq.Lang.T("scan.err.reason"))
	} else {
		_, err := s.cfg.Scans.ConfirmColumn(r.Context(), rq.User, rep.Source.ID, table, column, l, f.Get("reason"))
		switch shuan.ErrorCode(err) {
		case "":
			q := url.Values{"table": {table}, "confirmed": {table + "." + column}}
			http.Redirect(w, r, "/scans/"+url.PathEscape(rep.Scan.ID)+"?"+q.Encode(), http.StatusSeeOther)
			return nil
		case shuan.EINVALID, shuan.ENOTFOUND:
			problems = append(problems, shuan.ErrorMessage(err))
		default:
			return fmt.Errorf("confirm %s.%s: %w", table, column, err)
		}
	}
	d, err := s.scanData(r, rq, table)
	if err != nil {
		return err
	}
	d.Errors = problems
	return s.render(w, http.StatusUnprocessableEntity, "scan", s.newView(r, rq, rq.Lang, "sources", rq.Lang.T("scan.title", d.Source.Name), d))
}

// downloadTypes are the report formats offered for download.
var downloadTypes = map[string]string{
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"json": "application/json",
	"html": "text/html; charset=utf-8",
	"csv":  "text/csv; charset=utf-8",
}

func (s *server) scanDownload(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	ctype, ok := downloadTypes[format]
	if !ok {
		return shuan.Errorf(shuan.EINVALID, "format must be xlsx, json, html or csv")
	}
	rep, err := s.cfg.Scans.ScanReport(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if rep.Result == nil {
		return shuan.Errorf(shuan.ENOTFOUND, "scan %s has no result (status %s)", rep.Scan.ID, rep.Scan.Status)
	}
	lang := "zh"
	if rq.Lang == i18n.EN {
		lang = "en"
	}
	var buf bytes.Buffer
	if err := scan.Write(&buf, rep.Result, format, scan.WriteOptions{Lang: lang}); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	name := "shuan-scan-" + rep.Result.ScannedAt.In(beijing).Format("20060102-150405") + "." + format
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+
		url.PathEscape(rep.Source.Name+"-"+name))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = w.Write(buf.Bytes())
	if err != nil {
		s.log.Debug("write download", "scan", rep.Scan.ID, "err", err)
	}
	return nil
}

// apiSource is a data source with its latest scan, as the API shows it.
type apiSource struct {
	node.Source
	Sealed   bool             `json:"password_sealed"`
	LastScan *node.ScanRecord `json:"last_scan,omitempty"`
}

func (s *server) apiSources(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	d, err := s.sourcesData(r, rq, sourceForm{})
	if err != nil {
		return err
	}
	out := make([]apiSource, 0, len(d.Rows))
	for _, row := range d.Rows {
		out = append(out, apiSource{Source: row.Source, Sealed: row.Secret != nil, LastScan: row.Last})
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Sources []apiSource `json:"sources"`
	}{out})
	return nil
}

func (s *server) apiScan(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := enterpriseOnly(rq); err != nil {
		return err
	}
	rep, err := s.cfg.Scans.ScanReport(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if rep.Reviews == nil {
		rep.Reviews = []node.ReviewLabel{}
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Scan    node.ScanRecord    `json:"scan"`
		Source  node.Source        `json:"source"`
		Result  *scan.Result       `json:"result"`
		Reviews []node.ReviewLabel `json:"reviews"`
	}{rep.Scan, rep.Source, rep.Result, rep.Reviews})
	return nil
}
