package sqlstore_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/sqlstore"
)

// TestScans runs the data source, scan and review suite on every engine.
func TestScans(t *testing.T) {
	cases := []struct {
		name string
		fn   func(t *testing.T, db *sqlstore.DB)
	}{
		{"Sources", testSources},
		{"ScanRecords", testScanRecords},
		{"Reviews", testReviews},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.fn(t, e.open(t))
				})
			}
		})
	}
}

func newSource(id, name string) sqlstore.Source {
	return sqlstore.Source{
		ID: id, Name: name, Kind: "postgres", Location: "postgres://scanner@db.plant.local:5432/mes",
		Secret:  []byte{1, 2, 3, 0, 4},
		Options: sqlstore.SourceOptions{Sample: 200, Include: []string{"*.csv"}, Industry: "steel"},
		Created: at(0), CreatedBy: "user:officer",
	}
}

func testSources(t *testing.T, db *sqlstore.DB) {
	a := newSource("src-a", "MES 生产库")
	must(t, db.CreateSource(ctx, a))
	b := newSource("src-b", "HR")
	b.Secret, b.Options = nil, sqlstore.SourceOptions{}
	must(t, db.CreateSource(ctx, b))
	wantCode(t, db.CreateSource(ctx, newSource("src-c", "HR")), shuan.ECONFLICT)
	wantCode(t, db.CreateSource(ctx, newSource("src-a", "other")), shuan.ECONFLICT)
	wantCode(t, db.CreateSource(ctx, sqlstore.Source{ID: "x"}), shuan.EINVALID)

	for _, key := range []string{"src-a", "MES 生产库"} {
		got, err := db.FindSource(ctx, key)
		must(t, err)
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("FindSource(%q) (-want +got):\n%s", key, diff)
		}
	}
	_, err := db.FindSource(ctx, "nope")
	wantCode(t, err, shuan.ENOTFOUND)
	all, err := db.FindSources(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Name != "HR" || all[1].Name != "MES 生产库" || all[0].Secret != nil {
		t.Fatalf("FindSources = %+v", all)
	}
	must(t, db.CreateScan(ctx, sqlstore.ScanRecord{ID: "scan-1", SourceID: "src-a", Status: sqlstore.ScanRunning, Started: at(time.Minute)}))
	_, err = db.SaveReview(ctx, sqlstore.ReviewLabel{SourceID: "src-a", Table: "t", Column: "c", Category: "tech", Level: "general", Reason: "r", By: "u", At: at(0)})
	must(t, err)
	must(t, db.DeleteSource(ctx, "src-a"))
	wantCode(t, db.DeleteSource(ctx, "src-a"), shuan.ENOTFOUND)
	_, err = db.FindScan(ctx, "scan-1")
	wantCode(t, err, shuan.ENOTFOUND)
	rv, err := db.FindReviews(ctx, "src-a")
	must(t, err)
	if len(rv) != 0 {
		t.Errorf("reviews survived their source: %+v", rv)
	}
}

