// Package postgres reads PostgreSQL databases through pgx, in read-only
// transactions with a statement timeout. openGauss and KingbaseES speak the
// same protocol and should work unchanged (untested; openGauss's default
// sha256 authentication is not supported by pgx, md5 is).
package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/shuan-dev/shuan/source"
)

func init() {
	source.Register(source.Driver{Name: "postgres", Match: Match, Open: func(ctx context.Context, loc string, o source.Options) (source.Conn, error) {
		return Open(ctx, loc, o)
	}})
}

// Match reports whether a location is a postgres:// or postgresql:// URL.
func Match(loc string) bool {
	return strings.HasPrefix(loc, "postgres://") || strings.HasPrefix(loc, "postgresql://")
}

// BigTable is the estimated row count from which samples use TABLESAMPLE
// instead of ORDER BY random(), and row counts stay estimates.
const BigTable = 100_000

// Conn is a small pool of read-only sessions.
type Conn struct {
	cfg     *pgx.ConnConfig
	idle    chan *pgx.Conn
	slots   chan struct{}
	info    source.Info
	schemas []string
}

// Open connects. The URL may carry schema=a,b to limit the scan; otherwise
// every schema but the system ones is read.
func Open(ctx context.Context, loc string, o source.Options) (*Conn, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("parse url: invalid syntax")
	}
	q := u.Query()
	var schemas []string
	if s := q.Get("schema"); s != "" {
		schemas = strings.Split(s, ",")
		q.Del("schema")
		u.RawQuery = q.Encode()
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("parse url: %s", strings.ReplaceAll(err.Error(), loc, source.Redact(loc)))
	}
	if o.Password != "" {
		cfg.Password = o.Password
	}
	rp := cfg.RuntimeParams
	rp["default_transaction_read_only"] = "on"
	rp["application_name"] = "shuan-scan"
	rp["lock_timeout"] = "1000"
	rp["idle_in_transaction_session_timeout"] = "60000"
	if o.Timeout > 0 {
		rp["statement_timeout"] = strconv.FormatInt(o.Timeout.Milliseconds(), 10)
	}
	n := max(o.Conns, 1)
	c := &Conn{cfg: cfg, idle: make(chan *pgx.Conn, n), slots: make(chan struct{}, n), schemas: schemas}
	u.User = nil
	if cfg.User != "" {
		u.User = url.User(cfg.User)
	}
	c.info = source.Info{Kind: "postgres", Location: source.Redact(u.String())}
	pc, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	c.release(pc, nil)
	return c, nil
}

// acquire returns an idle session or dials a new one within the pool size.
func (c *Conn) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case pc := <-c.idle:
		return pc, nil
	default:
	}
	select {
	case pc := <-c.idle:
		return pc, nil
	case c.slots <- struct{}{}:
		pc, err := pgx.ConnectConfig(ctx, c.cfg)
		if err != nil {
			<-c.slots
			return nil, err
		}
		return pc, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns a session to the pool, or drops it after an error.
func (c *Conn) release(pc *pgx.Conn, err error) {
	if err != nil || pc.IsClosed() {
		pc.Close(context.Background())
		<-c.slots
		return
	}
	c.idle <- pc
}

// begin starts a read-only transaction on a pooled session.
func (c *Conn) begin(ctx context.Context) (pgx.Tx, func(error), error) {
	pc, err := c.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := pc.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		c.release(pc, err)
		return nil, nil, err
	}
	done := func(err error) {
		rerr := tx.Rollback(context.Background())
		if err == nil {
			err = rerr
		}
		c.release(pc, err)
	}
	return tx, done, nil
}

// Info describes the source without its password.
func (c *Conn) Info() source.Info { return c.info }

// Close closes the pool.
func (c *Conn) Close() error {
	for {
		select {
		case pc := <-c.idle:
			pc.Close(context.Background())
			<-c.slots
		default:
			return nil
		}
	}
}

