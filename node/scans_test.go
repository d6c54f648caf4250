package node

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/scan/fixture"
	"github.com/shuan-dev/shuan/sqlstore"
	"github.com/shuan-dev/shuan/sqlstore/sqlstoretest"
)

// fixtureDB writes a SQLite source holding a few labelled fixture tables.
func fixtureDB(t testing.TB, tables ...string) string {
	t.Helper()
	spec, err := fixture.Load("../testdata/fixtures/labels.txt")
	if err != nil {
		t.Fatal(err)
	}
	spec.Tables = slices.DeleteFunc(spec.Tables, func(tb fixture.Table) bool { return !slices.Contains(tables, tb.Name) })
	path := filepath.Join(t.TempDir(), "plant.db")
	if err := fixture.WriteSQLite(path, spec, spec.Data(50, 7)); err != nil {
		t.Fatal(err)
	}
	return path
}

func enterprise(t testing.TB) *Runtime {
	return newNode(t, shuan.RoleEnterprise, "苏钢集团", "320500", "C3120")
}

var (
	officer  = shuan.User{ID: "u-o", Name: "officer", Role: shuan.UserOfficer}
	reviewer = shuan.User{ID: "u-r", Name: "reviewer", Role: shuan.UserReviewer}
	analyst  = shuan.User{ID: "u-a", Name: "analyst", Role: shuan.UserAnalyst}
)

