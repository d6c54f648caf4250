// Package sqlite reads SQLite database files, read-only, through the pure-Go
// modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan/source"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

func init() {
	source.Register(source.Driver{Name: "sqlite", Match: Match, Open: func(ctx context.Context, loc string, o source.Options) (source.Conn, error) {
		return Open(ctx, loc, o)
	}})
}

// Match reports whether a location names a SQLite file: "sqlite:PATH" or a
// path ending in .db, .sqlite or .sqlite3.
func Match(loc string) bool {
	if strings.HasPrefix(loc, "sqlite:") {
		return true
	}
	switch strings.ToLower(filepath.Ext(loc)) {
	case ".db", ".sqlite", ".sqlite3":
		st, err := os.Stat(loc)
		return err != nil || !st.IsDir()
	}
	return false
}

// Conn is a read-only SQLite connection.
type Conn struct {
	db      *sql.DB
	path    string
	timeout time.Duration
}

// Open opens the database file read-only (mode=ro, query_only).
func Open(ctx context.Context, loc string, o source.Options) (*Conn, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(loc, "sqlite:"), "//")
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(max(o.Conns, 1))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &Conn{db: db, path: path, timeout: o.Timeout}, nil
}

// Info describes the source.
func (c *Conn) Info() source.Info { return source.Info{Kind: "sqlite", Location: c.path} }

// Close closes the database.
func (c *Conn) Close() error { return c.db.Close() }

func (c *Conn) stmtCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(ctx, c.timeout)
	}
	return context.WithCancel(ctx)
}

func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// Tables lists the tables with their columns and exact row counts. SQLite
// keeps no comments.
func (c *Conn) Tables(ctx context.Context) ([]source.Table, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []source.Table
	for _, n := range names {
		t := source.Table{Name: n, Rows: -1}
		cr, err := c.db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, fmt.Errorf("columns of %q: %w", n, err)
		}
		for cr.Next() {
			var col source.Column
			if err := cr.Scan(&col.Name, &col.Type); err != nil {
				cr.Close()
				return nil, err
			}
			t.Columns = append(t.Columns, col)
		}
		cr.Close()
		sctx, cancel := c.stmtCtx(ctx)
		err = c.db.QueryRowContext(sctx, `SELECT count(*) FROM `+quote(n)).Scan(&t.Rows)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("count %q: %w", n, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Read samples rows in a fixed pseudo-random order derived from the rowid
// (so that rescans of unchanged data draw the same rows), or streams all rows.
func (c *Conn) Read(ctx context.Context, t source.Table, o source.ReadOptions, emit func(source.Batch) error) error {
	if len(t.Columns) == 0 {
		return emit(source.Batch{})
	}
	cols := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		cols[i] = quote(col.Name)
	}
	base := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + quote(t.Name)
	queries := []string{base}
	if !o.Full {
		lim := strconv.Itoa(o.Limit)
		if t.Rows >= 0 && t.Rows <= int64(o.Limit) {
			queries = []string{base}
		} else {
			queries = []string{base + ` ORDER BY (rowid * 2654435761) % 4294967296 LIMIT ` + lim, base + ` LIMIT ` + lim}
		}
	}
	sctx, cancel := c.stmtCtx(ctx)
	defer cancel()
	var rows *sql.Rows
	var err error
	for _, q := range queries {
		rows, err = c.db.QueryContext(sctx, q)
		if err == nil || !strings.Contains(err.Error(), "rowid") {
			break
		}
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	b := source.NewBatcher(t.Columns, o.Limit, emit)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			b.Set(i, format(v))
		}
		if err := b.EndRow(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		if errors.Is(sctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("statement timeout after %s: %w", c.timeout, err)
		}
		return err
	}
	return b.Flush()
}

func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}
