package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/node"
)

// MonitorActions are the monitoring, incident and warning operations of a
// node; *node.Runtime implements them. The runtime audits its own changes.
type MonitorActions interface {
	// Incidents lists the incidents known here (an enterprise's own; at a
	// province or the ministry, those reported up from below).
	Incidents(ctx context.Context, f node.IncidentFilter) ([]node.IncidentRecord, error)
	// Incident returns one incident record.
	Incident(ctx context.Context, id string) (node.IncidentRecord, error)
	// Alerts lists recent alerts raised at this (enterprise) node.
	Alerts(ctx context.Context, risk string, limit int) ([]node.StoredAlert, error)
	// Warnings lists the warnings sent from or received at this node.
	Warnings(ctx context.Context, limit int) ([]node.WarningRecord, error)
	// TransitionIncident moves an incident of this enterprise one workflow
	// step on and reports it up.
	TransitionIncident(ctx context.Context, by shuan.User, id string, to incident.Status, note string) (node.IncidentRecord, error)
	// SendWarning signs and sends a warning down (province and ministry).
	SendWarning(ctx context.Context, by shuan.User, w fed.WarningBody) (node.WarningRecord, error)
}

// monitorPageNames are the monitoring pages, parsed by monitorRoutes.
var monitorPageNames = []string{"incidents", "incident", "warnings", "events"}

// incidentLevels are the emergency plan's levels, most severe first.
var incidentLevels = []string{incident.LevelParticularlyMajor, incident.LevelMajor, incident.LevelLarger, incident.LevelGeneral}

// workflow is the order of incident states.
var workflow = []incident.Status{incident.StatusDetected, incident.StatusConfirmed, incident.StatusContained, incident.StatusResolved, incident.StatusSummarized}

// monitorRoutes adds the event, incident and warning pages when Config.Monitor is set.
func (s *server) monitorRoutes(mux *http.ServeMux) {
	if s.cfg.Monitor == nil {
		return
	}
	if err := s.parseMonitorTemplates(); err != nil {
		panic(err) // embedded templates: a parse error is a build defect every console test catches
	}
	mux.Handle("GET /incidents", s.page(shuan.PermRead, s.incidentsPage))
	mux.Handle("GET /incidents/{id}", s.page(shuan.PermRead, s.incidentPage))
	mux.Handle("POST /incidents/{id}/transition", s.page(shuan.PermSendNotice, s.incidentTransition))
	mux.Handle("GET /warnings", s.page(shuan.PermRead, s.warningsPage))
	mux.Handle("POST /warnings", s.page(shuan.PermSendNotice, s.warningPost))
	mux.Handle("GET /events", s.page(shuan.PermRead, s.eventsPage))
	mux.Handle("GET /api/v1/incidents", s.api(shuan.PermRead, s.apiIncidents))
	mux.Handle("GET /api/v1/incidents/{id}", s.api(shuan.PermRead, s.apiIncident))
	mux.Handle("GET /api/v1/warnings", s.api(shuan.PermRead, s.apiWarnings))
	mux.Handle("GET /api/v1/alerts", s.api(shuan.PermRead, s.apiAlerts))
}

