package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
)

// Source is a data source registered at an enterprise node. Its password is
// kept only sealed (Secret); Location never holds one.
type Source struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kind is postgres, mysql, sqlite or files.
	Kind string `json:"kind"`
	// Location is the source URL or path with any password removed.
	Location string `json:"location"`
	// Secret is the SM4-GCM sealed password (nil when there is none).
	Secret    []byte        `json:"-"`
	Options   SourceOptions `json:"options"`
	Created   time.Time     `json:"created_at"`
	CreatedBy string        `json:"created_by,omitempty"`
}

// SourceOptions say how a source is scanned.
type SourceOptions struct {
	// Sample is the number of rows sampled per table (0: the scan default).
	Sample int `json:"sample,omitempty"`
	// Include and Exclude are file globs for file and directory sources.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Industry overrides the node's industry for industry rules.
	Industry string `json:"industry,omitempty"`
}

// Scan statuses.
const (
	ScanQueued  = "queued"
	ScanRunning = "running"
	ScanDone    = "done"
	ScanFailed  = "failed"
)

// ScanRecord is one scan of a source: its progress and, once done, the scan
// JSON document and its counts.
type ScanRecord struct {
	ID       string     `json:"id"`
	SourceID string     `json:"source_id"`
	Status   string     `json:"status"`
	Started  time.Time  `json:"started_at"`
	Finished time.Time  `json:"finished_at,omitzero"`
	By       string     `json:"by,omitempty"`
	Error    string     `json:"error,omitempty"`
	Counts   ScanCounts `json:"counts"`
	// Doc is the scan document (docs/scan.md); FindScans leaves it empty.
	Doc []byte `json:"-"`
}

// ScanCounts summarise a finished scan for lists.
type ScanCounts struct {
	Tables          int `json:"tables"`
	Columns         int `json:"columns"`
	PIColumns       int `json:"pi_columns"`
	SensitivePI     int `json:"sensitive_pi_columns"`
	ImportantTables int `json:"important_tables"`
	CoreTables      int `json:"core_tables"`
	Confirmed       int `json:"confirmed_columns"`
	Skipped         int `json:"skipped"`
}

// ScanFilter selects scans; zero fields match everything.
type ScanFilter struct {
	SourceID string
	Status   string
	// Limit bounds the scans returned (all if <= 0).
	Limit int
}

// ReviewLabel is a person's confirmation or override of one column's label,
// with the reason given.
type ReviewLabel struct {
	Seq         int64     `json:"seq"`
	SourceID    string    `json:"source_id"`
	Table       string    `json:"table"`
	Column      string    `json:"column"`
	Category    string    `json:"category"`
	PI          string    `json:"pi,omitempty"`
	SensitivePI bool      `json:"sensitive_pi"`
	Level       string    `json:"level"`
	SubLevel    int       `json:"sub_level,omitempty"`
	Reason      string    `json:"reason"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

const sourceColumns = `id, name, kind, location, secret, options, created_at, created_by`

// CreateSource stores a new data source; a duplicate id or name is ECONFLICT.
func (s *Store) CreateSource(ctx context.Context, src Source) error {
	if src.ID == "" || src.Name == "" || src.Kind == "" || src.Location == "" {
		return shuan.Errorf(shuan.EINVALID, "data source needs an id, a name, a kind and a location")
	}
	opts, err := json.Marshal(src.Options)
	if err != nil {
		return fmt.Errorf("create source: encode options: %w", err)
	}
	var secret any
	if len(src.Secret) > 0 {
		secret = src.Secret
	}
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO data_sources (`+sourceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT DO NOTHING`,
		src.ID, src.Name, src.Kind, src.Location, secret, string(opts), tm(src.Created), src.CreatedBy)
	if err != nil {
		return fmt.Errorf("create source %q: %w", src.Name, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("create source %q: %w", src.Name, err)
	} else if !ok {
		return shuan.Errorf(shuan.ECONFLICT, "data source %q already exists", src.Name)
	}
	return nil
}

// FindSource returns the data source with the given id or, failing that, name.
func (s *Store) FindSource(ctx context.Context, idOrName string) (Source, error) {
	src, err := scanSource(s.q.QueryRowContext(ctx, `
		SELECT `+sourceColumns+` FROM data_sources WHERE id = $1 OR name = $1
		ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1`, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, shuan.Errorf(shuan.ENOTFOUND, "data source %q not found", idOrName)
	} else if err != nil {
		return Source{}, fmt.Errorf("find source %q: %w", idOrName, err)
	}
	return src, nil
}

// FindSources returns every data source, by name.
func (s *Store) FindSources(ctx context.Context) ([]Source, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+sourceColumns+` FROM data_sources ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("find sources: %w", err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find sources: %w", err)
	}
	return out, nil
}

