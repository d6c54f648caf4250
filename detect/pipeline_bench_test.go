package detect

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ingest"
)

// pgauditLines builds n single-line pgaudit records of a busy ERP database.
func pgauditLines(n int) [][]byte {
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		var b bytes.Buffer
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [12442] app@erp 10.0.3.%d(52454) LOG:  AUDIT: SESSION,%d,1,READ,SELECT,TABLE,public.customers,\"SELECT id, mobile FROM public.customers WHERE mobile = '1380013%04d' AND id IN (1, 2, 3)\",<not logged>,%d\n", i%1000, i%250, i, i%10000, i%500)
		case 1:
			fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [12443] app@erp 10.0.3.%d(52470) LOG:  AUDIT: SESSION,%d,1,WRITE,UPDATE,TABLE,public.orders,\"update orders set status = 'shipped' where id = %d\",<not logged>,1\n", i%1000, i%250, i, i)
		case 2:
			fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [12444] etl@erp 10.0.3.%d(52471) LOG:  AUDIT: SESSION,%d,1,WRITE,DELETE,TABLE,public.cart_items,\"delete from cart_items where created < '2026-01-01'\",<not logged>,%d\n", i%1000, i%250, i, i%100)
		}
		out = append(out, b.Bytes())
	}
	return out
}

// BenchmarkPipeline measures what issue 5 asks for: pgaudit lines through
// parse + normalise (fingerprint, id) + the engine with ≥100 rules, next to
// parse + normalise alone, in the same run. Run with -cpu 1 for per-core figures.
func BenchmarkPipeline(b *testing.B) {
	lines := pgauditLines(3000)
	p, err := ingest.NewParser("pgaudit", ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, e *Engine) {
		var ev shuan.Event
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		parsed := 0
		for i := 0; i < b.N; i++ {
			line := lines[i%len(lines)]
			ok, err := p.Parse(line, ingest.Position{Origin: "/bench", Key: strconv.Itoa(i)}, &ev)
			if err != nil || !ok {
				b.Fatalf("line %d not parsed: %v", i, err)
			}
			parsed++
			if e != nil {
				_ = e.Process(&ev)
			}
		}
		reportRate(b, cpuTime()-cpu)
		if parsed != b.N {
			b.Fatalf("%d of %d parsed", parsed, b.N)
		}
	}
	b.Run("parse", func(b *testing.B) { run(b, nil) })
	e := benchEngine(b)
	if n := len(e.Rules()); n < 100 {
		b.Fatalf("engine has %d rules, want ≥ 100", n)
	}
	b.Run("parse+detect", func(b *testing.B) { run(b, e) })
}
