// Package sqlstoretest opens throwaway stores for tests: SQLite in a
// temporary directory, or a fresh PostgreSQL database dropped afterwards.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/shuan-dev/shuan/sqlstore"
)

// SQLite opens a store on a new SQLite file in tb's temporary directory and
// closes it when the test ends.
func SQLite(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "node.db"))
	if err != nil {
		tb.Fatalf("open sqlite store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a store on a fresh PostgreSQL database made by PostgresDSN,
// and closes it before the database is dropped.
func Postgres(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	dsn := PostgresDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open postgres store: %v", err)
	}
	tb.Cleanup(func() { db.Close() }) // runs before the drop: cleanups are LIFO
	return db
}

// PostgresDSN creates an empty database with a random name on the server
// named by SHUAN_TEST_PG_ADMIN_URL (a superuser URL), returns its URL, and
// drops it when the test ends, whoever is still connected. Without that
// variable the test is skipped, or fails when SHUAN_REQUIRE_SERVICES=1.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv("SHUAN_TEST_PG_ADMIN_URL")
	if admin == "" {
		if os.Getenv("SHUAN_REQUIRE_SERVICES") == "1" {
			tb.Fatal("SHUAN_TEST_PG_ADMIN_URL is not set and SHUAN_REQUIRE_SERVICES=1")
		}
		tb.Skip("SHUAN_TEST_PG_ADMIN_URL is not set")
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse SHUAN_TEST_PG_ADMIN_URL: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "shuan_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("open admin connection: %v", err)
	}
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		adb.Close()
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adb.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
		adb.Close()
	})
	u.Path = "/" + name
	return u.String()
}
