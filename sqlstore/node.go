package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
)

const nodeColumns = `id, name, role, region, industry, uscc, parent_id, cert_pem,
	enrolled_at, last_seen, health, revoked_at, is_key`

// UpsertNode inserts n or updates every field of the node with its ID. Some
// fields only move one way: LastSeen never goes back (a zero LastSeen keeps
// the stored one), Health is replaced only by a non-zero report that is not
// older than the stored LastSeen, and a revocation is never undone.
func (s *Store) UpsertNode(ctx context.Context, n shuan.Node) error {
	health, err := encodeHealth(n.Health)
	if err != nil {
		return err
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO nodes (`+nodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET
			name = excluded.name,
			role = excluded.role,
			region = excluded.region,
			industry = excluded.industry,
			uscc = excluded.uscc,
			parent_id = excluded.parent_id,
			cert_pem = excluded.cert_pem,
			is_key = excluded.is_key,
			enrolled_at = COALESCE(excluded.enrolled_at, nodes.enrolled_at),
			revoked_at = COALESCE(nodes.revoked_at, excluded.revoked_at),
			health = CASE
				WHEN excluded.health IS NOT NULL
					AND (excluded.last_seen IS NULL OR nodes.last_seen IS NULL OR excluded.last_seen >= nodes.last_seen)
				THEN excluded.health ELSE nodes.health END,
			last_seen = CASE
				WHEN nodes.last_seen IS NULL OR excluded.last_seen > nodes.last_seen
				THEN excluded.last_seen ELSE nodes.last_seen END`,
		n.ID, n.Name, string(n.Role), n.Region, n.Industry, n.USCC, n.ParentID, n.CertPEM,
		tm(n.Enrolled), tm(n.LastSeen), health, tm(n.Revoked), boolInt(n.Key))
	if err != nil {
		return fmt.Errorf("upsert node %q: %w", n.ID, err)
	}
	return nil
}

// FindNode returns the node with the given id.
func (s *Store) FindNode(ctx context.Context, id string) (shuan.Node, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+nodeColumns+` FROM nodes WHERE id = $1`, id)
	n, err := scanNode(row)
	if errors.Is(err, sql.ErrNoRows) {
		return shuan.Node{}, shuan.Errorf(shuan.ENOTFOUND, "node %q not found", id)
	} else if err != nil {
		return shuan.Node{}, fmt.Errorf("find node %q: %w", id, err)
	}
	return n, nil
}

