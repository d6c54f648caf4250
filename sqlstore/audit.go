package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shuan-dev/shuan/ledger"
)

const auditColumns = `seq, at, actor, action, object, detail, prev, hash`

// AppendAudit appends a record to the hash-chained audit log and returns it.
// Appends are serialised so that the chain never forks. The time is kept to
// the microsecond, and the record is hashed with the time as stored.
func (s *Store) AppendAudit(ctx context.Context, at time.Time, actor, action, object, detail string) (ledger.Record, error) {
	at = at.UTC().Truncate(time.Microsecond)
	var rec ledger.Record
	err := s.atomic(ctx, func(s *Store) error {
		if err := s.lock(ctx, "audit_log"); err != nil {
			return err
		}
		var prev *ledger.Record
		last, err := scanAudit(s.q.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT 1`))
		if err == nil {
			prev = &last
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		rec = ledger.Next(prev, at, actor, action, object, detail)
		_, err = s.q.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			rec.Seq, rec.At.UnixMicro(), rec.Actor, rec.Action, rec.Object, rec.Detail, rec.Prev, rec.Hash)
		return err
	})
	if err != nil {
		return ledger.Record{}, fmt.Errorf("append audit: %w", err)
	}
	return rec, nil
}

// AuditRecords returns up to limit records (all if limit <= 0) after the
// sequence number afterSeq, in order.
func (s *Store) AuditRecords(ctx context.Context, afterSeq int64, limit int) ([]ledger.Record, error) {
	q, args := withLimit(`SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq`, []any{afterSeq}, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit records: %w", err)
	}
	defer rows.Close()
	var out []ledger.Record
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("audit records: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit records: %w", err)
	}
	return out, nil
}

func scanAudit(sc scanner) (ledger.Record, error) {
	var r ledger.Record
	err := sc.Scan(&r.Seq, asTime(&r.At), &r.Actor, &r.Action, &r.Object, &r.Detail, &r.Prev, &r.Hash)
	return r, err
}
