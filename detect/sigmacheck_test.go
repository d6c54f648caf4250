//go:build sigmacheck

package detect

import (
	"context"
	"testing"

	"github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/shuan-dev/shuan"
)

// TestAgreesWithSigmaGo compares the compiled matcher with sigma-go's own
// evaluator over the map view. It needs the evaluator's dependencies, which
// go.sum lacks: go test -tags sigmacheck -modfile=ALT.mod (see BENCH_NOTES.md).
func TestAgreesWithSigmaGo(t *testing.T) {
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
	n := 0
	for _, r := range e.rules {
		if r.sigma == nil {
			continue
		}
		sr, err := sigma.ParseRule([]byte(r.info.Source))
		if err != nil {
			t.Fatal(err)
		}
		ev := evaluator.ForRule(sr)
		for i := range evs {
			res, err := ev.Matches(context.Background(), View(&evs[i], ""))
			if err != nil {
				t.Fatalf("%s: %v", r.info.ID, err)
			}
			got := e.process(&evs[i], "", []*rule{r}, []state{nil}, nil)
			if res.Match != (len(got) > 0) {
				t.Errorf("%s on %+v: sigma-go %v, ours %v", r.info.ID, evs[i].Statement, res.Match, len(got) > 0)
			}
			n++
		}
	}
	t.Logf("%d rule×event comparisons", n)
}

// BenchmarkSigmaGoEvaluator evaluates the same ≥100 Sigma-and-variant rules
// with sigma-go's evaluator over the map view (no stateful rules), for
// comparison with BenchmarkEngine.
func BenchmarkSigmaGoEvaluator(b *testing.B) {
	e := benchEngine(b)
	var evs []*evaluator.RuleEvaluator
	for _, r := range e.rules {
		if r.sigma == nil {
			continue
		}
		sr, err := sigma.ParseRule([]byte(r.info.Source))
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, evaluator.ForRule(sr))
	}
	events := benchEvents(4096)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		m := View(&events[i%len(events)], "")
		for _, ev := range evs {
			if _, err := ev.Matches(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRate(b, cpuTime()-cpu)
	b.ReportMetric(float64(len(evs)), "sigma-rules")
}
