package classify

import (
	"math/rand"
	"testing"
)

func TestDevExamples(t *testing.T) {
	e, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.TestExamples() {
		for _, x := range r.Examples {
			if !x.Pass {
				t.Errorf("%s:%d %s match=%v %q: %s", r.File, x.Line, r.Rule, x.Match, x.Input, x.Got)
			}
		}
	}
}

func TestDevShow(t *testing.T) {
	e, _ := Load()
	r := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		t   Table
		ind string
	}{{hrTable(r, 150000), ""}, {mesProcessTable(r), "C3110"}, {scadaTable(r), ""}, {erpCustomerTable(r), ""}, {logTable(), ""}, {userTable(), ""}, {vehicleTrackTable(r), "automotive"}, {plmTable(), "machinery"}} {
		tl := e.Classify(c.t, Options{Industry: c.ind})
		t.Logf("== %s: %s %s/%d", c.t.Name, tl.Category, tl.Level, tl.SubLevel)
		for _, ev := range tl.Evidence {
			t.Logf("     T %s %s %s", ev.Kind, ev.Rule, ev.Detail)
		}
		for i, cl := range tl.Columns {
			t.Logf("  %-12s %-22s %-14s s=%v %s/%d %.2f", c.t.Columns[i].Name, cl.Category, cl.PI, cl.SensitivePI, cl.Level, cl.SubLevel, cl.Confidence)
			for _, ev := range cl.Evidence {
				t.Logf("       %s %s %s", ev.Kind, ev.Rule, ev.Detail)
			}
		}
	}
}
