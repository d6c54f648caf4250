package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shuan-dev/shuan"
)

const userColumns = `id, name, role, created_at, disabled`

// CreateUser stores a new account with its password hash; a duplicate id or
// name is ECONFLICT.
func (s *Store) CreateUser(ctx context.Context, u shuan.User, passwordHash string) error {
	if u.ID == "" || u.Name == "" {
		return shuan.Errorf(shuan.EINVALID, "user needs an id and a name")
	}
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO users (id, name, role, created_at, disabled, password_hash) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`,
		u.ID, u.Name, string(u.Role), tm(u.Created), boolInt(u.Disabled), passwordHash)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	} else if !ok {
		return shuan.Errorf(shuan.ECONFLICT, "user %q already exists", u.Name)
	}
	return nil
}

// FindUserByName returns the account called name and its password hash.
func (s *Store) FindUserByName(ctx context.Context, name string) (shuan.User, string, error) {
	var hash string
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = $1`, name), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return shuan.User{}, "", shuan.Errorf(shuan.ENOTFOUND, "user %q not found", name)
	} else if err != nil {
		return shuan.User{}, "", fmt.Errorf("find user %q: %w", name, err)
	}
	return u, hash, nil
}

// FindUser returns the account with the given id.
func (s *Store) FindUser(ctx context.Context, id string) (shuan.User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return shuan.User{}, shuan.Errorf(shuan.ENOTFOUND, "user %q not found", id)
	} else if err != nil {
		return shuan.User{}, fmt.Errorf("find user %q: %w", id, err)
	}
	return u, nil
}

// FindUsers returns every account, by name.
func (s *Store) FindUsers(ctx context.Context) ([]shuan.User, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	var out []shuan.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return out, nil
}

// SetUserDisabled disables or re-enables the account id.
func (s *Store) SetUserDisabled(ctx context.Context, id string, disabled bool) error {
	return s.updateUser(ctx, id, `UPDATE users SET disabled = $2 WHERE id = $1`, boolInt(disabled))
}

// SetPasswordHash replaces the password hash of the account id.
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string) error {
	return s.updateUser(ctx, id, `UPDATE users SET password_hash = $2 WHERE id = $1`, hash)
}

func (s *Store) updateUser(ctx context.Context, id, q string, v any) error {
	res, err := s.q.ExecContext(ctx, q, id, v)
	if err != nil {
		return fmt.Errorf("update user %q: %w", id, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("update user %q: %w", id, err)
	} else if !ok {
		return shuan.Errorf(shuan.ENOTFOUND, "user %q not found", id)
	}
	return nil
}

// CreateSession stores a new session for an existing user.
func (s *Store) CreateSession(ctx context.Context, se shuan.Session) error {
	if se.TokenHash == "" || se.Expires.IsZero() {
		return shuan.Errorf(shuan.EINVALID, "session needs a token hash and an expiry")
	}
	// INSERT … SELECT writes nothing for an unknown user instead of failing on
	// the foreign key, which would abort a PostgreSQL transaction.
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
		SELECT CAST($1 AS TEXT), id, CAST($3 AS BIGINT), CAST($4 AS BIGINT) FROM users WHERE id = $2
		ON CONFLICT (token_hash) DO NOTHING`,
		se.TokenHash, se.UserID, tm(se.Created), tm(se.Expires))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("create session: %w", err)
	} else if ok {
		return nil
	}
	if _, err := s.FindUser(ctx, se.UserID); err != nil {
		return err
	}
	return shuan.Errorf(shuan.ECONFLICT, "session already exists")
}

// FindSession returns the live session with the given token hash and its
// user. A missing or expired session, or a disabled user, is EUNAUTHORIZED.
func (s *Store) FindSession(ctx context.Context, tokenHash string, now time.Time) (shuan.Session, shuan.User, error) {
	var (
		se shuan.Session
		u  shuan.User
	)
	row := s.q.QueryRowContext(ctx, `
		SELECT s.token_hash, s.user_id, s.created_at, s.expires_at, u.id, u.name, u.role, u.created_at, u.disabled
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, tokenHash)
	var (
		role     string
		disabled int
	)
	err := row.Scan(&se.TokenHash, &se.UserID, asTime(&se.Created), asTime(&se.Expires),
		&u.ID, &u.Name, &role, asTime(&u.Created), &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return shuan.Session{}, shuan.User{}, shuan.Errorf(shuan.EUNAUTHORIZED, "session not found")
	} else if err != nil {
		return shuan.Session{}, shuan.User{}, fmt.Errorf("find session: %w", err)
	}
	u.Role, u.Disabled = shuan.UserRole(role), disabled != 0
	switch {
	case !now.Before(se.Expires):
		return shuan.Session{}, shuan.User{}, shuan.Errorf(shuan.EUNAUTHORIZED, "session expired")
	case u.Disabled:
		return shuan.Session{}, shuan.User{}, shuan.Errorf(shuan.EUNAUTHORIZED, "user %q is disabled", u.Name)
	}
	return se, u, nil
}

// DeleteSession ends the session with the given token hash; ending one that
// does not exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions expired at now and reports how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, tm(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(n), nil
}

func scanUser(sc scanner, extra ...any) (shuan.User, error) {
	var (
		u        shuan.User
		role     string
		disabled int
	)
	if err := sc.Scan(append([]any{&u.ID, &u.Name, &role, asTime(&u.Created), &disabled}, extra...)...); err != nil {
		return shuan.User{}, err
	}
	u.Role, u.Disabled = shuan.UserRole(role), disabled != 0
	return u, nil
}