// FindNodes returns the nodes matching f, ordered by tier (ministry,
// province, enterprise), region and name.
func (s *Store) FindNodes(ctx context.Context, f shuan.NodeFilter) ([]shuan.Node, error) {
	var (
		q     strings.Builder
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Under != "" {
		// UNION rather than UNION ALL: a cycle in bad data ends the recursion.
		q.WriteString(`WITH RECURSIVE subtree (id) AS (
			SELECT id FROM nodes WHERE parent_id = ` + arg(f.Under) + ` AND id <> parent_id
			UNION
			SELECT n.id FROM nodes n JOIN subtree t ON n.parent_id = t.id
		) `)
		where = append(where, "id IN (SELECT id FROM subtree)", "id <> "+arg(f.Under))
	}
	q.WriteString(`SELECT ` + nodeColumns + ` FROM nodes`)
	if f.Role != "" {
		where = append(where, "role = "+arg(string(f.Role)))
	}
	if f.Region != "" {
		p := f.Region
		if len(p) > 2 {
			p = p[:2]
		}
		where = append(where, "substr(region, 1, "+arg(len(p))+") = "+arg(p))
	}
	if f.Industry != "" {
		where = append(where, "substr(industry, 1, "+arg(len(f.Industry))+") = "+arg(f.Industry))
	}
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	q.WriteString(` ORDER BY CASE role WHEN 'ministry' THEN 0 WHEN 'province' THEN 1 ELSE 2 END, region, name, id`)
	rows, err := s.q.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("find nodes: %w", err)
	}
	defer rows.Close()
	var out []shuan.Node
	for rows.Next() {
		n, err := scanNode(rows)
		if err != nil {
			return nil, fmt.Errorf("find nodes: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find nodes: %w", err)
	}
	return out, nil
}

// IsDescendant reports whether id lies in the subtree below ancestorID. A
// node is not its own descendant; an unknown id is nobody's.
func (s *Store) IsDescendant(ctx context.Context, ancestorID, id string) (bool, error) {
	if ancestorID == "" || id == "" || ancestorID == id {
		return false, nil
	}
	var n int
	err := s.q.QueryRowContext(ctx, `
		WITH RECURSIVE up (id, parent_id) AS (
			SELECT id, parent_id FROM nodes WHERE id = $1
			UNION
			SELECT n.id, n.parent_id FROM nodes n JOIN up u ON n.id = u.parent_id
		)
		SELECT COUNT(*) FROM up WHERE parent_id = $2`, id, ancestorID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("is descendant: %w", err)
	}
	return n > 0, nil
}

// TouchNode records a heartbeat: LastSeen moves to seen and Health to h, but
// only forward — an older heartbeat changes nothing. A zero h keeps the stored
// health.
func (s *Store) TouchNode(ctx context.Context, id string, seen time.Time, h shuan.Health) error {
	health, err := encodeHealth(h)
	if err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE nodes SET last_seen = $2, health = COALESCE($3, health)
		WHERE id = $1 AND (last_seen IS NULL OR last_seen <= $2)`,
		id, tm(seen), health)
	if err != nil {
		return fmt.Errorf("touch node %q: %w", id, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("touch node %q: %w", id, err)
	} else if ok {
		return nil
	}
	if _, err := s.FindNode(ctx, id); err != nil {
		return err
	}
	return nil // a stale heartbeat
}

// RevokeNode records that the certificate r.Serial of node r.NodeID was
// revoked and marks the node revoked if it is known here. A serial already
// recorded is ECONFLICT and changes nothing.
func (s *Store) RevokeNode(ctx context.Context, r shuan.Revocation) error {
	if r.Serial == "" || r.At.IsZero() {
		return shuan.Errorf(shuan.EINVALID, "revocation needs a serial and a time")
	}
	return s.atomic(ctx, func(s *Store) error {
		res, err := s.q.ExecContext(ctx, `
			INSERT INTO revocations (serial, node_id, revoked_at, reason) VALUES ($1, $2, $3, $4)
			ON CONFLICT (serial) DO NOTHING`,
			r.Serial, r.NodeID, tm(r.At), r.Reason)
		if err != nil {
			return fmt.Errorf("revoke node %q: %w", r.NodeID, err)
		}
		if ok, err := inserted(res); err != nil {
			return fmt.Errorf("revoke node %q: %w", r.NodeID, err)
		} else if !ok {
			return shuan.Errorf(shuan.ECONFLICT, "certificate %s already revoked", r.Serial)
		}
		if _, err := s.q.ExecContext(ctx, `UPDATE nodes SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
			r.NodeID, tm(r.At)); err != nil {
			return fmt.Errorf("revoke node %q: %w", r.NodeID, err)
		}
		return nil
	})
}

// Revocations returns every recorded revocation, oldest first.
func (s *Store) Revocations(ctx context.Context) ([]shuan.Revocation, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT serial, node_id, revoked_at, reason FROM revocations ORDER BY revoked_at, serial`)
	if err != nil {
		return nil, fmt.Errorf("revocations: %w", err)
	}
	defer rows.Close()
	var out []shuan.Revocation
	for rows.Next() {
		var r shuan.Revocation
		if err := rows.Scan(&r.Serial, &r.NodeID, asTime(&r.At), &r.Reason); err != nil {
			return nil, fmt.Errorf("revocations: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revocations: %w", err)
	}
	return out, nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

func scanNode(sc scanner) (shuan.Node, error) {
	var (
		n      shuan.Node
		role   string
		health sql.NullString
		key    int
	)
	err := sc.Scan(&n.ID, &n.Name, &role, &n.Region, &n.Industry, &n.USCC, &n.ParentID, &n.CertPEM,
		asTime(&n.Enrolled), asTime(&n.LastSeen), &health, asTime(&n.Revoked), &key)
	if err != nil {
		return shuan.Node{}, err
	}
	n.Role, n.Key = shuan.Role(role), key != 0
	if health.Valid {
		if err := json.Unmarshal([]byte(health.String), &n.Health); err != nil {
			return shuan.Node{}, fmt.Errorf("node %q health: %w", n.ID, err)
		}
	}
	return n, nil
}

// encodeHealth returns h as JSON, or nil for the zero Health.
func encodeHealth(h shuan.Health) (any, error) {
	if h == (shuan.Health{}) {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode health: %w", err)
	}
	return string(b), nil
}
