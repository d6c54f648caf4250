package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shuan-dev/shuan"
)

// EnvelopeFilter selects stored envelopes; empty fields match everything and
// a Limit of 0 or less means no limit.
type EnvelopeFilter struct {
	Kind   string
	Origin string
	Limit  int
}

const envelopeColumns = `id, kind, origin, from_node, issued_at, received_at, raw`

// InsertEnvelope stores e verbatim. It reports false, with no error, when an
// envelope with the same id is already stored; that one is left unchanged.
func (s *Store) InsertEnvelope(ctx context.Context, e shuan.StoredEnvelope) (bool, error) {
	if e.ID == "" || len(e.Raw) == 0 {
		return false, shuan.Errorf(shuan.EINVALID, "stored envelope needs an id and its raw bytes")
	}
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO envelopes (`+envelopeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO NOTHING`,
		e.ID, e.Kind, e.Origin, e.From, tm(e.IssuedAt), tm(e.Received), e.Raw)
	if err != nil {
		return false, fmt.Errorf("insert envelope %q: %w", e.ID, err)
	}
	ok, err := inserted(res)
	if err != nil {
		return false, fmt.Errorf("insert envelope %q: %w", e.ID, err)
	}
	return ok, nil
}

// FindEnvelope returns the stored envelope with the given id.
func (s *Store) FindEnvelope(ctx context.Context, id string) (shuan.StoredEnvelope, error) {
	e, err := scanEnvelope(s.q.QueryRowContext(ctx, `SELECT `+envelopeColumns+` FROM envelopes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return shuan.StoredEnvelope{}, shuan.Errorf(shuan.ENOTFOUND, "envelope %q not found", id)
	} else if err != nil {
		return shuan.StoredEnvelope{}, fmt.Errorf("find envelope %q: %w", id, err)
	}
	return e, nil
}

// FindEnvelopes returns the envelopes matching f, most recently received first.
func (s *Store) FindEnvelopes(ctx context.Context, f EnvelopeFilter) ([]shuan.StoredEnvelope, error) {
	var (
		where []string
		args  []any
	)
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, "kind = $"+strconv.Itoa(len(args)))
	}
	if f.Origin != "" {
		args = append(args, f.Origin)
		where = append(where, "origin = $"+strconv.Itoa(len(args)))
	}
	q := `SELECT ` + envelopeColumns + ` FROM envelopes`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q, args = withLimit(q+" ORDER BY received_at DESC, id DESC", args, f.Limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find envelopes: %w", err)
	}
	defer rows.Close()
	var out []shuan.StoredEnvelope
	for rows.Next() {
		e, err := scanEnvelope(rows)
		if err != nil {
			return nil, fmt.Errorf("find envelopes: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find envelopes: %w", err)
	}
	return out, nil
}

// CountEnvelopes returns how many envelopes of kind are stored; "" counts all.
func (s *Store) CountEnvelopes(ctx context.Context, kind string) (int, error) {
	var (
		n   int
		err error
	)
	if kind == "" {
		err = s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM envelopes`).Scan(&n)
	} else {
		err = s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM envelopes WHERE kind = $1`, kind).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count envelopes: %w", err)
	}
	return n, nil
}

func scanEnvelope(sc scanner) (shuan.StoredEnvelope, error) {
	var e shuan.StoredEnvelope
	err := sc.Scan(&e.ID, &e.Kind, &e.Origin, &e.From, asTime(&e.IssuedAt), asTime(&e.Received), &e.Raw)
	return e, err
}