// parseMonitorTemplates defines the "nav-monitor" block in every page and
// adds the monitoring pages, cloned from the overview.
func (s *server) parseMonitorTemplates() error {
	for name, t := range s.pages {
		if _, err := t.ParseFS(templateFS, "templates/incident_nav.html"); err != nil {
			return fmt.Errorf("web: parse monitor navigation for %s: %w", name, err)
		}
	}
	base, ok := s.pages["overview"]
	if !ok {
		return fmt.Errorf("web: no overview page to base the monitoring pages on")
	}
	for _, name := range monitorPageNames {
		t, err := base.Clone()
		if err != nil {
			return fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		if _, err := t.Funcs(monitorFuncs).ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

var monitorFuncs = map[string]any{
	"colourZH": incident.ColourZH,
	"levelSev": func(level string) string {
		switch level {
		case incident.LevelParticularlyMajor, incident.LevelMajor:
			return "sev-urgent"
		case incident.LevelLarger:
			return "sev-warning"
		}
		return "sev-info"
	},
	"colourSev": func(c string) string {
		switch c {
		case incident.ColourRed, incident.ColourOrange:
			return "sev-urgent"
		case incident.ColourYellow:
			return "sev-warning"
		}
		return "sev-info"
	},
	"alertSev": func(s string) string {
		switch s {
		case "critical", "high":
			return "sev-urgent"
		case "medium":
			return "sev-warning"
		}
		return "sev-info"
	},
}

// clockRow is one reporting clock at the time of the request.
type clockRow struct {
	incident.Clock
	RemainingSeconds int64  `json:"remaining_seconds"`
	Overdue          bool   `json:"overdue"`
	Text             string `json:"text"`
}

// incidentRow is an incident with its clocks evaluated now.
type incidentRow struct {
	node.IncidentRecord
	Clocks []clockRow `json:"clock_states"`
	Next   *clockRow  `json:"next_clock,omitempty"` // the most urgent clock still running
	// OverdueCount counts clocks past due on an incident not closed.
	OverdueCount int `json:"overdue_clocks"`
}

func clockTextOf(rq *request, c incident.Clock, now time.Time) string {
	switch {
	case c.Pending:
		return rq.Lang.T("clock.pending")
	case c.Overdue(now):
		return rq.Lang.T("clock.overdue", now.Sub(c.Due).Truncate(time.Second).String())
	default:
		return rq.Lang.T("clock.remaining", c.Remaining(now).Truncate(time.Second).String())
	}
}

func rowOf(rq *request, rec node.IncidentRecord) incidentRow {
	row := incidentRow{IncidentRecord: rec}
	now := rq.Now
	for _, c := range rec.Clocks {
		cr := clockRow{Clock: c, RemainingSeconds: int64(c.Remaining(now).Seconds()), Overdue: c.Overdue(now), Text: clockTextOf(rq, c, now)}
		row.Clocks = append(row.Clocks, cr)
	}
	if rec.Incident.Closed() {
		return row
	}
	for i, c := range row.Clocks {
		if c.Overdue {
			row.OverdueCount++
			continue
		}
		if !c.Pending && (row.Next == nil || c.Due.Before(row.Next.Due)) {
			row.Next = &row.Clocks[i]
		}
	}
	return row
}

// incidentFilter reads the list filters from the query.
func incidentFilter(r *http.Request) node.IncidentFilter {
	q := r.URL.Query()
	return node.IncidentFilter{Level: q.Get("level"), Status: q.Get("status"), Region: q.Get("region"),
		Industry: q.Get("industry"), Open: q.Get("open") == "1", Limit: 500}
}

// incidentsData is the content of the incident board.
type incidentsData struct {
	Filter     node.IncidentFilter
	Rows       []incidentRow
	ByLevel    []countRow
	ByRegion   []countRow
	ByIndustry []countRow
	Overdue    int
	Levels     []string
	Statuses   []incident.Status
	Charts     *incidentCharts
}

// trendDays is how many days the incident trend chart covers.
const trendDays = 30

// incidentCharts is what the incident board's ECharts read from the page.
type incidentCharts struct {
	Trend      incidentTrend `json:"trend"`
	ByRegion   []chartItem   `json:"by_region,omitempty"`
	ByIndustry []chartItem   `json:"by_industry,omitempty"`
}

// incidentTrend counts incidents discovered per day (Beijing time), one
// series per level.
type incidentTrend struct {
	Days   []string      `json:"days"`
	Series []trendSeries `json:"series"`
}

type trendSeries struct {
	Name   string `json:"name"`
	Level  string `json:"level"`
	Values []int  `json:"values"`
}

// newIncidentCharts builds the trend over the last trendDays days and the
// breakdowns by province and industry.
func newIncidentCharts(rq *request, recs []node.IncidentRecord, now time.Time, byRegion, byIndustry []countRow) *incidentCharts {
	c := &incidentCharts{}
	today := now.In(beijing)
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, beijing).AddDate(0, 0, -(trendDays - 1))
	for i := 0; i < trendDays; i++ {
		c.Trend.Days = append(c.Trend.Days, start.AddDate(0, 0, i).Format("01-02"))
	}
	idx := map[string]int{}
	for i, l := range incidentLevels {
		idx[l] = i
		c.Trend.Series = append(c.Trend.Series, trendSeries{Name: rq.Lang.T("level." + l), Level: l, Values: make([]int, trendDays)})
	}
	for _, rec := range recs {
		d := int(rec.Incident.Discovered.In(beijing).Sub(start).Hours() / 24)
		if i, ok := idx[rec.Incident.Grading.Level]; ok && d >= 0 && d < trendDays {
			c.Trend.Series[i].Values[d]++
		}
	}
	for _, r := range byRegion {
		c.ByRegion = append(c.ByRegion, chartItem{Code: r.Key, Name: r.Label, Value: r.N})
	}
	for _, r := range byIndustry {
		c.ByIndustry = append(c.ByIndustry, chartItem{Code: r.Key, Name: r.Label, Value: r.N})
	}
	return c
}

// countRow is one bar of a breakdown.
type countRow struct {
	Key   string
	Label string
	N     int
}

func (s *server) incidentsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := incidentFilter(r)
	recs, err := s.cfg.Monitor.Incidents(r.Context(), f)
	if err != nil {
		return err
	}
	d := &incidentsData{Filter: f, Levels: incidentLevels, Statuses: workflow}
	byLevel, byRegion, byIndustry := map[string]int{}, map[string]int{}, map[string]int{}
	for _, rec := range recs {
		row := rowOf(rq, rec)
		d.Rows = append(d.Rows, row)
		if row.OverdueCount > 0 {
			d.Overdue++
		}
		byLevel[rec.Incident.Grading.Level]++
		if len(rec.Region) >= 2 {
			byRegion[rec.Region[:2]+"0000"]++
		}
		if len(rec.Industry) >= 3 {
			byIndustry[rec.Industry[:3]]++
		}
	}
	for _, l := range incidentLevels {
		d.ByLevel = append(d.ByLevel, countRow{Key: l, Label: rq.Lang.T("level." + l), N: byLevel[l]})
	}
	for k, n := range byRegion {
		d.ByRegion = append(d.ByRegion, countRow{Key: k, Label: shuan.ProvinceName(k), N: n})
	}
	for k, n := range byIndustry {
		d.ByIndustry = append(d.ByIndustry, countRow{Key: k, Label: shuan.IndustryName(k), N: n})
	}
	byKey := func(a, b countRow) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(d.ByRegion, byKey)
	slices.SortFunc(d.ByIndustry, byKey)
	if rq.Self.Role != shuan.RoleEnterprise {
		d.Charts = newIncidentCharts(rq, recs, s.now(), d.ByRegion, d.ByIndustry)
	}
	return s.render(w, http.StatusOK, "incidents", s.newView(r, rq, rq.Lang, "incidents", rq.Lang.T("nav.incidents"), d))
}

// incidentData is the content of one incident's page.
type incidentData struct {
	Row         incidentRow
	Next        incident.Status // the next workflow step, "" when closed
	CanChange   bool
	InitialText string
	SummaryText string
	Error       string
}

func (s *server) incidentDetail(r *http.Request, rq *request) (*incidentData, error) {
	rec, err := s.cfg.Monitor.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := &incidentData{Row: rowOf(rq, rec)}
	if i := slices.Index(workflow, rec.Incident.Status); i >= 0 && i+1 < len(workflow) {
		d.Next = workflow[i+1]
	}
	d.CanChange = d.Next != "" && rq.Self.Role == shuan.RoleEnterprise && rec.NodeID == rq.Self.ID && rq.User.Role.Can(shuan.PermSendNotice)
	if d.InitialText, err = rec.Initial.Text(); err != nil {
		return nil, err
	}
	if rec.Summary != nil {
		if d.SummaryText, err = rec.Summary.Text(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *server) incidentPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.incidentDetail(r, rq)
	if err != nil {
		return err
	}
	d.Error = r.URL.Query().Get("error")
	return s.render(w, http.StatusOK, "incident", s.newView(r, rq, rq.Lang, "incidents", d.Row.Incident.Title, d))
}

func (s *server) incidentTransition(w http.ResponseWriter, r *http.Request, rq *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "bad form")
	}
	id := r.PathValue("id")
	_, err := s.cfg.Monitor.TransitionIncident(r.Context(), rq.User, id, incident.Status(r.PostForm.Get("to")), strings.TrimSpace(r.PostForm.Get("note")))
	back := "/incidents/" + url.PathEscape(id)
	if c := shuan.ErrorCode(err); c == shuan.EINVALID || c == shuan.ECONFLICT {
		back += "?error=" + url.QueryEscape(shuan.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// warningsData is the content of the warnings page.
type warningsData struct {
	Rows       []node.WarningRecord
	CanCompose bool
	Colours    []string
	Error      string
	Form       struct{ Colour, Title, Text, Risk, Target string }
}

func (s *server) warningsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderWarnings(w, r, rq, &warningsData{}, http.StatusOK)
}

func (s *server) renderWarnings(w http.ResponseWriter, r *http.Request, rq *request, d *warningsData, status int) error {
	ws, err := s.cfg.Monitor.Warnings(r.Context(), 200)
	if err != nil {
		return err
	}
	d.Rows, d.Colours = ws, incident.Colours()
	d.CanCompose = rq.Self.Role != shuan.RoleEnterprise && rq.User.Role.Can(shuan.PermSendNotice)
	if d.Form.Target == "" {
		d.Form.Target = "all"
	}
	return s.render(w, status, "warnings", s.newView(r, rq, rq.Lang, "warnings", rq.Lang.T("nav.warnings"), d))
}

// parseTargetText reads "all", "region:320000", "industry:C31", "node:ID", comma-separated.
func parseTargetText(s string) (shuan.Target, error) {
	var t shuan.Target
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), ":")
		switch k {
		case "all":
			t.All = true
		case "region":
			t.Regions = append(t.Regions, v)
		case "industry":
			t.Industries = append(t.Industries, v)
		case "node":
			t.Nodes = append(t.Nodes, v)
		case "":
		default:
			return t, shuan.Errorf(shuan.EINVALID, "target %q: want all, region:CODE, industry:CODE or node:ID", part)
		}
	}
	return t, t.Validate()
}

