package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/sqlstore"
	"github.com/shuan-dev/shuan/web"
)

// fakeMonitor keeps incidents, alerts and warnings in the console's store
// without detecting or federating anything.
type fakeMonitor struct {
	db   *sqlstore.DB
	self shuan.Node
	cfg  *incident.Config
}

func (f *fakeMonitor) Incidents(ctx context.Context, fl sqlstore.IncidentFilter) ([]sqlstore.IncidentRecord, error) {
	return f.db.FindIncidents(ctx, fl)
}
func (f *fakeMonitor) Incident(ctx context.Context, id string) (sqlstore.IncidentRecord, error) {
	return f.db.FindIncident(ctx, id)
}
func (f *fakeMonitor) Alerts(ctx context.Context, risk string, limit int) ([]sqlstore.StoredAlert, error) {
	return f.db.FindAlerts(ctx, risk, limit)
}
func (f *fakeMonitor) Warnings(ctx context.Context, limit int) ([]sqlstore.WarningRecord, error) {
	return f.db.FindWarnings(ctx, limit)
}
func (f *fakeMonitor) TransitionIncident(ctx context.Context, by shuan.User, id string, to incident.Status, note string) (sqlstore.IncidentRecord, error) {
	rec, err := f.db.FindIncident(ctx, id)
	if err != nil {
		return rec, err
	}
	if err := rec.Incident.Transition(to, by.Name, note, t0); err != nil {
		return rec, shuan.Errorf(shuan.ECONFLICT, "%s", err.Error())
	}
	rec.Revision++
	_, err = f.db.SaveIncident(ctx, rec)
	return rec, err
}
func (f *fakeMonitor) SendWarning(ctx context.Context, by shuan.User, w fed.WarningBody) (sqlstore.WarningRecord, error) {
	if err := w.Validate(); err != nil {
		return sqlstore.WarningRecord{}, err
	}
	rec := sqlstore.WarningRecord{ID: "w-" + w.Title, Colour: w.Colour, Title: w.Title, Text: w.Text, Target: w.Target,
		Origin: f.self.ID, OriginName: f.self.Name, Issued: t0}
	return rec, f.db.SaveWarning(ctx, rec)
}