// DeleteSource removes a data source with its scans and reviews.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	return s.atomic(ctx, func(s *Store) error {
		// Explicit deletes rather than relying on ON DELETE CASCADE alone, so
		// the outcome does not depend on SQLite's foreign_keys pragma.
		for _, q := range []string{
			`DELETE FROM label_reviews WHERE source_id = $1`,
			`DELETE FROM scans WHERE source_id = $1`,
		} {
			if _, err := s.q.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("delete source %q: %w", id, err)
			}
		}
		res, err := s.q.ExecContext(ctx, `DELETE FROM data_sources WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete source %q: %w", id, err)
		}
		if ok, err := inserted(res); err != nil {
			return fmt.Errorf("delete source %q: %w", id, err)
		} else if !ok {
			return shuan.Errorf(shuan.ENOTFOUND, "data source %q not found", id)
		}
		return nil
	})
}

func scanSource(sc scanner) (Source, error) {
	var (
		src    Source
		secret []byte
		opts   string
	)
	if err := sc.Scan(&src.ID, &src.Name, &src.Kind, &src.Location, &secret, &opts, asTime(&src.Created), &src.CreatedBy); err != nil {
		return Source{}, err
	}
	if len(secret) > 0 {
		src.Secret = append([]byte(nil), secret...)
	}
	if err := json.Unmarshal([]byte(opts), &src.Options); err != nil {
		return Source{}, fmt.Errorf("source %q options: %w", src.ID, err)
	}
	return src, nil
}

const scanColumns = `id, source_id, status, started_at, finished_at, by_user, error,
	tables_n, columns_n, pi_columns, sensitive_columns, important_tables, core_tables, confirmed_columns, skipped`

// CreateScan records a scan that is queued or running.
func (s *Store) CreateScan(ctx context.Context, sc ScanRecord) error {
	if sc.ID == "" || sc.SourceID == "" {
		return shuan.Errorf(shuan.EINVALID, "scan needs an id and a source")
	}
	if sc.Status != ScanQueued && sc.Status != ScanRunning {
		return shuan.Errorf(shuan.EINVALID, "a new scan is queued or running, not %q", sc.Status)
	}
	return s.atomic(ctx, func(s *Store) error {
		if _, err := s.FindSource(ctx, sc.SourceID); err != nil {
			return err
		}
		_, err := s.q.ExecContext(ctx, `
			INSERT INTO scans (id, source_id, status, started_at, by_user) VALUES ($1, $2, $3, $4, $5)`,
			sc.ID, sc.SourceID, sc.Status, tm(sc.Started), sc.By)
		if err != nil {
			return fmt.Errorf("create scan: %w", err)
		}
		return nil
	})
}

// FinishScan records the outcome of a queued or running scan: status done
// (with Doc and Counts) or failed (with Error). A scan already finished is
// ECONFLICT.
func (s *Store) FinishScan(ctx context.Context, sc ScanRecord) error {
	if sc.Status != ScanDone && sc.Status != ScanFailed {
		return shuan.Errorf(shuan.EINVALID, "a finished scan is done or failed, not %q", sc.Status)
	}
	if sc.Status == ScanDone && len(sc.Doc) == 0 {
		return shuan.Errorf(shuan.EINVALID, "a done scan needs its document")
	}
	var doc any
	if len(sc.Doc) > 0 {
		doc = sc.Doc
	}
	c := sc.Counts
	res, err := s.q.ExecContext(ctx, `
		UPDATE scans SET status = $2, finished_at = $3, error = $4, doc = $5,
			tables_n = $6, columns_n = $7, pi_columns = $8, sensitive_columns = $9,
			important_tables = $10, core_tables = $11, confirmed_columns = $12, skipped = $13
		WHERE id = $1 AND status IN ('queued', 'running')`,
		sc.ID, sc.Status, tm(sc.Finished), sc.Error, doc,
		c.Tables, c.Columns, c.PIColumns, c.SensitivePI, c.ImportantTables, c.CoreTables, c.Confirmed, c.Skipped)
	if err != nil {
		return fmt.Errorf("finish scan %q: %w", sc.ID, err)
	}
	if ok, err := inserted(res); err != nil {
		return fmt.Errorf("finish scan %q: %w", sc.ID, err)
	} else if !ok {
		if _, err := s.FindScan(ctx, sc.ID); err != nil {
			return err
		}
		return shuan.Errorf(shuan.ECONFLICT, "scan %q has already finished", sc.ID)
	}
	return nil
}

// FailStaleScans marks scans still queued or running that started before
// cutoff as failed with reason (an interrupted process leaves them so), and
// returns how many it marked.
func (s *Store) FailStaleScans(ctx context.Context, cutoff, now time.Time, reason string) (int, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE scans SET status = 'failed', finished_at = $2, error = $3
		WHERE status IN ('queued', 'running') AND started_at < $1`,
		cutoff.UnixMicro(), tm(now), reason)
	if err != nil {
		return 0, fmt.Errorf("fail stale scans: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("fail stale scans: %w", err)
	}
	return int(n), nil
}