func (s *server) warningPost(w http.ResponseWriter, r *http.Request, rq *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 128<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "bad form")
	}
	d := &warningsData{}
	f := r.PostForm
	d.Form.Colour, d.Form.Title, d.Form.Text, d.Form.Risk, d.Form.Target = f.Get("colour"), strings.TrimSpace(f.Get("title")),
		strings.TrimSpace(f.Get("text")), f.Get("risk"), f.Get("target")
	t, err := parseTargetText(d.Form.Target)
	if err == nil {
		_, err = s.cfg.Monitor.SendWarning(r.Context(), rq.User, fed.WarningBody{Colour: d.Form.Colour, Title: d.Form.Title,
			Text: d.Form.Text, Risk: d.Form.Risk, Target: t})
	}
	if c := shuan.ErrorCode(err); c == shuan.EINVALID {
		d.Error = shuan.ErrorMessage(err)
		return s.renderWarnings(w, r, rq, d, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/warnings", http.StatusSeeOther)
	return nil
}

// eventsData is the content of the events page.
type eventsData struct {
	Risk   string
	Risks  []string
	Alerts []node.StoredAlert
}

func (s *server) eventsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Self.Role != shuan.RoleEnterprise {
		return shuan.Errorf(shuan.ENOTFOUND, "events are kept at enterprise nodes")
	}
	risk := r.URL.Query().Get("risk")
	as, err := s.cfg.Monitor.Alerts(r.Context(), risk, 500)
	if err != nil {
		return err
	}
	d := &eventsData{Risk: risk, Alerts: as, Risks: []string{shuan.RiskLeakage, shuan.RiskTampering, shuan.RiskAbuse,
		shuan.RiskIllegalTransfer, shuan.RiskIllegalAccess, shuan.RiskTrafficAnomaly, shuan.RiskRansomware, shuan.RiskSupplyChain}}
	return s.render(w, http.StatusOK, "events", s.newView(r, rq, rq.Lang, "events", rq.Lang.T("nav.events"), d))
}

