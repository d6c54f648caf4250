package detect

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
)

// benchEngine loads the shipped packs plus generated variants of the Sigma
// rules so that at least 100 rules are loaded.
func benchEngine(tb testing.TB) *Engine {
	tb.Helper()
	src := string(must(defaultPacks.ReadFile("packs/sigma.yaml")))
	files := map[string][]byte{
		"sigma.yaml":    []byte(src),
		"stateful.yaml": must(defaultPacks.ReadFile("packs/stateful.yaml")),
	}
	for i := 1; i <= 4; i++ {
		v := strings.ReplaceAll(src, "  - id: ", fmt.Sprintf("  - id: v%d-", i))
		files[fmt.Sprintf("variant%d.yaml", i)] = []byte(v)
	}
	e, err := LoadFiles(Options{Catalog: catalog{"erp.public.customers": shuan.LevelImportant}}, files)
	if err != nil {
		tb.Fatal(err)
	}
	if n := len(e.Rules()); n < 100 {
		tb.Fatalf("only %d rules", n)
	}
	return e
}

// benchEvents is ordinary traffic with one suspicious statement in 1024.
func benchEvents(n int) []shuan.Event {
	stmts := []struct{ action, class, stmt string }{
		{"SELECT", "READ", "SELECT id, name FROM public.customers WHERE id = ?"},
		{"INSERT", "WRITE", "INSERT INTO mes.batch_record (a, b) VALUES (?, ?)"},
		{"UPDATE", "WRITE", "UPDATE mes.quality SET status = ? WHERE id = ?"},
		{"SELECT", "READ", "SELECT count(*) FROM public.orders"},
		{"LOGIN", "AUTH", ""},
		// suspicious
		{"COPY", "READ", "COPY public.customers TO PROGRAM ?"},
		{"DELETE", "WRITE", "DELETE FROM tmp WHERE ts < ?"},
		{"SELECT", "READ", "SELECT * FROM public.customers"},
	}
	out := make([]shuan.Event, n)
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	for i := range out {
		s := stmts[i%5]
		if i%1024 == 1023 { // rare suspicious events
			s = stmts[5+(i/1024)%3]
		}
		out[i] = shuan.Event{ID: fmt.Sprint("e", i), Time: t0.Add(time.Duration(i) * time.Millisecond), Source: "pgaudit",
			Actor: fmt.Sprint("user", i%50), Client: fmt.Sprint("10.0.", i%7, ".", i%200), Database: "erp",
			Object: "public.customers", Action: s.action, Class: s.class, Rows: int64(i % 100), Statement: s.stmt, Success: true}
	}
	return out
}

// BenchmarkMapView is the baseline: only converting events to the map view.
func BenchmarkMapView(b *testing.B) {
	evs := benchEvents(4096)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = View(&evs[i%len(evs)], "")
	}
	reportRate(b, cpuTime()-cpu)
}

// BenchmarkEngine runs events through ≥100 rules (Sigma and stateful).
func BenchmarkEngine(b *testing.B) {
	e := benchEngine(b)
	evs := benchEvents(4096)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	var ev shuan.Event // one reused event, as a reader would
	for i := 0; i < b.N; i++ {
		ev = evs[i%len(evs)]
		ev.Time = ev.Time.Add(time.Duration(i/len(evs)) * 5 * time.Second)
		_ = e.Process(&ev)
	}
	reportRate(b, cpuTime()-cpu)
}

// reportRate reports events per wall second and per CPU second (process
// user+system time, GC included): the latter is the per-core figure on a
// machine shared with other work.
func reportRate(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

// TestFlatMemory runs SHUAN_FLAT_MEMORY_EVENTS events (10,000,000 for the
// figure in BENCH_NOTES.md) with many distinct actors and reports the heap
// in use before and after. Skipped unless the variable is set.
func TestFlatMemory(t *testing.T) {
	n := 0
	if _, err := fmt.Sscan(os.Getenv("SHUAN_FLAT_MEMORY_EVENTS"), &n); err != nil || n <= 0 {
		t.Skip("set SHUAN_FLAT_MEMORY_EVENTS=10000000")
	}
	e := benchEngine(t)
	evs := benchEvents(4096)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	warm := min(n/10, 1_000_000)
	run := func(from, to int) {
		for i := from; i < to; i++ {
			ev := evs[i%len(evs)]
			ev.Actor = fmt.Sprint("user", i%1_000_003) // ~1M distinct actors: LRU eviction at work
			ev.Time = ev.Time.Add(time.Duration(i) * time.Millisecond)
			_ = e.Process(&ev)
		}
	}
	run(0, warm)
	before := heap()
	start := time.Now()
	run(warm, n)
	after := heap()
	t.Logf("events %d (after %d warm-up): heap in use before %.1f MiB, after %.1f MiB; state keys %d; %.0f events/s",
		n-warm, warm, float64(before)/(1<<20), float64(after)/(1<<20), e.StateKeys(), float64(n-warm)/time.Since(start).Seconds())
	if after > before*3/2+8<<20 {
		t.Errorf("heap grew from %d to %d", before, after)
	}
}