// Tables lists tables, partitioned parents and materialised views with their
// comments (obj_description / col_description) and pg_class.reltuples (for a
// never-analysed table over 64 MB, its size / 100 bytes). Row counts under
// BigTable are made exact with count(*) when read.
func (c *Conn) Tables(ctx context.Context) (_ []source.Table, err error) {
	tx, done, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { done(err) }()
	rows, err := tx.Query(ctx, `
SELECT c.oid, n.nspname, c.relname, COALESCE(obj_description(c.oid, 'pg_class'), ''),
  CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
       WHEN pg_relation_size(c.oid) > 64 * 1024 * 1024 THEN pg_relation_size(c.oid) / 100
       ELSE -1 END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND ($1::text[] IS NULL OR n.nspname = ANY($1))
ORDER BY n.nspname, c.relname`, c.schemaArg())
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []source.Table
	byOID := map[uint32]int{}
	var oids []uint32
	for rows.Next() {
		var oid uint32
		var schema, name string
		var t source.Table
		if err := rows.Scan(&oid, &schema, &name, &t.Comment, &t.Rows); err != nil {
			rows.Close()
			return nil, err
		}
		t.Name = schema + "." + name
		byOID[oid] = len(out)
		oids = append(oids, oid)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if len(oids) == 0 {
		return out, nil
	}
	rows, err = tx.Query(ctx, `
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), COALESCE(col_description(a.attrelid, a.attnum), '')
FROM pg_attribute a
WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`, oids)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid uint32
		var col source.Column
		if err := rows.Scan(&oid, &col.Name, &col.Type, &col.Comment); err != nil {
			return nil, err
		}
		i := byOID[oid]
		out[i].Columns = append(out[i].Columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	return out, nil
}

func (c *Conn) schemaArg() any {
	if len(c.schemas) == 0 {
		return nil
	}
	return c.schemas
}

func ident(name string) string {
	schema, table, _ := strings.Cut(name, ".")
	return pgx.Identifier{schema, table}.Sanitize()
}

// Read samples a table in a read-only transaction: TABLESAMPLE SYSTEM with a
// fixed REPEATABLE seed for big tables (the first rows if that yields under
// half the sample), otherwise ORDER BY random() after setseed, so that
// rescans of unchanged data draw the same rows. With o.Full it streams every
// row.
func (c *Conn) Read(ctx context.Context, t source.Table, o source.ReadOptions, emit func(source.Batch) error) (err error) {
	tx, done, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer func() { done(err) }()
	var exact int64
	if t.Rows < BigTable {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+ident(t.Name)).Scan(&exact); err != nil {
			return fmt.Errorf("count rows: %w", err)
		}
	}
	if len(t.Columns) == 0 {
		return emit(source.Batch{TableRows: exact})
	}
	cols := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		cols[i] = pgx.Identifier{col.Name}.Sanitize() + "::text"
	}
	base := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + ident(t.Name)
	q := base
	sampled := false
	if !o.Full {
		lim := strconv.Itoa(o.Limit)
		switch {
		case exact > 0 && exact <= int64(o.Limit):
		case t.Rows >= BigTable:
			pct := min(100, max(0.0001, 300*float64(o.Limit)/float64(t.Rows)))
			q += ` TABLESAMPLE SYSTEM (` + strconv.FormatFloat(pct, 'f', 4, 64) + `) REPEATABLE (42) LIMIT ` + lim
			sampled = true
		default:
			if _, err := tx.Exec(ctx, `SELECT setseed(0.42)`); err != nil {
				return err
			}
			q += ` ORDER BY random() LIMIT ` + lim
		}
	}
	b := source.NewBatcher(t.Columns, o.Limit, emit)
	if err := collect(ctx, tx, q, b); err != nil {
		return err
	}
	if sampled && b.Rows() < int64(o.Limit/2) {
		// Statistics overstated the table, or SYSTEM sampling hit few pages:
		// take the first rows instead (nothing was emitted yet).
		b = source.NewBatcher(t.Columns, o.Limit, emit)
		if err := collect(ctx, tx, base+` LIMIT `+strconv.Itoa(o.Limit), b); err != nil {
			return err
		}
	}
	return b.FlushWith(exact)
}

// collect runs q and adds its rows to b.
func collect(ctx context.Context, tx pgx.Tx, q string, b *source.Batcher) error {
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		for i, raw := range rows.RawValues() {
			if raw != nil {
				b.Set(i, string(raw))
			}
		}
		if err := b.EndRow(); err != nil {
			return err
		}
	}
	return rows.Err()
}