func (s *server) apiIncidents(w http.ResponseWriter, r *http.Request, rq *request) error {
	recs, err := s.cfg.Monitor.Incidents(r.Context(), incidentFilter(r))
	if err != nil {
		return err
	}
	rows := make([]incidentRow, 0, len(recs))
	for _, rec := range recs {
		rows = append(rows, rowOf(rq, rec))
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Incidents []incidentRow `json:"incidents"`
	}{rows})
	return nil
}

func (s *server) apiIncident(w http.ResponseWriter, r *http.Request, rq *request) error {
	rec, err := s.cfg.Monitor.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, rowOf(rq, rec))
	return nil
}

func (s *server) apiWarnings(w http.ResponseWriter, r *http.Request, rq *request) error {
	ws, err := s.cfg.Monitor.Warnings(r.Context(), 200)
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []node.WarningRecord{}
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Warnings []node.WarningRecord `json:"warnings"`
	}{ws})
	return nil
}

func (s *server) apiAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	as, err := s.cfg.Monitor.Alerts(r.Context(), r.URL.Query().Get("risk"), 500)
	if err != nil {
		return err
	}
	if as == nil {
		as = []node.StoredAlert{}
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Alerts []node.StoredAlert `json:"alerts"`
	}{as})
	return nil
}
