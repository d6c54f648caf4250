package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shuan-dev/shuan"
)

// An outbox item starts pending, may be retried any number of times, and ends
// delivered or rejected. Marking an item with the state it already ended in
// is a no-op; moving it from one end state to another is ECONFLICT.

const outboxColumns = `envelope_id, kind, raw, state, attempts, next_attempt, last_error, created_at, done_at, receipt`

// Enqueue adds it to the outbox as pending. An item with the same EnvelopeID
// already queued is left unchanged. A zero NextAttempt means "at Created".
func (s *Store) Enqueue(ctx context.Context, it shuan.OutboxItem) error {
	if it.EnvelopeID == "" || len(it.Raw) == 0 || it.Created.IsZero() {
		return shuan.Errorf(shuan.EINVALID, "outbox item needs an envelope id, raw bytes and a creation time")
	}
	if it.NextAttempt.IsZero() {
		it.NextAttempt = it.Created
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO outbox (envelope_id, kind, raw, state, attempts, next_attempt, last_error, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (envelope_id) DO NOTHING`,
		it.EnvelopeID, it.Kind, it.Raw, shuan.OutboxPending, it.Attempts, tm(it.NextAttempt), it.LastError, tm(it.Created))
	if err != nil {
		return fmt.Errorf("enqueue %q: %w", it.EnvelopeID, err)
	}
	return nil
}

// DueOutbox returns up to limit pending items whose next attempt is at or
// before now, oldest first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]shuan.OutboxItem, error) {
	q, args := withLimit(`SELECT `+outboxColumns+` FROM outbox
		WHERE state = $1 AND next_attempt <= $2
		ORDER BY created_at, envelope_id`, []any{shuan.OutboxPending, tm(now)}, limit)
	return s.queryOutbox(ctx, "due outbox", q, args...)
}

// FindOutbox returns up to limit items in state ("" for any), newest first.
func (s *Store) FindOutbox(ctx context.Context, state string, limit int) ([]shuan.OutboxItem, error) {
	q := `SELECT ` + outboxColumns + ` FROM outbox`
	var args []any
	if state != "" {
		q += ` WHERE state = $1`
		args = append(args, state)
	}
	q, args = withLimit(q+` ORDER BY created_at DESC, envelope_id DESC`, args, limit)
	return s.queryOutbox(ctx, "find outbox", q, args...)
}

// MarkDelivered ends the item id as delivered at the given time with the
// parent's receipt.
func (s *Store) MarkDelivered(ctx context.Context, id string, at time.Time, receipt []byte) error {
	return s.markDone(ctx, id, shuan.OutboxDelivered, `
		UPDATE outbox SET state = $2, done_at = $3, receipt = $4
		WHERE envelope_id = $1 AND state = 'pending'`,
		id, shuan.OutboxDelivered, tm(at), receipt)
}

// MarkRejected ends the item id as rejected by the parent, keeping reason as
// its last error; it will not be sent again.
func (s *Store) MarkRejected(ctx context.Context, id string, at time.Time, reason string) error {
	return s.markDone(ctx, id, shuan.OutboxRejected, `
		UPDATE outbox SET state = $2, done_at = $3, last_error = $4
		WHERE envelope_id = $1 AND state = 'pending'`,
		id, shuan.OutboxRejected, tm(at), reason)
}

// MarkRetry records a failed attempt on the pending item id and when to try
// next.
func (s *Store) MarkRetry(ctx context.Context, id string, attempts int, next time.Time, lastErr string) error {
	if next.IsZero() {
		return shuan.Errorf(shuan.EINVALID, "retry of %q needs a next attempt time", id)
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE outbox SET attempts = $2, next_attempt = $3, last_error = $4
		WHERE envelope_id = $1 AND state = 'pending'`,
		id, attempts, tm(next), lastErr)
	if err != nil {
		return fmt.Errorf("mark retry %q: %w", id, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("mark retry %q: %w", id, err)
	} else if ok {
		return nil
	}
	state, err := s.outboxState(ctx, id)
	if err != nil {
		return err
	}
	return shuan.Errorf(shuan.ECONFLICT, "outbox item %q is already %s", id, state)
}

// markDone moves a pending item to the end state to with the UPDATE q.
func (s *Store) markDone(ctx context.Context, id, to, q string, args ...any) error {
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("mark %s %q: %w", to, id, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("mark %s %q: %w", to, id, err)
	} else if ok {
		return nil
	}
	state, err := s.outboxState(ctx, id)
	if err != nil {
		return err
	} else if state != to {
		return shuan.Errorf(shuan.ECONFLICT, "outbox item %q is already %s", id, state)
	}
	return nil
}

func (s *Store) outboxState(ctx context.Context, id string) (string, error) {
	var state string
	err := s.q.QueryRowContext(ctx, `SELECT state FROM outbox WHERE envelope_id = $1`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", shuan.Errorf(shuan.ENOTFOUND, "outbox item %q not found", id)
	} else if err != nil {
		return "", fmt.Errorf("outbox item %q: %w", id, err)
	}
	return state, nil
}

// OutboxStats counts the outbox by state.
func (s *Store) OutboxStats(ctx context.Context) (shuan.OutboxStats, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT state, COUNT(*), MIN(created_at) FROM outbox GROUP BY state`)
	if err != nil {
		return shuan.OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	defer rows.Close()
	var st shuan.OutboxStats
	for rows.Next() {
		var (
			state  string
			n      int
			oldest time.Time
		)
		if err := rows.Scan(&state, &n, asTime(&oldest)); err != nil {
			return shuan.OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
		}
		switch state {
		case shuan.OutboxPending:
			st.Pending, st.OldestPending = n, oldest
		case shuan.OutboxDelivered:
			st.Delivered = n
		case shuan.OutboxRejected:
			st.Rejected = n
		}
	}
	if err := rows.Err(); err != nil {
		return shuan.OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	return st, nil
}

func (s *Store) queryOutbox(ctx context.Context, what, q string, args ...any) ([]shuan.OutboxItem, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []shuan.OutboxItem
	for rows.Next() {
		var it shuan.OutboxItem
		err := rows.Scan(&it.EnvelopeID, &it.Kind, &it.Raw, &it.State, &it.Attempts, asTime(&it.NextAttempt),
			&it.LastError, asTime(&it.Created), asTime(&it.Delivered), &it.Receipt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
