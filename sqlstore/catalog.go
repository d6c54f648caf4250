package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
)

// Settings keys of the catalog configuration.
const (
	SettingCatalogConfig   = "catalog.config"   // JSON of catalog.Config
	SettingCatalogCalendar = "catalog.calendar" // holidays in catalog.ParseCalendar's format
)

// CatalogConfig returns the node's filing rules, the defaults where unset.
func (s *Store) CatalogConfig(ctx context.Context) (catalog.Config, *catalog.Calendar, error) {
	cfg := catalog.DefaultConfig()
	v, err := s.Setting(ctx, SettingCatalogConfig)
	if err != nil {
		return cfg, nil, err
	}
	if v != "" {
		if err := json.Unmarshal([]byte(v), &cfg); err != nil {
			return cfg, nil, fmt.Errorf("setting %s: %w", SettingCatalogConfig, err)
		}
	}
	cal := catalog.DefaultCalendar()
	if text, err := s.Setting(ctx, SettingCatalogCalendar); err != nil {
		return cfg, nil, err
	} else if text != "" {
		if cal, err = catalog.ParseCalendar(text); err != nil {
			return cfg, nil, err
		}
	}
	return cfg, cal, nil
}

// SaveCatalogVersion inserts v or replaces it while it is a draft; an
// approved version is never changed.
func (s *Store) SaveCatalogVersion(ctx context.Context, v catalog.Version) error {
	return s.atomic(ctx, func(s *Store) error {
		var status string
		err := s.q.QueryRowContext(ctx, `SELECT status FROM catalog_versions WHERE id = $1`, v.ID).Scan(&status)
		body, jerr := json.Marshal(v)
		if jerr != nil {
			return fmt.Errorf("save catalog version: %w", jerr)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = s.q.ExecContext(ctx, `INSERT INTO catalog_versions (id, node_id, seq, status, created_at, updated_at, body)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, v.ID, v.NodeID, v.Seq, v.Status, tm(v.Created), tm(v.Updated), string(body))
			if err != nil {
				return fmt.Errorf("insert catalog version %d: %w", v.Seq, err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("save catalog version: %w", err)
		case status != catalog.Draft:
			return shuan.Errorf(shuan.ECONFLICT, "catalog version %d is %s and cannot change", v.Seq, status)
		}
		_, err = s.q.ExecContext(ctx, `UPDATE catalog_versions SET status = $1, updated_at = $2, body = $3 WHERE id = $4`,
			v.Status, tm(v.Updated), string(body), v.ID)
		if err != nil {
			return fmt.Errorf("update catalog version %d: %w", v.Seq, err)
		}
		return nil
	})
}

// FindCatalogVersion returns version seq of a node's catalog; seq 0 means the newest.
func (s *Store) FindCatalogVersion(ctx context.Context, nodeID string, seq int) (catalog.Version, error) {
	q, args := `SELECT body FROM catalog_versions WHERE node_id = $1 AND seq = $2`, []any{nodeID, seq}
	if seq == 0 {
		q, args = `SELECT body FROM catalog_versions WHERE node_id = $1 ORDER BY seq DESC LIMIT 1`, []any{nodeID}
	}
	var body string
	err := s.q.QueryRowContext(ctx, q, args...).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		if seq == 0 {
			return catalog.Version{}, shuan.Errorf(shuan.ENOTFOUND, "no catalog yet: run 'shuan catalog build' first")
		}
		return catalog.Version{}, shuan.Errorf(shuan.ENOTFOUND, "catalog version %d not found", seq)
	} else if err != nil {
		return catalog.Version{}, fmt.Errorf("find catalog version %d: %w", seq, err)
	}
	var v catalog.Version
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return v, fmt.Errorf("decode catalog version %d: %w", seq, err)
	}
	return v, nil
}

// FindCatalogVersions returns a node's catalog versions, newest first.
func (s *Store) FindCatalogVersions(ctx context.Context, nodeID string) ([]catalog.Version, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT body FROM catalog_versions WHERE node_id = $1 ORDER BY seq DESC`, nodeID)
	if err != nil {
		return nil, fmt.Errorf("find catalog versions: %w", err)
	}
	defer rows.Close()
	var out []catalog.Version
	for rows.Next() {
		var body string
		var v catalog.Version
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("find catalog versions: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			return nil, fmt.Errorf("decode catalog version: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SaveFiling inserts or updates a filing.
func (s *Store) SaveFiling(ctx context.Context, f catalog.Filing) error {
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("save filing: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO filings (id, enterprise_id, region, industry, seq, status, submitted_at, due_at, reviewed_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, due_at = excluded.due_at,
			reviewed_at = excluded.reviewed_at, body = excluded.body`,
		f.ID, f.EnterpriseID, f.Region, f.Industry, f.Seq, f.Status, tm(f.Submitted), tm(f.Due), tm(f.Reviewed), string(body))
	if err != nil {
		return fmt.Errorf("save filing %s: %w", f.ID, err)
	}
	return nil
}

// FindFiling returns the filing with id.
func (s *Store) FindFiling(ctx context.Context, id string) (catalog.Filing, error) {
	var body string
	err := s.q.QueryRowContext(ctx, `SELECT body FROM filings WHERE id = $1`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Filing{}, shuan.Errorf(shuan.ENOTFOUND, "filing %s not found", id)
	} else if err != nil {
		return catalog.Filing{}, fmt.Errorf("find filing %s: %w", id, err)
	}
	var f catalog.Filing
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return f, fmt.Errorf("decode filing %s: %w", id, err)
	}
	return f, nil
}

// FindFilings returns the filings f selects, newest first.
func (s *Store) FindFilings(ctx context.Context, f catalog.FilingFilter) ([]catalog.Filing, error) {
	q, args := `SELECT body FROM filings WHERE 1 = 1`, []any{}
	if f.EnterpriseID != "" {
		args = append(args, f.EnterpriseID)
		q += ` AND enterprise_id = $` + strconv.Itoa(len(args))
	}
	if f.Region != "" {
		args = append(args, regionPrefix(f.Region)+"%")
		q += ` AND region LIKE $` + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		q += ` AND status = $` + strconv.Itoa(len(args))
	}
	q, args = withLimit(q+` ORDER BY submitted_at DESC, id DESC`, args, f.Limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find filings: %w", err)
	}
	defer rows.Close()
	out := []catalog.Filing{}
	for rows.Next() {
		var body string
		var fl catalog.Filing
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("find filings: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &fl); err != nil {
			return nil, fmt.Errorf("decode filing: %w", err)
		}
		out = append(out, fl)
	}
	return out, rows.Err()
}

// regionPrefix drops the trailing zero pairs of a region code: 320000 → 32.
func regionPrefix(r string) string {
	for len(r) >= 2 && r[len(r)-2:] == "00" {
		r = r[:len(r)-2]
	}
	return r
}

// SaveChangeDue inserts or updates a change filing due.
func (s *Store) SaveChangeDue(ctx context.Context, c catalog.ChangeDue) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save change due: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO catalog_changes (id, enterprise_id, region, detected_at, due_at, resolved_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, resolved_at = excluded.resolved_at, body = excluded.body`,
		c.ID, c.EnterpriseID, c.Region, tm(c.Detected), tm(c.Due), tm(c.Resolved), string(body))
	if err != nil {
		return fmt.Errorf("save change due %s: %w", c.ID, err)
	}
	return nil
}

// FindChangesDue returns the change filings of an enterprise ("" for all),
// open ones only unless all is set, newest first.
func (s *Store) FindChangesDue(ctx context.Context, enterpriseID string, all bool) ([]catalog.ChangeDue, error) {
	q, args := `SELECT body FROM catalog_changes WHERE 1 = 1`, []any{}
	if enterpriseID != "" {
		args = append(args, enterpriseID)
		q += ` AND enterprise_id = $1`
	}
	if !all {
		q += ` AND resolved_at IS NULL`
	}
	rows, err := s.q.QueryContext(ctx, q+` ORDER BY detected_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("find changes due: %w", err)
	}
	defer rows.Close()
	out := []catalog.ChangeDue{}
	for rows.Next() {
		var body string
		var c catalog.ChangeDue
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("find changes due: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("decode change due: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ResolveChangesDue marks an enterprise's open change filings detected
// before the filing was submitted as resolved by it.
func (s *Store) ResolveChangesDue(ctx context.Context, enterpriseID string, f catalog.Filing, at time.Time) error {
	open, err := s.FindChangesDue(ctx, enterpriseID, false)
	if err != nil {
		return err
	}
	for _, c := range open {
		if c.Detected.After(f.Submitted) {
			continue
		}
		c.Resolved, c.ResolvedBy = at, f.ID
		if err := s.SaveChangeDue(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// OutboxReceipt returns the parent's signed receipt for an envelope this
// node sent, and the outbox state; state is "" when the envelope is unknown.
func (s *Store) OutboxReceipt(ctx context.Context, envelopeID string) (state string, receipt []byte, err error) {
	err = s.q.QueryRowContext(ctx, `SELECT state, receipt FROM outbox WHERE envelope_id = $1`, envelopeID).Scan(&state, &receipt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	} else if err != nil {
		return "", nil, fmt.Errorf("outbox receipt %s: %w", envelopeID, err)
	}
	return state, receipt, nil
}