// seedIncident stores a core-data leak at steel, as the monitor would.
func seedIncident(t *testing.T, db *sqlstore.DB) sqlstore.IncidentRecord {
	t.Helper()
	cfg, err := incident.ParseConfig(incident.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	a := detect.Alert{ID: "a1", Rule: "bulk-read-important", RuleTitle: "重要/核心数据批量读取", Risk: shuan.RiskLeakage,
		Severity: detect.SeverityCritical, Time: t0.Add(-5 * 60e9), Actor: "intern", Database: "erp", Object: "public.formula",
		DataLevel: shuan.LevelCore, Summary: "账号 intern 读取核心数据 public.formula 共 20000 行", SummaryEN: "intern read 20000 rows"}
	in, _ := incident.NewCorrelator(cfg).Add(a)
	rec := sqlstore.IncidentRecord{Incident: *in, Revision: 1, NodeID: steel.ID, NodeName: steel.Name, Region: steel.Region,
		Industry: steel.Industry, Clocks: cfg.ClocksFor(in), Initial: incident.NewInitialReport(in, steel.Name, t0)}
	if _, err := db.SaveIncident(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveAlert(context.Background(), a, in.ID); err != nil {
		t.Fatal(err)
	}
	return rec
}

func withMonitor(c **fakeMonitor, self shuan.Node) func(*web.Config) {
	return func(cfg *web.Config) {
		*c = &fakeMonitor{db: cfg.Store.(*sqlstore.DB), self: self}
		cfg.Monitor = *c
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

func TestIncidentBoardDetailAndTransition(t *testing.T) {
	var fm *fakeMonitor
	c := newConsole(t, steel, withMonitor(&fm, steel))
	rec := seedIncident(t, c.db)
	id := rec.Incident.ID
	officer := c.login("officer")
	resp, body := c.get(officer, "/incidents")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "特别重大") || !strings.Contains(body, id) || !strings.Contains(body, "已超时") {
		t.Fatalf("board %d: %s", resp.StatusCode, body)
	}
	if _, body = c.get(officer, "/"); !strings.Contains(body, `href="/incidents"`) || !strings.Contains(body, `href="/events"`) {
		t.Errorf("navigation lacks the monitoring pages")
	}
	resp, body = c.get(officer, "/incidents/"+id)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "transition-form") || !strings.Contains(body, "数据安全事件") {
		t.Fatalf("detail %d: %s", resp.StatusCode, body)
	}
	if _, body = c.get(c.login("analyst"), "/incidents/"+id); strings.Contains(body, "transition-form") {
		t.Errorf("analyst offered the transition form")
	}
	if resp, body = c.get(officer, "/incidents/"+id, "Cookie", "lang=en"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Timeline") || !strings.Contains(body, "Confirm") {
		t.Errorf("English detail %d: %s", resp.StatusCode, body)
	}
	resp = c.post(officer, "/incidents/"+id+"/transition", url.Values{"to": {"confirmed"}, "note": {"已核实"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("transition: %d", resp.StatusCode)
	}
	if got, _ := c.db.FindIncident(context.Background(), id); got.Incident.Status != incident.StatusConfirmed || got.Revision != 2 {
		t.Errorf("after transition: %s r%d", got.Incident.Status, got.Revision)
	}
	resp = c.post(officer, "/incidents/"+id+"/transition", url.Values{"to": {"summarized"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "error=") {
		t.Errorf("skipping a step: %d %s", resp.StatusCode, loc)
	}
	if resp, body = c.get(officer, "/events"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "public.formula") {
		t.Errorf("events %d: %s", resp.StatusCode, body)
	}
	resp, body = c.get(officer, "/api/v1/incidents?level=particularly_major")
	var out struct {
		Incidents []struct {
			Incident struct{ ID string }    `json:"incident"`
			Next     *struct{ Name string } `json:"next_clock"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != http.StatusOK || len(out.Incidents) != 1 || out.Incidents[0].Incident.ID != id {
		t.Errorf("API %d %v: %s", resp.StatusCode, err, body)
	}
}

func TestWarningsComposeAtMinistryOnly(t *testing.T) {
	var fm *fakeMonitor
	c := newConsole(t, ministry, withMonitor(&fm, ministry))
	officer := c.login("officer")
	if _, body := c.get(officer, "/warnings"); !strings.Contains(body, "warning-form") {
		t.Fatalf("no compose form at the ministry")
	}
	resp, body := c.postBody(officer, "/warnings", url.Values{"colour": {"red"}, "title": {"勒索病毒"}, "text": {""}, "target": {"all"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "warning-error") {
		t.Errorf("empty text: %d", resp.StatusCode)
	}
	resp = c.post(officer, "/warnings", url.Values{"colour": {"orange"}, "title": {"勒索病毒"}, "text": {"排查"}, "target": {"region:320000"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	if _, body = c.get(officer, "/warnings"); !strings.Contains(body, "橙色") || !strings.Contains(body, "勒索病毒") {
		t.Errorf("warning not listed: %s", body)
	}
	if resp := c.post(c.login("analyst"), "/warnings", url.Values{"colour": {"red"}, "title": {"x"}, "text": {"y"}, "target": {"all"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst sending: %d", resp.StatusCode)
	}
	e := newConsole(t, steel, withMonitor(&fm, steel))
	if _, body := e.get(e.login("officer"), "/warnings"); strings.Contains(body, "warning-form") {
		t.Errorf("compose form at an enterprise")
	}
}

func TestIncidentBoardAtMinistryByRegionAndIndustry(t *testing.T) {
	var fm *fakeMonitor
	c := newConsole(t, ministry, withMonitor(&fm, ministry))
	rec := seedIncident(t, c.db)
	cl := c.login("analyst")
	resp, body := c.get(cl, "/incidents")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "incident-regions") || !strings.Contains(body, "industry=C31") || !strings.Contains(body, steel.Name) {
		t.Fatalf("ministry board %d: %s", resp.StatusCode, body)
	}
	if _, body = c.get(cl, "/incidents?region=440000"); !strings.Contains(body, "no-incidents") {
		t.Errorf("Guangdong filter shows Jiangsu's incident")
	}
	if resp, body = c.get(c.login("officer"), "/incidents/"+rec.Incident.ID); resp.StatusCode != http.StatusOK || strings.Contains(body, "transition-form") {
		t.Errorf("transition form at the ministry")
	}
}
