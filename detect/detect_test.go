package detect

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
)

func mustLoad(t testing.TB) *Engine {
	t.Helper()
	e, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestShippedExamples(t *testing.T) {
	e := mustLoad(t)
	counts := map[string]int{}
	for _, r := range e.TestExamples() {
		fam := "stateful"
		if r.Kind == "sigma" {
			fam = "sigma"
		}
		counts[fam]++
		for _, x := range r.Examples {
			if !x.Pass {
				t.Errorf("%s %s:%d match=%v %s: %s", r.Rule, r.File, x.Line, x.Match, x.Input, x.Got)
			}
		}
	}
	if counts["sigma"] < 15 || counts["stateful"] < 6 {
		t.Errorf("rule counts %v", counts)
	}
	if p := e.Pack(); p.Name != "shuan-detect" || len(p.SM3) != 64 {
		t.Errorf("pack %+v", p)
	}
}

type catalog map[string]string

func (c catalog) Level(db, obj string) string { return c[db+"."+obj] }

func ev(t time.Time, actor, obj, action string, rows int64) *shuan.Event {
	return &shuan.Event{ID: fmt.Sprint(t.UnixNano(), actor, obj), Time: t, Actor: actor, Client: "10.0.0.9", Database: "erp",
		Object: obj, Action: action, Class: "READ", Rows: rows, Success: true}
}

const volumePack = `pack: {name: t, version: "1"}
stateful:
  - id: v
    title: v
    kind: volume
    risk: leakage
    match: {actions: [SELECT]}
    params: {window: 10m, min_rows: 1000, baseline: {factor: 4, min_windows: 2, min: 100}}
    examples:
      match: [[{action: SELECT, rows: 1000}]]
`

func TestVolumeWindowAndCatalog(t *testing.T) {
	e, err := LoadFiles(Options{Catalog: catalog{"erp.public.c": shuan.LevelCore}, MaxKeys: 100}, map[string][]byte{"v.yaml": []byte(volumePack)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	if a := e.Process(ev(t0, "u", "public.c", "SELECT", 600)); len(a) != 0 {
		t.Fatalf("early alert %v", a)
	}
	// 10m+ later the first read has left the window.
	if a := e.Process(ev(t0.Add(10*time.Minute+time.Second), "u", "public.c", "SELECT", 600)); len(a) != 0 {
		t.Fatalf("window did not slide: %v", a)
	}
	a := e.Process(ev(t0.Add(11*time.Minute), "u", "public.c", "SELECT", 600))
	if len(a) != 1 {
		t.Fatalf("want alert, got %v", a)
	}
	if a[0].DataLevel != shuan.LevelCore || a[0].Severity != SeverityCritical || a[0].Rows != 1200 || len(a[0].EventIDs) != 3 {
		t.Errorf("alert %+v", a[0])
	}
	if !strings.Contains(a[0].Summary, "核心数据") || a[0].PackVersion != "1" {
		t.Errorf("summary %q", a[0].Summary)
	}
	// Cooldown: no second alert inside the window.
	if a := e.Process(ev(t0.Add(12*time.Minute), "u", "public.c", "SELECT", 600)); len(a) != 0 {
		t.Errorf("alert during cooldown: %v", a)
	}
}

func TestBaselineLearning(t *testing.T) {
	e, err := LoadFiles(Options{}, map[string][]byte{"v.yaml": []byte(volumePack)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	for i := range 3 {
		if a := e.Process(ev(t0.Add(time.Duration(i)*10*time.Minute), "u", "o", "SELECT", 50)); len(a) != 0 {
			t.Fatalf("alert while learning: %v", a)
		}
	}
	// 150 rows: below min_rows, below min 100? no: above min 100 but 150 < 4×50.
	if a := e.Process(ev(t0.Add(30*time.Minute), "u", "o", "SELECT", 150)); len(a) != 0 {
		t.Fatalf("alert under baseline factor: %v", a)
	}
	a := e.Process(ev(t0.Add(40*time.Minute), "u", "o", "SELECT", 500))
	if len(a) != 1 || !strings.Contains(a[0].Detail, "baseline") {
		t.Fatalf("want baseline alert, got %+v", a)
	}
}

func TestLRUBoundsMemory(t *testing.T) {
	e, err := LoadFiles(Options{MaxKeys: 50}, map[string][]byte{"v.yaml": []byte(volumePack)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	for i := range 10000 {
		e.Process(ev(t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprint("actor", i), "o", "SELECT", 1))
	}
	if n := e.StateKeys(); n != 50 {
		t.Errorf("state keys %d, want 50", n)
	}
	l := newLRU[int](2)
	l.get([]byte("a"), true)
	l.get([]byte("b"), true)
	l.get([]byte("a"), false) // a is now most recent
	l.get([]byte("c"), true)
	if _, ok := l.get([]byte("b"), false); ok {
		t.Error("b should have been evicted")
	}
	if _, ok := l.get([]byte("a"), false); !ok {
		t.Error("a should remain")
	}
}

func TestOffHoursAndUnknown(t *testing.T) {
	e := mustLoad(t)
	night := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC) // 23:00 Shanghai
	x := &shuan.Event{ID: "1", Time: night, Actor: "app", Client: "10.0.0.1", Class: "AUTH", Action: "LOGIN", Success: true, Rows: -1}
	found := false
	for _, a := range e.Process(x) {
		found = found || a.Rule == "off-hours-access"
	}
	if !found {
		t.Error("off-hours login not detected")
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	bad := `pack: {name: t, version: "1"}
sigma:
  - id: Bad ID
    risk: nope
    rule:
      title: x
      logsource: {category: database}
      detection:
        sel:
          nosuchfield: 1
          statement|frobnicate: x
        condition: sel | count() > 5
    examples:
      match: [{action: X}]
stateful:
  - id: s
    title: s
    kind: volume
    risk: leakage
    typo: 1
    params: {window: 10m, group_by: [nobody], extra: 2}
    examples:
      match: [[{action: X}]]
`
	_, err := LoadFiles(Options{}, map[string][]byte{"bad.yaml": []byte(bad)})
	var pe *PackError
	if !errors.As(err, &pe) {
		t.Fatalf("want PackError, got %v", err)
	}
	want := []string{"bad.yaml:3: id", "bad.yaml:4: risk", "bad.yaml:10:", "bad.yaml:11:", "aggregations", "bad.yaml:20: stateful[0].typo", "bad.yaml:21: params.extra"}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
}

func TestUserPackReplacesEmbedded(t *testing.T) {
	dir := t.TempDir()
	pack := strings.Replace(volumePack, "name: t", "name: shuan-detect", 1)
	pack = strings.Replace(pack, `version: "1"`, `version: "2027.1"`, 1)
	writeFile(t, dir+"/p.yaml", pack)
	e, err := Load(Options{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if e.Pack().Version != "2027.1" || len(e.Rules()) != 1 {
		t.Errorf("pack %+v rules %d", e.Pack(), len(e.Rules()))
	}
}

func TestLoadWithFiles(t *testing.T) {
	pack := strings.Replace(volumePack, "name: t", "name: province-js", 1)
	e, err := LoadWithFiles(Options{}, map[string][]byte{"province-js.yaml": []byte(pack)})
	if err != nil {
		t.Fatal(err)
	}
	if p := e.Pack(); p.Name != "shuan-detect+province-js" || p.Version != "2026.11.0+1" || len(e.Rules()) != 31 {
		t.Errorf("pack %+v, %d rules", p, len(e.Rules()))
	}
}

func FuzzLoadPack(f *testing.F) {
	f.Add([]byte(volumePack))
	f.Add(must(defaultPacks.ReadFile("packs/sigma.yaml")))
	f.Add(must(defaultPacks.ReadFile("packs/stateful.yaml")))
	f.Add([]byte("pack: [1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := LoadFiles(Options{MaxKeys: 4}, map[string][]byte{"f.yaml": b})
		if err != nil {
			var pe *PackError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		e.TestExamples()
		e.Process(&shuan.Event{Time: time.Unix(0, 0), Action: "SELECT", Statement: "select 1"})
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestKeywordIndexAgrees checks that the Aho–Corasick statement index gives
// the same Sigma results as plain substring and regexp evaluation.
func TestKeywordIndexAgrees(t *testing.T) {
	e := mustLoad(t)
	var evs []shuan.Event
	evs = append(evs, benchEvents(64)...)
	for _, r := range e.rules {
		for _, x := range r.examples {
			for _, re := range x.events {
				evs = append(evs, re.event(exampleBase, "x"))
			}
		}
	}
	for _, s := range []string{"copy x to program ?", "SELECT * FROM PG_AUTHID", "grant all", "set pgaudit.log = ?", "to program to program", "xp_cmdshellxp_cmdshell"} {
		evs = append(evs, shuan.Event{Action: "COPY", Statement: s})
	}
	var ctx evalCtx
	var se searchEval
	for i := range evs {
		for _, r := range e.rules {
			if r.sigma == nil {
				continue
			}
			ctx.kw = e.ctx.kw
			ctx.reset(&evs[i], "")
			with := r.sigma.match(&ctx, &se)
			ctx.kw = nil
			ctx.reset(&evs[i], "")
			without := r.sigma.match(&ctx, &se)
			if with != without {
				t.Errorf("%s on %q: index %v, plain %v", r.info.ID, evs[i].Statement, with, without)
			}
		}
	}
}

func TestWindowOutOfOrder(t *testing.T) {
	var w window
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	width := time.Minute
	w.add(t0, width, 10)
	w.add(t0.Add(5*time.Minute), width, 10)
	if c, r := w.add(t0.Add(2*time.Minute), width, 10); c != 3 || r != 30 {
		t.Errorf("late event in window: %d %d", c, r)
	}
	if c, _ := w.add(t0.Add(-20*time.Minute), width, 10); c != 3 {
		t.Errorf("event older than the window counted: %d", c)
	}
	if c, r := w.add(t0.Add(12*time.Minute+30*time.Second), width, 1); c != 3 || r != 21 {
		t.Errorf("slide: %d %d", c, r) // t0 bucket left; +2m, +5m, +12m30s remain
	}
}
