// Package mysql reads MySQL and MariaDB databases through go-sql-driver/mysql,
// in read-only transactions with a per-statement time limit.
package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/shuan-dev/shuan/source"
)

func init() {
	source.Register(source.Driver{Name: "mysql", Match: Match, Open: func(ctx context.Context, loc string, o source.Options) (source.Conn, error) {
		return Open(ctx, loc, o)
	}})
}

// Match reports whether a location is a mysql:// or mariadb:// URL.
func Match(loc string) bool {
	return strings.HasPrefix(loc, "mysql://") || strings.HasPrefix(loc, "mariadb://")
}

// RandomLimit is the estimated row count under which samples use
// ORDER BY RAND(seed); bigger tables are read in primary-key ranges.
const RandomLimit = 100_000

// pkRanges is the number of primary-key ranges a big table's sample is drawn from.
const pkRanges = 10

// Conn is a read-only connection pool.
type Conn struct {
	db      *sql.DB
	info    source.Info
	dbName  string
	mariadb bool
	timeout time.Duration
}

// Open connects to mysql://user:pass@host:port/db. Without a database name
// every non-system schema is read and tables are named schema.table.
func Open(ctx context.Context, loc string, o source.Options) (*Conn, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("parse url: invalid syntax")
	}
	cfg := driver.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = u.Hostname() + ":3306"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	if o.Password != "" {
		cfg.Passwd = o.Password
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.Timeout = 10 * time.Second
	cfg.ParseTime = false
	if err := cfg.Apply(driver.Charset("utf8mb4", "")); err != nil {
		return nil, err
	}
	for k, v := range u.Query() {
		if k == "tls" && len(v) > 0 {
			cfg.TLSConfig = v[0]
		}
	}
	connector, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(max(o.Conns, 1))
	db.SetMaxIdleConns(max(o.Conns, 1))
	var version string
	if err := db.QueryRowContext(ctx, `SELECT VERSION()`).Scan(&version); err != nil {
		db.Close()
		return nil, err
	}
	u.User = nil
	if cfg.User != "" {
		u.User = url.User(cfg.User)
	}
	return &Conn{
		db:      db,
		info:    source.Info{Kind: "mysql", Location: source.Redact(u.String())},
		dbName:  cfg.DBName,
		mariadb: strings.Contains(strings.ToLower(version), "mariadb"),
		timeout: o.Timeout,
	}, nil
}

// Info describes the source without its password.
func (c *Conn) Info() source.Info { return c.info }

// Close closes the pool.
func (c *Conn) Close() error { return c.db.Close() }

