package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
)

type coreCatalog struct{}

func (coreCatalog) Level(db, obj string) string {
	if obj == "public.formula" {
		return shuan.LevelCore
	}
	return ""
}

// TestLeakBecomesGradedIncident runs a scripted leak of a core table
// through the shipped rules and the correlator.
func TestLeakBecomesGradedIncident(t *testing.T) {
	e, err := detect.Load(detect.Options{Catalog: coreCatalog{}})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg(t)
	co := NewCorrelator(c)
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	var got *Incident
	for i := range 20 {
		ev := shuan.Event{ID: fmt.Sprint("ev", i), Time: t0.Add(time.Duration(i) * 10 * time.Second), Source: "pgaudit",
			Actor: "intern", Client: "10.2.3.4", Database: "erp", Object: "public.formula", Action: "SELECT", Class: "READ",
			Rows: 1000, Statement: "SELECT * FROM public.formula", Success: true}
		for _, a := range e.Process(&ev) {
			if a.Rule != "bulk-read-important" {
				continue
			}
			if a.Severity != detect.SeverityCritical || a.DataLevel != shuan.LevelCore {
				t.Errorf("alert %+v", a)
			}
			got, _ = co.Add(a)
		}
	}
	if got == nil {
		t.Fatal("no incident")
	}
	if got.Grading.Level != LevelParticularlyMajor || got.Grading.Warning != ColourRed {
		t.Errorf("grading %+v", got.Grading)
	}
	cl := c.ClocksFor(got)
	if cl[0].Due.Sub(got.Discovered) != 10*time.Minute {
		t.Errorf("phone clock %+v", cl[0])
	}
}
