package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shuan-dev/shuan"
)

// AppendDown adds d to the downward feed and returns its sequence number,
// one more than the last. An envelope already in the feed keeps its place:
// its existing number is returned.
//
// Appends are serialised, so numbers become visible in increasing order and a
// child reading with DownSince never skips one that commits later.
func (s *Store) AppendDown(ctx context.Context, d shuan.DownItem) (int64, error) {
	if d.EnvelopeID == "" || len(d.Raw) == 0 {
		return 0, shuan.Errorf(shuan.EINVALID, "down item needs an envelope id and raw bytes")
	}
	target, err := json.Marshal(d.Target)
	if err != nil {
		return 0, fmt.Errorf("append down: encode target: %w", err)
	}
	var seq int64
	err = s.atomic(ctx, func(s *Store) error {
		if err := s.lock(ctx, "down_feed"); err != nil {
			return err
		}
		err := s.q.QueryRowContext(ctx, `SELECT seq FROM down_feed WHERE envelope_id = $1`, d.EnvelopeID).Scan(&seq)
		if err == nil {
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM down_feed`).Scan(&seq); err != nil {
			return err
		}
		_, err = s.q.ExecContext(ctx, `
			INSERT INTO down_feed (seq, envelope_id, kind, target, raw, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			seq, d.EnvelopeID, d.Kind, string(target), d.Raw, tm(d.Created))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("append down %q: %w", d.EnvelopeID, err)
	}
	return seq, nil
}

// DownSince returns up to limit feed items numbered after after, in order.
func (s *Store) DownSince(ctx context.Context, after int64, limit int) ([]shuan.DownItem, error) {
	q, args := withLimit(`SELECT seq, envelope_id, kind, target, raw, created_at FROM down_feed
		WHERE seq > $1 ORDER BY seq`, []any{after}, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("down since %d: %w", after, err)
	}
	defer rows.Close()
	var out []shuan.DownItem
	for rows.Next() {
		var (
			d      shuan.DownItem
			target string
		)
		if err := rows.Scan(&d.Seq, &d.EnvelopeID, &d.Kind, &target, &d.Raw, asTime(&d.Created)); err != nil {
			return nil, fmt.Errorf("down since %d: %w", after, err)
		}
		if err := json.Unmarshal([]byte(target), &d.Target); err != nil {
			return nil, fmt.Errorf("down item %d target: %w", d.Seq, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("down since %d: %w", after, err)
	}
	return out, nil
}

// LastDownSeq returns the number of the newest feed item, 0 when empty.
func (s *Store) LastDownSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM down_feed`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last down seq: %w", err)
	}
	return seq, nil
}