func testScanRecords(t *testing.T, db *sqlstore.DB) {
	must(t, db.CreateSource(ctx, newSource("src-a", "A")))
	must(t, db.CreateSource(ctx, newSource("src-b", "B")))
	wantCode(t, db.CreateScan(ctx, sqlstore.ScanRecord{ID: "s0", SourceID: "nope", Status: sqlstore.ScanRunning, Started: at(0)}), shuan.ENOTFOUND)
	wantCode(t, db.CreateScan(ctx, sqlstore.ScanRecord{ID: "s0", SourceID: "src-a", Status: sqlstore.ScanDone, Started: at(0)}), shuan.EINVALID)
	for i, sc := range []sqlstore.ScanRecord{
		{ID: "s1", SourceID: "src-a", Status: sqlstore.ScanRunning, Started: at(1 * time.Minute), By: "user:officer"},
		{ID: "s2", SourceID: "src-a", Status: sqlstore.ScanQueued, Started: at(2 * time.Minute), By: "cli"},
		{ID: "s3", SourceID: "src-b", Status: sqlstore.ScanRunning, Started: at(3 * time.Minute)},
		{ID: "s4", SourceID: "src-a", Status: sqlstore.ScanRunning, Started: at(-time.Hour)},
	} {
		if err := db.CreateScan(ctx, sc); err != nil {
			t.Fatalf("scan %d: %v", i, err)
		}
	}
	doc := []byte(`{"schema_version":1,"tables":[]}`)
	counts := sqlstore.ScanCounts{Tables: 3, Columns: 20, PIColumns: 4, SensitivePI: 2, ImportantTables: 1, CoreTables: 0, Confirmed: 1, Skipped: 1}
	wantCode(t, db.FinishScan(ctx, sqlstore.ScanRecord{ID: "s1", Status: sqlstore.ScanDone, Finished: at(90 * time.Second)}), shuan.EINVALID)
	must(t, db.FinishScan(ctx, sqlstore.ScanRecord{ID: "s1", Status: sqlstore.ScanDone, Finished: at(90 * time.Second), Doc: doc, Counts: counts}))
	wantCode(t, db.FinishScan(ctx, sqlstore.ScanRecord{ID: "s1", Status: sqlstore.ScanFailed, Finished: at(2 * time.Minute), Error: "again"}), shuan.ECONFLICT)
	wantCode(t, db.FinishScan(ctx, sqlstore.ScanRecord{ID: "nope", Status: sqlstore.ScanFailed}), shuan.ENOTFOUND)
	must(t, db.FinishScan(ctx, sqlstore.ScanRecord{ID: "s3", Status: sqlstore.ScanFailed, Finished: at(4 * time.Minute), Error: "connection refused"}))

	got, err := db.FindScan(ctx, "s1")
	must(t, err)
	want := sqlstore.ScanRecord{ID: "s1", SourceID: "src-a", Status: sqlstore.ScanDone, Started: at(time.Minute), Finished: at(90 * time.Second),
		By: "user:officer", Counts: counts, Doc: doc}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindScan (-want +got):\n%s", diff)
	}
	ids := func(f sqlstore.ScanFilter) string {
		t.Helper()
		scans, err := db.FindScans(ctx, f)
		must(t, err)
		var out []byte
		for _, s := range scans {
			if s.Doc != nil {
				t.Errorf("FindScans returned a document for %s", s.ID)
			}
			out = append(out, s.ID...)
			out = append(out, ' ')
		}
		return string(bytes.TrimSpace(out))
	}
	for _, tc := range []struct {
		f    sqlstore.ScanFilter
		want string
	}{
		{sqlstore.ScanFilter{}, "s3 s2 s1 s4"},
		{sqlstore.ScanFilter{SourceID: "src-a"}, "s2 s1 s4"},
		{sqlstore.ScanFilter{SourceID: "src-a", Status: sqlstore.ScanDone}, "s1"},
		{sqlstore.ScanFilter{Status: sqlstore.ScanFailed}, "s3"},
		{sqlstore.ScanFilter{Limit: 2}, "s3 s2"},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("FindScans(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	n, err := db.FailStaleScans(ctx, at(0), at(5*time.Minute), "interrupted")
	must(t, err)
	if n != 1 {
		t.Errorf("FailStaleScans marked %d, want 1 (s4)", n)
	}
	s4, err := db.FindScan(ctx, "s4")
	must(t, err)
	if s4.Status != sqlstore.ScanFailed || s4.Error != "interrupted" || !s4.Finished.Equal(at(5*time.Minute)) {
		t.Errorf("s4 = %+v", s4)
	}
}

func testReviews(t *testing.T, db *sqlstore.DB) {
	must(t, db.CreateSource(ctx, newSource("src-a", "A")))
	must(t, db.CreateSource(ctx, newSource("src-b", "B")))
	r := func(src, table, col, cat, pi, level, reason, by string, d time.Duration) sqlstore.ReviewLabel {
		return sqlstore.ReviewLabel{SourceID: src, Table: table, Column: col, Category: cat, PI: pi, SensitivePI: pi == "pi.id_number",
			Level: level, Reason: reason, By: by, At: at(d)}
	}
	_, err := db.SaveReview(ctx, r("src-a", "hr", "sfzh", "mgmt.hr_finance", "pi.id_number", "important", " ", "li", 0))
	wantCode(t, err, shuan.EINVALID)
	_, err = db.SaveReview(ctx, r("nope", "hr", "sfzh", "mgmt.hr_finance", "pi.id_number", "important", "ok", "li", 0))
	wantCode(t, err, shuan.ENOTFOUND)

	first, err := db.SaveReview(ctx, r("src-a", "hr", "sfzh", "mgmt.hr_finance", "pi.id_number", "important", "核对人事系统", "li", time.Minute))
	must(t, err)
	_, err = db.SaveReview(ctx, r("src-a", "hr", "xm", "mgmt.hr_finance", "pi.name", "general", "姓名", "li", 2*time.Minute))
	must(t, err)
	_, err = db.SaveReview(ctx, r("src-b", "hr", "sfzh", "tech", "", "general", "测试数据", "wang", 3*time.Minute))
	must(t, err)
	last, err := db.SaveReview(ctx, r("src-a", "hr", "sfzh", "mgmt.hr_finance", "pi.id_number", "core", "涉及全部员工", "zhang", 4*time.Minute))
	must(t, err)
	if last.Seq <= first.Seq {
		t.Errorf("seq %d after %d", last.Seq, first.Seq)
	}
	cur, err := db.FindReviews(ctx, "src-a")
	must(t, err)
	if len(cur) != 2 || cur[0].Column != "sfzh" || cur[1].Column != "xm" {
		t.Fatalf("FindReviews = %+v", cur)
	}
	if diff := cmp.Diff(last, cur[0]); diff != "" {
		t.Errorf("label in force (-want +got):\n%s", diff)
	}
	if !cur[0].SensitivePI || cur[0].Level != "core" || cur[0].By != "zhang" {
		t.Errorf("current sfzh = %+v", cur[0])
	}
	hist, err := db.ReviewHistory(ctx, "src-a", "hr", "sfzh")
	must(t, err)
	if len(hist) != 2 || hist[0].Reason != "核对人事系统" || hist[1].Reason != "涉及全部员工" {
		t.Errorf("history = %+v", hist)
	}
	other, err := db.FindReviews(ctx, "src-b")
	must(t, err)
	if len(other) != 1 || other[0].Category != "tech" || other[0].PI != "" {
		t.Errorf("src-b reviews = %+v", other)
	}
}