// session runs fn on one connection inside START TRANSACTION READ ONLY, with
// max_statement_time (MariaDB) or max_execution_time (MySQL) set.
func (c *Conn) session(ctx context.Context, fn func(*sql.Conn) error) (err error) {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if c.timeout > 0 {
		set := fmt.Sprintf("SET SESSION max_execution_time = %d", c.timeout.Milliseconds())
		if c.mariadb {
			set = fmt.Sprintf("SET SESSION max_statement_time = %.3f", c.timeout.Seconds())
		}
		if _, err := conn.ExecContext(ctx, set); err != nil {
			return fmt.Errorf("set statement timeout: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, `START TRANSACTION READ ONLY`); err != nil {
		return fmt.Errorf("start read-only transaction: %w", err)
	}
	defer func() {
		_, cerr := conn.ExecContext(context.Background(), `ROLLBACK`)
		if err == nil && cerr != nil {
			err = cerr
		}
	}()
	return fn(conn)
}

// Tables lists base tables with comments and TABLE_ROWS estimates from
// information_schema.
func (c *Conn) Tables(ctx context.Context) (out []source.Table, err error) {
	filter := `TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`
	var args []any
	if c.dbName != "" {
		filter = `TABLE_SCHEMA = ?`
		args = append(args, c.dbName)
	}
	err = c.session(ctx, func(conn *sql.Conn) error {
		rows, err := conn.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_COMMENT, ''), COALESCE(TABLE_ROWS, -1)
FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND `+filter+` ORDER BY TABLE_SCHEMA, TABLE_NAME`, args...)
		if err != nil {
			return fmt.Errorf("list tables: %w", err)
		}
		index := map[string]int{}
		for rows.Next() {
			var schema string
			var t source.Table
			if err := rows.Scan(&schema, &t.Name, &t.Comment, &t.Rows); err != nil {
				rows.Close()
				return err
			}
			if c.dbName == "" {
				t.Name = schema + "." + t.Name
			}
			index[schema+"."+t.Name] = len(out)
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list tables: %w", err)
		}
		rows, err = conn.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COALESCE(COLUMN_COMMENT, '')
FROM information_schema.COLUMNS WHERE `+filter+` ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, args...)
		if err != nil {
			return fmt.Errorf("list columns: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var schema, table string
			var col source.Column
			if err := rows.Scan(&schema, &table, &col.Name, &col.Type, &col.Comment); err != nil {
				return err
			}
			key := schema + "." + table
			if c.dbName == "" {
				key = schema + "." + schema + "." + table
			}
			if i, ok := index[key]; ok {
				out[i].Columns = append(out[i].Columns, col)
			}
		}
		return rows.Err()
	})
	return out, err
}

func quote(id string) string { return "`" + strings.ReplaceAll(id, "`", "``") + "`" }

func ident(name string, qualified bool) string {
	if qualified {
		schema, table, _ := strings.Cut(name, ".")
		return quote(schema) + "." + quote(table)
	}
	return quote(name)
}

// Read samples a table. Under RandomLimit estimated rows the count is made
// exact and rows are drawn with ORDER BY RAND(42); bigger tables with a
// single integer primary key are sampled as pkRanges runs of consecutive
// keys starting at seeded random points between MIN and MAX; other big
// tables give their first rows. With o.Full every row is streamed.
func (c *Conn) Read(ctx context.Context, t source.Table, o source.ReadOptions, emit func(source.Batch) error) error {
	from := ident(t.Name, c.dbName == "")
	return c.session(ctx, func(conn *sql.Conn) error {
		var exact int64
		if t.Rows < RandomLimit {
			if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from).Scan(&exact); err != nil {
				return fmt.Errorf("count rows: %w", err)
			}
		}
		if len(t.Columns) == 0 {
			return emit(source.Batch{TableRows: exact})
		}
		cols := make([]string, len(t.Columns))
		for i, col := range t.Columns {
			cols[i] = quote(col.Name)
		}
		sel := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + from
		b := source.NewBatcher(t.Columns, o.Limit, emit)
		lim := strconv.Itoa(o.Limit)
		switch {
		case o.Full || (exact > 0 && exact <= int64(o.Limit)):
			if err := c.collect(ctx, conn, b, sel); err != nil {
				return err
			}
		case t.Rows < RandomLimit:
			if err := c.collect(ctx, conn, b, sel+` ORDER BY RAND(42) LIMIT `+lim); err != nil {
				return err
			}
		default:
			pk, err := c.intKey(ctx, conn, t.Name)
			if err != nil {
				return err
			}
			if pk == "" {
				if err := c.collect(ctx, conn, b, sel+` LIMIT `+lim); err != nil {
					return err
				}
				break
			}
			var lo, hi sql.NullInt64
			if err := conn.QueryRowContext(ctx, `SELECT MIN(`+quote(pk)+`), MAX(`+quote(pk)+`) FROM `+from).Scan(&lo, &hi); err != nil {
				return fmt.Errorf("key range: %w", err)
			}
			h := fnv.New64a()
			h.Write([]byte(t.Name))
			rng := rand.New(rand.NewPCG(h.Sum64(), 42))
			per := strconv.Itoa(max(o.Limit/pkRanges, 1))
			for range pkRanges {
				start := lo.Int64
				if hi.Int64 > lo.Int64 {
					start += rng.Int64N(hi.Int64 - lo.Int64 + 1)
				}
				q := sel + ` WHERE ` + quote(pk) + ` >= ` + strconv.FormatInt(start, 10) + ` ORDER BY ` + quote(pk) + ` LIMIT ` + per
				if err := c.collect(ctx, conn, b, q); err != nil {
					return err
				}
			}
		}
		return b.FlushWith(exact)
	})
}

// intKey returns the name of a table's single-column integer primary key, or "".
func (c *Conn) intKey(ctx context.Context, conn *sql.Conn, name string) (string, error) {
	schema, table := c.dbName, name
	if c.dbName == "" {
		schema, table, _ = strings.Cut(name, ".")
	}
	rows, err := conn.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_KEY = 'PRI'`, schema, table)
	if err != nil {
		return "", fmt.Errorf("primary key: %w", err)
	}
	defer rows.Close()
	var names, types []string
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			return "", err
		}
		names, types = append(names, n), append(types, ty)
	}
	if len(names) != 1 || !strings.Contains(types[0], "int") {
		return "", rows.Err()
	}
	return names[0], rows.Err()
}

func (c *Conn) collect(ctx context.Context, conn *sql.Conn, b *source.Batcher, q string) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if v != nil {
				b.Set(i, string(v))
			}
		}
		if err := b.EndRow(); err != nil {
			return err
		}
	}
	return rows.Err()
}
