package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/shuan-dev/shuan/source"
	"github.com/shuan-dev/shuan/source/sourcetest"
)

// AdminDB opens the test server from a mysql:// URL for set-up statements.
func adminDB(t *testing.T, raw string) *sql.DB {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := driver.NewConfig()
	cfg.Net, cfg.Addr = "tcp", u.Host
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.MultiStatements = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// makeDB creates a random database holding the conformance table and
// returns a URL to it.
func makeDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	raw := sourcetest.Env(t, "SHUAN_TEST_MYSQL_URL")
	db := adminDB(t, raw)
	name := fmt.Sprintf("src_%d", rand.Int64N(1<<40))
	if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP DATABASE " + name); db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "USE "+name); err != nil {
		t.Fatal(err)
	}
	for _, s := range sourcetest.Schema("mysql") {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	u, _ := url.Parse(raw)
	u.Path = "/" + name
	return u.String(), db
}

func TestConformance(t *testing.T) {
	loc, _ := makeDB(t)
	c, err := Open(context.Background(), loc, source.Options{Conns: 2, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sourcetest.Check(t, c, "staff", true)
}

func TestBigTableKeyRanges(t *testing.T) {
	loc, _ := makeDB(t)
	c, err := Open(context.Background(), loc, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tables, err := c.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tb := tables[0]
	tb.Rows = RandomLimit * 2 // pretend the statistics say big
	rows := 0
	err = c.Read(context.Background(), tb, source.ReadOptions{Limit: 10}, func(b source.Batch) error {
		rows += b.Rows
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows > 10 {
		t.Errorf("key-range sample read %d rows, want 1..10", rows)
	}
}

func TestReadOnlyAndTimeout(t *testing.T) {
	loc, _ := makeDB(t)
	c, err := Open(context.Background(), loc, source.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.session(context.Background(), func(conn *sql.Conn) error {
		_, err := conn.ExecContext(context.Background(), "DELETE FROM staff")
		return err
	})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "read") {
		t.Errorf("write in a scan session: err = %v, want read-only error", err)
	}
	err = c.session(context.Background(), func(conn *sql.Conn) error {
		_, err := conn.ExecContext(context.Background(), "SELECT SLEEP(3) FROM staff LIMIT 1")
		return err
	})
	if c.mariadb && (err == nil || !strings.Contains(strings.ToLower(err.Error()), "max_statement_time")) {
		t.Errorf("slow statement: err = %v, want max_statement_time error", err)
	}
}