func TestSourcePasswordSealed(t *testing.T) {
	ctx := context.Background()
	r := enterprise(t)
	var logs bytes.Buffer
	r.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const inURL, given = "Url-Secret-7731", "Given-Secret-9402"
	a, err := r.AddSource(ctx, officer, "MES", "postgres://scanner:"+inURL+"@127.0.0.1:1/mes?sslmode=disable", "", SourceOptions{Sample: 100})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.AddSource(ctx, shuan.User{}, "ERP", "mysql://scanner@127.0.0.1:1/erp?password="+inURL, given, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != "postgres" || a.Location != "postgres://scanner@127.0.0.1:1/mes?sslmode=disable" || a.Secret == nil {
		t.Errorf("source a = %+v", a)
	}
	if b.Kind != "mysql" || strings.Contains(b.Location, inURL) || b.Secret == nil || b.CreatedBy != "cli" {
		t.Errorf("source b = %+v", b)
	}
	// The sealed blob opens only for its own source.
	s, err := r.sealer()
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := s.Open(b.Secret, []byte(b.ID)); err != nil || string(pw) != given {
		t.Errorf("unseal b: %q, %v", pw, err)
	}
	if _, err := s.Open(b.Secret, []byte(a.ID)); err == nil {
		t.Error("b's sealed password opened under a's id")
	}
	other, _ := gm.NewSealer(make([]byte, 16))
	if _, err := other.Open(a.Secret, []byte(a.ID)); err == nil {
		t.Error("sealed password opened under another key")
	}

	// A scan fails (nothing listens on port 1) without revealing the password.
	rec, err := r.RunScan(ctx, officer, "MES")
	if err == nil || rec.Status != sqlstore.ScanFailed || rec.Error == "" {
		t.Fatalf("scan of a closed port: %+v, %v", rec, err)
	}
	if strings.Contains(err.Error(), inURL) || strings.Contains(rec.Error, inURL) {
		t.Errorf("scan error reveals the password: %v", err)
	}
	// Neither the store's files nor the audit log hold the passwords.
	recs, err := r.DB.AuditRecords(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rec := range recs {
		actions = append(actions, rec.Action)
		if strings.Contains(rec.Detail+rec.Object, inURL) || strings.Contains(rec.Detail, given) {
			t.Errorf("audit record %d holds a password: %s", rec.Seq, rec.Detail)
		}
	}
	for _, want := range []string{"source.add", "scan.run", "scan.finish"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit actions %v lack %s", actions, want)
		}
	}
	if strings.Contains(logs.String(), inURL) || strings.Contains(logs.String(), given) {
		t.Errorf("logs hold a password:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "scan finished") {
		t.Errorf("no log of the scan:\n%s", logs.String())
	}
	r.DB.Close()
	files, _ := filepath.Glob(filepath.Join(r.Dir, "node.db*"))
	if len(files) == 0 {
		t.Fatal("no store files")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{inURL, given} {
			if bytes.Contains(raw, []byte(pw)) {
				t.Errorf("%s holds the password %q in the clear", filepath.Base(f), pw)
			}
		}
	}
}

func TestAddSourceRefuses(t *testing.T) {
	ctx := context.Background()
	r := enterprise(t)
	db := fixtureDB(t, "hr_yuangong")
	for _, tc := range []struct {
		name, by, loc string
		o             SourceOptions
		code          string
	}{
		{"x", "analyst", db, SourceOptions{}, shuan.EFORBIDDEN},
		{"", "officer", db, SourceOptions{}, shuan.EINVALID},
		{" x", "officer", db, SourceOptions{}, shuan.EINVALID},
		{"x", "officer", "", SourceOptions{}, shuan.EINVALID},
		{"x", "officer", "http://example.com/a.csv", SourceOptions{}, shuan.EINVALID},
		{"x", "officer", filepath.Join(t.TempDir(), "missing.db"), SourceOptions{}, shuan.EINVALID},
		{"x", "officer", db, SourceOptions{Sample: -1}, shuan.EINVALID},
	} {
		by := officer
		if tc.by == "analyst" {
			by = analyst
		}
		_, err := r.AddSource(ctx, by, tc.name, tc.loc, "", tc.o)
		if got := shuan.ErrorCode(err); got != tc.code {
			t.Errorf("AddSource(%q, %q): %v, want %s", tc.name, tc.loc, err, tc.code)
		}
	}
	if _, err := r.AddSource(ctx, officer, "hr", "sqlite:"+db, "", SourceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.AddSource(ctx, officer, "hr", db, "", SourceOptions{}); shuan.ErrorCode(err) != shuan.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
	p := newNode(t, shuan.RoleProvince, "江苏省", "320000", "")
	if _, err := p.AddSource(ctx, shuan.User{}, "hr", db, "", SourceOptions{}); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Errorf("province AddSource: %v", err)
	}
}

func TestScanConfirmRescan(t *testing.T) { testScanConfirmRescan(t, enterprise(t)) }

// TestScanConfirmRescanPostgres runs the same flow on a PostgreSQL store.
func TestScanConfirmRescanPostgres(t *testing.T) {
	testScanConfirmRescan(t, newNodeDB(t, shuan.RoleEnterprise, "苏钢集团", "320500", "C3120", sqlstoretest.PostgresDSN(t)))
}

func testScanConfirmRescan(t *testing.T, r *Runtime) {
	ctx := context.Background()
	db := fixtureDB(t, "hr_yuangong", "mes_gycs")
	src, err := r.AddSource(ctx, officer, "人事库", db, "", SourceOptions{Sample: 50})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunScan(ctx, reviewer, src.ID); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Errorf("reviewer RunScan: %v", err)
	}
	if _, err := r.ConfirmColumn(ctx, reviewer, src.ID, "hr_yuangong", "xm", Label{Category: "mgmt.hr_finance", Level: "general"}, "x"); shuan.ErrorCode(err) != shuan.ENOTFOUND {
		t.Errorf("confirm before any scan: %v", err)
	}
	first, err := r.RunScan(ctx, officer, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != sqlstore.ScanDone || first.Counts.Tables != 2 || first.Counts.PIColumns == 0 || first.Counts.SensitivePI == 0 {
		t.Fatalf("first scan = %+v", first)
	}
	rep, err := r.ScanReport(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result == nil || len(rep.Result.Tables) != 2 || rep.Source.Name != "人事库" {
		t.Fatalf("report = %+v", rep)
	}
	sfzh, ok := findColumn(rep.Result, "hr_yuangong", "sfzh")
	if !ok || sfzh.PIType() != "pi.id_number" || sfzh.Confirmed {
		t.Fatalf("sfzh = %+v", sfzh)
	}

	// Confirm one column as shown and override another.
	shown := Label{Category: sfzh.Category, PI: sfzh.PIType(), SensitivePI: sfzh.SensitivePI, Level: sfzh.Level, SubLevel: sfzh.SubLevel}
	if _, err := r.ConfirmColumn(ctx, reviewer, src.ID, "hr_yuangong", "sfzh", shown, "  "); shuan.ErrorCode(err) != shuan.EINVALID {
		t.Errorf("confirm without reason: %v", err)
	}
	if _, err := r.ConfirmColumn(ctx, analyst, src.ID, "hr_yuangong", "sfzh", shown, "ok"); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Errorf("analyst confirm: %v", err)
	}
	if _, err := r.ConfirmColumn(ctx, reviewer, src.ID, "hr_yuangong", "nope", shown, "ok"); shuan.ErrorCode(err) != shuan.ENOTFOUND {
		t.Errorf("confirm unknown column: %v", err)
	}
	if _, err := r.ConfirmColumn(ctx, reviewer, src.ID, "hr_yuangong", "sfzh", Label{Category: "bogus", Level: "general"}, "ok"); shuan.ErrorCode(err) != shuan.EINVALID {
		t.Errorf("confirm bogus category: %v", err)
	}
	if _, err := r.ConfirmColumn(ctx, reviewer, src.ID, "hr_yuangong", "sfzh", shown, "核对人事系统"); err != nil {
		t.Fatal(err)
	}
	override := Label{Category: "mgmt.hr_finance", PI: "pi.other", Level: "core"}
	if _, err := r.ConfirmColumn(ctx, reviewer, src.ID, "hr_yuangong", "gz", override, "薪酬数据按核心数据管理"); err != nil {
		t.Fatal(err)
	}
	rep, err = r.ScanReport(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := findColumn(rep.Result, "hr_yuangong", "gz")
	if !gz.Confirmed || gz.Level != "core" || gz.ConfirmedBy != "reviewer" || gz.Reason != "薪酬数据按核心数据管理" || gz.Confidence != 1 {
		t.Errorf("overridden gz = %+v", gz)
	}
	for _, tb := range rep.Result.Tables {
		if tb.Name == "hr_yuangong" && tb.Level != "core" {
			t.Errorf("table level %s not raised to the confirmed core column", tb.Level)
		}
	}
	if rep.Result.Summary.Confirmed != 2 || len(rep.Reviews) != 2 {
		t.Errorf("summary confirmed %d, reviews %d", rep.Result.Summary.Confirmed, len(rep.Reviews))
	}

	// A rescan keeps the confirmed labels and skips the unchanged tables.
	second, err := r.RunScan(ctx, officer, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.DB.FindScan(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := scan.ReadResult(bytes.NewReader(rec.Doc))
	if err != nil {
		t.Fatal(err)
	}
	if stored.Summary.Unchanged != 2 || stored.Summary.Confirmed != 2 {
		t.Errorf("rescan summary = %+v", stored.Summary)
	}
	if c, _ := findColumn(stored, "hr_yuangong", "gz"); !c.Confirmed || c.Level != "core" || c.ConfirmedBy != "reviewer" {
		t.Errorf("rescanned gz = %+v", c)
	}

	confirmed, err := r.ConfirmedScans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(confirmed) != 1 || confirmed[0].Summary.Confirmed != 2 || !confirmed[0].ScannedAt.Equal(stored.ScannedAt) {
		t.Fatalf("ConfirmedScans = %+v", confirmed)
	}

	recs, err := r.DB.AuditRecords(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rec := range recs {
		actions = append(actions, rec.Action+" "+rec.Actor)
	}
	for _, want := range []string{"source.add user:officer", "scan.run user:officer", "label.confirm user:reviewer", "label.override user:reviewer"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit %v lacks %q", actions, want)
		}
	}

	// Removing the source removes its scans and reviews.
	if err := r.RemoveSource(ctx, officer, "人事库"); err != nil {
		t.Fatal(err)
	}
	if confirmed, _ := r.ConfirmedScans(ctx); len(confirmed) != 0 {
		t.Errorf("ConfirmedScans after removal = %d results", len(confirmed))
	}
}

func TestStartScanInBackground(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := enterprise(t)
	src, err := r.AddSource(ctx, officer, "hr", fixtureDB(t, "employee"), "", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.StartScan(ctx, officer, src.Name)
	cancel() // the request ends; the scan goes on
	if err != nil || rec.Status != sqlstore.ScanRunning {
		t.Fatalf("StartScan = %+v, %v", rec, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := r.DB.FindScan(context.Background(), rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == sqlstore.ScanDone {
			break
		}
		if got.Status == sqlstore.ScanFailed || time.Now().After(deadline) {
			t.Fatalf("background scan = %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