// FindScan returns the scan with the given id, with its document.
func (s *Store) FindScan(ctx context.Context, id string) (ScanRecord, error) {
	var doc []byte
	sc, err := scanScan(s.q.QueryRowContext(ctx, `SELECT `+scanColumns+`, doc FROM scans WHERE id = $1`, id), &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return ScanRecord{}, shuan.Errorf(shuan.ENOTFOUND, "scan %q not found", id)
	} else if err != nil {
		return ScanRecord{}, fmt.Errorf("find scan %q: %w", id, err)
	}
	if len(doc) > 0 {
		sc.Doc = append([]byte(nil), doc...)
	}
	return sc, nil
}

// FindScans returns the scans f selects, newest first, without documents.
func (s *Store) FindScans(ctx context.Context, f ScanFilter) ([]ScanRecord, error) {
	var (
		where []string
		args  []any
	)
	if f.SourceID != "" {
		args = append(args, f.SourceID)
		where = append(where, fmt.Sprintf("source_id = $%d", len(args)))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("status = $%d", len(args)))
	}
	q := `SELECT ` + scanColumns + ` FROM scans`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q, args = withLimit(q+` ORDER BY started_at DESC, id DESC`, args, f.Limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find scans: %w", err)
	}
	defer rows.Close()
	var out []ScanRecord
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, fmt.Errorf("find scans: %w", err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find scans: %w", err)
	}
	return out, nil
}

func scanScan(sc scanner, extra ...any) (ScanRecord, error) {
	var r ScanRecord
	c := &r.Counts
	dest := append([]any{&r.ID, &r.SourceID, &r.Status, asTime(&r.Started), asTime(&r.Finished), &r.By, &r.Error,
		&c.Tables, &c.Columns, &c.PIColumns, &c.SensitivePI, &c.ImportantTables, &c.CoreTables, &c.Confirmed, &c.Skipped}, extra...)
	err := sc.Scan(dest...)
	return r, err
}

const reviewColumns = `seq, source_id, table_name, column_name, category, pi, sensitive_pi, level, sub_level, reason, by_user, at`

// SaveReview appends a review of one column's label; it becomes the label in
// force for that column, and earlier reviews stay in its history. The
// stored review, with its sequence number, is returned.
func (s *Store) SaveReview(ctx context.Context, rv ReviewLabel) (ReviewLabel, error) {
	if rv.SourceID == "" || rv.Table == "" || rv.Column == "" {
		return rv, shuan.Errorf(shuan.EINVALID, "a review names a source, a table and a column")
	}
	if rv.Category == "" || rv.Level == "" || strings.TrimSpace(rv.Reason) == "" || rv.By == "" || rv.At.IsZero() {
		return rv, shuan.Errorf(shuan.EINVALID, "a review needs a category, a level, a reason, a reviewer and a time")
	}
	rv.At = rv.At.UTC().Truncate(time.Microsecond)
	err := s.atomic(ctx, func(s *Store) error {
		if _, err := s.FindSource(ctx, rv.SourceID); err != nil {
			return err
		}
		if err := s.lock(ctx, "label_reviews"); err != nil {
			return err
		}
		if err := s.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM label_reviews`).Scan(&rv.Seq); err != nil {
			return err
		}
		_, err := s.q.ExecContext(ctx, `INSERT INTO label_reviews (`+reviewColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			rv.Seq, rv.SourceID, rv.Table, rv.Column, rv.Category, rv.PI, boolInt(rv.SensitivePI),
			rv.Level, rv.SubLevel, rv.Reason, rv.By, rv.At.UnixMicro())
		return err
	})
	if err != nil {
		if shuan.ErrorCode(err) != shuan.EINTERNAL {
			return rv, err
		}
		return rv, fmt.Errorf("save review of %s.%s: %w", rv.Table, rv.Column, err)
	}
	return rv, nil
}

// FindReviews returns the labels in force for a source's columns: the latest
// review of each, by table and column.
func (s *Store) FindReviews(ctx context.Context, sourceID string) ([]ReviewLabel, error) {
	return s.reviews(ctx, `SELECT `+reviewColumns+` FROM label_current WHERE source_id = $1
		ORDER BY table_name, column_name`, sourceID)
}

// ReviewHistory returns every review of one column, oldest first.
func (s *Store) ReviewHistory(ctx context.Context, sourceID, table, column string) ([]ReviewLabel, error) {
	return s.reviews(ctx, `SELECT `+reviewColumns+` FROM label_reviews
		WHERE source_id = $1 AND table_name = $2 AND column_name = $3 ORDER BY seq`, sourceID, table, column)
}

func (s *Store) reviews(ctx context.Context, q string, args ...any) ([]ReviewLabel, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find reviews: %w", err)
	}
	defer rows.Close()
	var out []ReviewLabel
	for rows.Next() {
		var (
			rv        ReviewLabel
			sensitive int
		)
		if err := rows.Scan(&rv.Seq, &rv.SourceID, &rv.Table, &rv.Column, &rv.Category, &rv.PI, &sensitive,
			&rv.Level, &rv.SubLevel, &rv.Reason, &rv.By, asTime(&rv.At)); err != nil {
			return nil, fmt.Errorf("find reviews: %w", err)
		}
		rv.SensitivePI = sensitive != 0
		out = append(out, rv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find reviews: %w", err)
	}
	return out, nil
}
