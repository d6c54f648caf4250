package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache; queries past it run unprepared.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per query text. PostgreSQL's driver
// caches statements itself; SQLite's parses every statement it is given, which
// dominated the federation's receive path in profiles.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m) >= maxCachedStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared path reports the error
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// cachedQuerier runs queries through cached prepared statements, bound to
// the transaction when there is one.
type cachedQuerier struct {
	c  *stmtCache
	q  querier
	tx *sql.Tx
}

func (cq cachedQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	st := cq.c.get(ctx, query)
	if st == nil || cq.tx == nil {
		return st
	}
	return cq.tx.StmtContext(ctx, st)
}

func (cq cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := cq.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return cq.q.ExecContext(ctx, query, args...)
}

func (cq cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := cq.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return cq.q.QueryContext(ctx, query, args...)
}

func (cq cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := cq.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return cq.q.QueryRowContext(ctx, query, args...)
}
