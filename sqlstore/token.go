package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shuan-dev/shuan"
)

const tokenColumns = `id, secret_hash, role, created_at, expires_at, used_at, used_by, created_by`

// CreateToken stores a new enrolment token; a duplicate id is ECONFLICT.
func (s *Store) CreateToken(ctx context.Context, t shuan.Token) error {
	if t.ID == "" || t.SecretHash == "" || t.Expires.IsZero() {
		return shuan.Errorf(shuan.EINVALID, "enrolment token needs an id, a secret hash and an expiry")
	}
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO enrol_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO NOTHING`,
		t.ID, t.SecretHash, string(t.Role), tm(t.Created), tm(t.Expires), tm(t.Used), t.UsedBy, t.CreatedBy)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("create token: %w", err)
	} else if !ok {
		return shuan.Errorf(shuan.ECONFLICT, "enrolment token %q already exists", t.ID)
	}
	return nil
}

// UseToken spends the token id for the node nodeID, exactly once. An unknown
// id and a wrong secret both give ENOTFOUND, with the same message; an expired
// token gives EEXPIRED and a spent one ECONFLICT.
func (s *Store) UseToken(ctx context.Context, id, secretHash string, now time.Time, nodeID string) (shuan.Token, error) {
	if now.IsZero() {
		return shuan.Token{}, shuan.Errorf(shuan.EINVALID, "using an enrolment token needs the current time")
	}
	// One conditional UPDATE decides the race: of concurrent callers only one
	// sees used_at still NULL.
	row := s.q.QueryRowContext(ctx, `
		UPDATE enrol_tokens SET used_at = $3, used_by = $4
		WHERE id = $1 AND secret_hash = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING `+tokenColumns,
		id, secretHash, tm(now), nodeID)
	t, err := scanToken(row)
	if err == nil {
		return t, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return shuan.Token{}, fmt.Errorf("use token: %w", err)
	}

	// Nothing updated: find out why.
	t, err = scanToken(s.q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM enrol_tokens WHERE id = $1`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return shuan.Token{}, shuan.Errorf(shuan.ENOTFOUND, "enrolment token not recognised")
	case err != nil:
		return shuan.Token{}, fmt.Errorf("use token: %w", err)
	case subtle.ConstantTimeCompare([]byte(t.SecretHash), []byte(secretHash)) != 1:
		return shuan.Token{}, shuan.Errorf(shuan.ENOTFOUND, "enrolment token not recognised")
	case !t.Used.IsZero():
		return shuan.Token{}, shuan.Errorf(shuan.ECONFLICT, "enrolment token already used")
	default:
		return shuan.Token{}, shuan.Errorf(shuan.EEXPIRED, "enrolment token expired at %s", t.Expires.Format(time.RFC3339))
	}
}

// FindTokens returns every enrolment token, newest first.
func (s *Store) FindTokens(ctx context.Context) ([]shuan.Token, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+tokenColumns+` FROM enrol_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	defer rows.Close()
	var out []shuan.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("find tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	return out, nil
}

func scanToken(sc scanner) (shuan.Token, error) {
	var (
		t    shuan.Token
		role string
	)
	err := sc.Scan(&t.ID, &t.SecretHash, &role, asTime(&t.Created), asTime(&t.Expires), asTime(&t.Used), &t.UsedBy, &t.CreatedBy)
	t.Role = shuan.Role(role)
	return t, err
}
