package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/sqlstore"
)

func TestIncidentsKeepHighestRevisionAndAlertsOnce(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { testMonitorStore(t, e.open(t)) })
	}
}

func testMonitorStore(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := detect.Alert{ID: "a1", Rule: "r", Risk: shuan.RiskLeakage, Severity: "high", Time: now}
	for i, want := range []bool{true, false} {
		if ins, err := db.SaveAlert(ctx, a, "inc-1"); err != nil || ins != want {
			t.Fatalf("save alert #%d: %v %v", i, ins, err)
		}
	}
	if got, err := db.FindAlerts(ctx, shuan.RiskLeakage, 0); err != nil || len(got) != 1 || got[0].IncidentID != "inc-1" {
		t.Fatalf("alerts %+v %v", got, err)
	}
	rec := func(rev int64, st incident.Status) sqlstore.IncidentRecord {
		return sqlstore.IncidentRecord{Revision: rev, NodeID: "e1", Region: "320281", Industry: "C31",
			Incident: incident.Incident{ID: "inc-1", Status: st, Discovered: now, Updated: now,
				Grading: incident.Grading{Level: incident.LevelMajor}}}
	}
	for _, c := range []struct {
		rev  int64
		st   incident.Status
		want bool
	}{{2, incident.StatusConfirmed, true}, {1, incident.StatusDetected, false}, {2, incident.StatusConfirmed, true}, {3, incident.StatusContained, true}} {
		if ch, err := db.SaveIncident(ctx, rec(c.rev, c.st)); err != nil || ch != c.want {
			t.Fatalf("save r%d: %v %v", c.rev, ch, err)
		}
	}
	other := rec(9, incident.StatusResolved)
	other.NodeID = "e2"
	if ch, _ := db.SaveIncident(ctx, other); ch {
		t.Errorf("another node overwrote the incident")
	}
	got, err := db.FindIncident(ctx, "inc-1")
	if err != nil || got.Revision != 3 || got.Incident.Status != incident.StatusContained {
		t.Fatalf("stored %+v %v", got, err)
	}
	for _, f := range []sqlstore.IncidentFilter{{Region: "320000"}, {Industry: "C3"}, {Level: incident.LevelMajor, Open: true}} {
		if l, err := db.FindIncidents(ctx, f); err != nil || len(l) != 1 {
			t.Errorf("filter %+v: %d %v", f, len(l), err)
		}
	}
	if l, _ := db.FindIncidents(ctx, sqlstore.IncidentFilter{Region: "440000"}); len(l) != 0 {
		t.Errorf("region filter leaks")
	}
	w := sqlstore.WarningRecord{ID: "w1", Colour: incident.ColourRed, Title: "t", Text: "x", Origin: "m", Issued: now, Target: shuan.Target{All: true}}
	if err := db.SaveWarning(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveWarning(ctx, w); err != nil {
		t.Fatal(err)
	}
	if ws, err := db.FindWarnings(ctx, 0); err != nil || len(ws) != 1 || !ws[0].Target.All {
		t.Fatalf("warnings %+v %v", ws, err)
	}
}
