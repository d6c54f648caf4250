package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/sqlstore/sqlstoretest"
)

// benchTiers starts ministry → province → enterprise on the given stores.
func benchTiers(b *testing.B, pg bool) (ministry, province, enterprise *tier) {
	dsn := func() string {
		if pg {
			return sqlstoretest.PostgresDSN(b)
		}
		return ""
	}
	tb := b
	ministry = serve(tb, newNodeDB(tb, shuan.RoleMinistry, "部", "", "", dsn()))
	province = enrol(tb, ministry, newNodeDB(tb, shuan.RoleProvince, "江苏", "320000", "", dsn()))
	enterprise = enrol(tb, province, newNode(tb, shuan.RoleEnterprise, "特钢", "320281", "C31"))
	return
}

// BenchmarkFederationThroughput queues b.N probes at an enterprise and
// measures until all are recorded at the ministry, two hops up.
func BenchmarkFederationThroughput(b *testing.B) {
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(store, func(b *testing.B) {
			ctx := context.Background()
			ministry, _, ent := benchTiers(b, store == "postgres")
			b.ResetTimer()
			start := time.Now()
			ids, err := ent.Probe(ctx, b.N, "bench")
			if err != nil {
				b.Fatal(err)
			}
			waitAll(b, ministry, ids)
			el := time.Since(start)
			b.ReportMetric(float64(b.N)/el.Seconds(), "envelopes/s")
		})
	}
}

// BenchmarkFederationTrip sends one probe at a time and reports the p50 and
// p99 of its trip from signing at the enterprise to commit at the ministry.
func BenchmarkFederationTrip(b *testing.B) {
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(store, func(b *testing.B) {
			ctx := context.Background()
			ministry, _, ent := benchTiers(b, store == "postgres")
			b.ResetTimer()
			var trips []time.Duration
			for i := 0; i < b.N; i++ {
				ids, err := ent.Probe(ctx, 1, "trip")
				if err != nil {
					b.Fatal(err)
				}
				waitAll(b, ministry, ids)
				e, err := ministry.DB.FindEnvelope(ctx, ids[0])
				if err != nil {
					b.Fatal(err)
				}
				trips = append(trips, e.Received.Sub(e.IssuedAt))
			}
			slices.Sort(trips)
			b.ReportMetric(float64(trips[len(trips)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(trips[len(trips)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func waitAll(b *testing.B, ministry *tier, ids []string) {
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Minute)
	for i := 0; i < len(ids); {
		if _, err := ministry.DB.FindEnvelope(ctx, ids[i]); err == nil {
			i++
			continue
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d probes arrived", i, len(ids))
		}
		time.Sleep(time.Millisecond)
	}
}
