package sqlstore_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/sqlstore"
)

// raw is a plausible signed envelope's size.
var raw = bytes.Repeat([]byte("x"), 1024)

func BenchmarkInsertEnvelope(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			now := time.Now()
			i := 0
			for b.Loop() {
				i++
				_, err := db.InsertEnvelope(ctx, shuan.StoredEnvelope{
					ID: fmt.Sprintf("env-%d", i), Kind: shuan.KindHeartbeat, Origin: "e1", From: "e1",
					IssuedAt: now, Received: now, Raw: raw,
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "envelopes/s")
		})
	}
}

// BenchmarkOutbox measures one envelope's life in the outbox: enqueued, then
// marked delivered with a receipt.
func BenchmarkOutbox(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			now := time.Now()
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("env-%d", i)
				if err := db.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: id, Kind: shuan.KindHeartbeat, Raw: raw, Created: now}); err != nil {
					b.Fatal(err)
				}
				if err := db.MarkDelivered(ctx, id, now, []byte(`{"status":"accepted"}`)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkReceiveTx measures the federation's receive path: store the
// envelope, apply an effect, queue it for the parent — in one transaction.
func BenchmarkReceiveTx(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			now := time.Now()
			if err := db.UpsertNode(ctx, shuan.Node{ID: "e1", Name: "e1", Role: shuan.RoleEnterprise, Enrolled: now}); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("env-%d", i)
				err := db.Tx(ctx, func(s *sqlstore.Store) error {
					if _, err := s.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: id, Kind: shuan.KindHeartbeat, Origin: "e1", Received: now, Raw: raw}); err != nil {
						return err
					}
					if err := s.TouchNode(ctx, "e1", now, shuan.Health{Version: "v1"}); err != nil {
						return err
					}
					return s.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: id, Kind: shuan.KindHeartbeat, Raw: raw, Created: now})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "envelopes/s")
		})
	}
}

// BenchmarkInsertEnvelopeBatch stores envelopes 100 to a transaction, as a
// receiver draining a backlog could.
func BenchmarkInsertEnvelopeBatch(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			now := time.Now()
			i := 0
			for b.Loop() {
				err := db.Tx(ctx, func(s *sqlstore.Store) error {
					for range 100 {
						i++
						_, err := s.InsertEnvelope(ctx, shuan.StoredEnvelope{
							ID: fmt.Sprintf("env-%d", i), Kind: shuan.KindHeartbeat, Origin: "e1", Received: now, Raw: raw,
						})
						if err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "envelopes/s")
		})
	}
}
