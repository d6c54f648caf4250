package incident

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan/detect"
)

func cfg(t *testing.T) *Config {
	t.Helper()
	c, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGradeBands(t *testing.T) {
	c := cfg(t)
	for _, tc := range []struct {
		f           Facts
		level       string
		unconfirmed bool
	}{
		{Facts{}, LevelGeneral, true},
		{Facts{DataLevel: "core"}, LevelParticularlyMajor, true},
		{Facts{DataLevel: "important"}, LevelGeneral, true},
		{Facts{DataLevel: "important", Threat: ThreatSerious}, LevelMajor, false},
		{Facts{DataLevel: "general", Threat: ThreatFairlySerious}, LevelLarger, false},
		{Facts{LossCNY: 1e9}, LevelParticularlyMajor, true},
		{Facts{LossCNY: 1e9 - 1}, LevelMajor, false},
		{Facts{LossCNY: 1e8}, LevelMajor, false},
		{Facts{LossCNY: 1e8 - 1}, LevelLarger, true},
		{Facts{LossCNY: 1e7}, LevelLarger, true},
		{Facts{LossCNY: 1e7 - 1}, LevelGeneral, true},
		{Facts{PI: 1e8}, LevelParticularlyMajor, true},
		{Facts{PI: 1e7}, LevelMajor, false},
		{Facts{PI: 1e6}, LevelLarger, true},
		{Facts{SensitivePI: 1e7}, LevelParticularlyMajor, true},
		{Facts{SensitivePI: 1e6}, LevelMajor, false},
		{Facts{SensitivePI: 1e5}, LevelLarger, true},
		{Facts{SensitivePI: 1e5 - 1}, LevelGeneral, true},
		{Facts{OutageHours: 24}, LevelParticularlyMajor, true},
		{Facts{OutageHours: 12}, LevelMajor, false},
		{Facts{OutageHours: 8}, LevelLarger, false},
		{Facts{OutageHours: 7.9}, LevelGeneral, true},
		{Facts{OutageHours: 8, PI: 1e7}, LevelMajor, false},
	} {
		g := c.Grade(tc.f)
		if g.Level != tc.level || g.Unconfirmed != tc.unconfirmed || len(g.Met) == 0 {
			t.Errorf("%+v: got %s unconfirmed=%v %+v, want %s %v", tc.f, g.Level, g.Unconfirmed, g.Met, tc.level, tc.unconfirmed)
		}
	}
}

func TestBadConfig(t *testing.T) {
	_, err := ParseConfig([]byte("grading: []\ncorrelation: {window: 0s, by: [nose]}\n"))
	if err == nil || !strings.Contains(err.Error(), "correlation.by") || !strings.Contains(err.Error(), "grading") {
		t.Fatalf("err %v", err)
	}
}

func TestWorkflowAndClocks(t *testing.T) {
	c := cfg(t)
	co := NewCorrelator(c)
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	a := detect.Alert{ID: "a1", Rule: "bulk-read-important", RuleTitle: "leak", Risk: "leakage", Severity: "high", Time: t0,
		Actor: "app", Client: "10.0.0.1", Database: "erp", Object: "public.c", DataLevel: "core", Count: 3, PackVersion: "1"}
	in, created := co.Add(a)
	b := a
	b.ID, b.Time, b.Object, b.DataLevel = "a2", t0.Add(10*time.Minute), "public.d", ""
	in2, created2 := co.Add(b)
	if !created || created2 || in2 != in || in.AlertCount != 2 {
		t.Fatalf("correlation: %v %v %d", created, created2, in.AlertCount)
	}
	c3 := a
	c3.ID, c3.Actor, c3.Object, c3.Time = "a3", "other", "x", t0.Add(3*time.Hour)
	if _, created := co.Add(c3); !created {
		t.Error("unrelated alert joined")
	}
	if in.Grading.Level != LevelParticularlyMajor {
		t.Errorf("grade %s", in.Grading.Level)
	}
	cl := c.ClocksFor(in)
	if len(cl) < 4 || cl[0].Due != t0.Add(10*time.Minute) || cl[1].Due != t0.Add(30*time.Minute) {
		t.Fatalf("clocks %+v", cl)
	}
	if r := cl[0].Remaining(t0.Add(4 * time.Minute)); r != 6*time.Minute {
		t.Errorf("remaining %v", r)
	}
	if !cl[1].Overdue(t0.Add(31*time.Minute)) || !cl[3].Pending {
		t.Errorf("overdue/pending %+v", cl)
	}
	var te *TransitionError
	if err := in.Transition(StatusResolved, "ops", "", t0); !errors.As(err, &te) {
		t.Fatalf("skip allowed: %v", err)
	}
	for _, s := range []Status{StatusConfirmed, StatusContained, StatusResolved, StatusSummarized} {
		if err := in.Transition(s, "ops", "note "+string(s), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Transition(StatusDetected, "ops", "", t0); err == nil || !in.Closed() {
		t.Error("closed incident reopened")
	}
	if cl := c.ClocksFor(in); cl[3].Pending || cl[3].Due != t0.Add(time.Hour+720*time.Hour) {
		t.Errorf("summary clock %+v", cl[3])
	}
	rep := NewSummaryReport(in, "某某制造有限公司", t0.Add(2*time.Hour))
	txt, err := rep.Text()
	if err != nil || !strings.Contains(txt, "特别重大") || !strings.Contains(txt, "八、需要的支持") || !strings.Contains(txt, "十一、处置时间线") {
		t.Fatalf("report %v\n%s", err, txt)
	}
	if h, err := rep.HTML(); err != nil || !strings.Contains(h, "<pre>") {
		t.Fatal(err)
	}
}

func TestWarning(t *testing.T) {
	w := Warning{Colour: ColourOrange, Target: "江苏省", Text: "勒索软件活动", Issued: time.Now()}
	if err := w.Validate(); err != nil || !strings.Contains(w.Heading(), "橙色预警") {
		t.Fatal(err)
	}
	w.Colour = "green"
	if w.Validate() == nil {
		t.Error("green accepted")
	}
}

func TestSTIXShape(t *testing.T) {
	c := cfg(t)
	e, err := detect.Load(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	a := detect.Alert{ID: "a1", Rule: "pg-copy-program", RuleTitle: "copy", Family: "sigma", Risk: "illegal_transfer", Severity: "critical",
		Time: t0, Actor: "app", Client: "10.0.0.1:5432", Database: "erp", Object: "public.c", Count: 1, PackVersion: "2026.11.0", Summary: "x"}
	b := a
	b.ID, b.Rule, b.Family, b.Client = "a2", "bulk-read-important", "volume", "::1"
	co := NewCorrelator(c)
	in, _ := co.Add(a)
	co.Add(b)
	bun := ExportSTIX(Identity{Name: "enterprise-1"}, []detect.Alert{a, b}, e.Rules(), []*Incident{in})
	again := ExportSTIX(Identity{Name: "enterprise-1"}, []detect.Alert{a, b}, e.Rules(), []*Incident{in})
	if bun.ID != again.ID || !strings.HasPrefix(bun.ID, "bundle--") {
		t.Errorf("bundle ids %s %s", bun.ID, again.ID)
	}
	required := map[string][]string{
		"identity":      {"created", "modified", "name"},
		"indicator":     {"created", "modified", "pattern", "pattern_type", "valid_from"},
		"sighting":      {"created", "modified", "sighting_of_ref"},
		"observed-data": {"created", "modified", "first_observed", "last_observed", "number_observed", "object_refs"},
		"incident":      {"created", "modified", "name"},
		"relationship":  {"created", "modified", "relationship_type", "source_ref", "target_ref"},
		"user-account":  {},
		"ipv4-addr":     {"value"},
		"ipv6-addr":     {"value"},
	}
	ids := map[string]bool{}
	seen := map[string]int{}
	for _, o := range bun.Objects {
		typ, _ := o["type"].(string)
		id, _ := o["id"].(string)
		req, ok := required[typ]
		if !ok {
			t.Errorf("unexpected type %q", typ)
			continue
		}
		seen[typ]++
		if o["spec_version"] != "2.1" || !strings.HasPrefix(id, typ+"--") || len(id) != len(typ)+2+36 || id[len(typ)+2+14] != '5' {
			t.Errorf("bad common properties %v", o)
		}
		for _, r := range req {
			if _, ok := o[r]; !ok {
				t.Errorf("%s lacks %s", typ, r)
			}
		}
		for _, k := range []string{"created", "modified", "valid_from", "first_observed", "last_observed"} {
			if v, ok := o[k].(string); ok {
				if _, err := time.Parse("2006-01-02T15:04:05.000Z", v); err != nil {
					t.Errorf("%s.%s: %v", typ, k, err)
				}
			}
		}
		ids[id] = true
	}
	for _, o := range bun.Objects {
		for _, k := range []string{"sighting_of_ref", "source_ref", "target_ref", "created_by_ref"} {
			if v, ok := o[k].(string); ok && !ids[v] {
				t.Errorf("%s dangling %s", o["type"], k)
			}
		}
	}
	for _, typ := range []string{"identity", "indicator", "sighting", "observed-data", "incident", "relationship", "ipv4-addr", "ipv6-addr", "user-account"} {
		if seen[typ] == 0 {
			t.Errorf("no %s", typ)
		}
	}
}
