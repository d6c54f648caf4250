// Package sqlstore keeps a node's state in SQLite (embedded, the default) or
// PostgreSQL through database/sql, with one set of embedded migrations and the
// same SQL for both engines.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/shuan-dev/shuan"
)

// Dialects returned by DB.Dialect.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// sqliteParams configure every SQLite connection: WAL so readers never block
// the writer, a busy timeout instead of immediate SQLITE_BUSY, foreign keys on,
// and BEGIN IMMEDIATE so that transactions take the write lock up front and
// serialise instead of failing when a reader upgrades to a writer.
const sqliteParams = "_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is an open store. Its embedded *Store runs each method in its own
// transaction; Tx groups several methods into one.
type DB struct {
	*Store
	sql     *sql.DB
	dialect string
	stmts   *stmtCache // SQLite only: the driver would otherwise parse every statement anew
}

// Store holds the store methods. It runs them either directly on the pool
// (through DB) or inside one transaction (the argument of DB.Tx).
type Store struct {
	db *DB
	q  querier
	tx *sql.Tx
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens the store named by dsn and brings its schema up to date.
// "postgres://…" and "postgresql://…" select PostgreSQL; "sqlite:PATH" or a
// bare PATH select SQLite, creating the file if needed.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		driver, name, dialect string
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver, name, dialect = "pgx", dsn, Postgres
	default:
		p := strings.TrimPrefix(dsn, "sqlite:")
		if strings.HasPrefix(p, "//") {
			p = p[2:]
		}
		if p == "" {
			return nil, shuan.Errorf(shuan.EINVALID, "sqlite database path is empty")
		}
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		driver, name, dialect = "sqlite", p+sep+sqliteParams, SQLite
	}
	sdb, err := sql.Open(driver, name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	if dialect == Postgres {
		sdb.SetMaxOpenConns(20)
		sdb.SetMaxIdleConns(10)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	db := &DB{sql: sdb, dialect: dialect}
	db.Store = &Store{db: db, q: sdb}
	if dialect == SQLite {
		db.stmts = &stmtCache{db: sdb}
		db.Store.q = cachedQuerier{c: db.stmts, q: sdb}
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.stmts != nil {
		db.stmts.close()
	}
	return db.sql.Close()
}

// Dialect reports the engine: SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// Tx runs fn in one transaction: committed when fn returns nil, rolled back
// when it returns an error or panics. Inside fn use only s: calling db would
// run outside the transaction (and on SQLite wait for it to end).
//
// On SQLite the transaction holds the write lock from its start, so
// transactions run one at a time. On PostgreSQL it runs at READ COMMITTED;
// AppendDown and AppendAudit take a lock held until it ends.
func (db *DB) Tx(ctx context.Context, fn func(s *Store) error) (err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	var q querier = tx
	if db.stmts != nil {
		q = cachedQuerier{c: db.stmts, q: tx, tx: tx}
	}
	if err := fn(&Store{db: db, q: q, tx: tx}); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// atomic runs fn in the current transaction, or in a new one.
func (s *Store) atomic(ctx context.Context, fn func(s *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	return s.db.Tx(ctx, fn)
}

// lock serialises transactions that take the same named lock until they end.
// SQLite transactions already hold the database's write lock; PostgreSQL
// takes a transaction-scoped advisory lock.
func (s *Store) lock(ctx context.Context, name string) error {
	if s.tx == nil {
		panic("sqlstore: lock outside a transaction")
	}
	if s.db.dialect != Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("shuan/" + name))
	if _, err := s.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names { // fs.Glob returns names sorted
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migrate: %s: name must start with a number and _", base)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		err = db.Tx(ctx, func(s *Store) error {
			if err := s.lock(ctx, "migrate"); err != nil {
				return err
			}
			if _, err := s.q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				name       TEXT NOT NULL,
				applied_at BIGINT NOT NULL
			)`); err != nil {
				return err
			}
			var n int
			if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := s.q.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := s.q.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				version, base, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	return nil
}

// inserted reports whether an INSERT … ON CONFLICT DO NOTHING wrote its row.
func inserted(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// withLimit appends a LIMIT with the next placeholder when limit > 0.
func withLimit(q string, args []any, limit int) (string, []any) {
	if limit <= 0 {
		return q, args
	}
	args = append(args, limit)
	return q + " LIMIT $" + strconv.Itoa(len(args)), args
}

// tm encodes a time as UTC microseconds since the epoch; the zero time is NULL.
func tm(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// nullTime decodes a column written by tm.
type nullTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (n nullTime) Scan(v any) error {
	var i sql.NullInt64
	if err := i.Scan(v); err != nil {
		return err
	}
	if i.Valid {
		*n.t = time.UnixMicro(i.Int64).UTC()
	} else {
		*n.t = time.Time{}
	}
	return nil
}

// asTime scans a time column into t.
func asTime(t *time.Time) nullTime { return nullTime{t} }

// boolInt encodes a bool as the INTEGER 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
