package scan

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/shuan-dev/shuan/classify"
	"github.com/shuan-dev/shuan/source"
	"github.com/shuan-dev/shuan/source/sqlite"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fake labels columns by name so that golden files test the output, not the rules.
type fake struct {
	sm3   string
	calls atomic.Int32
}

func (f *fake) Pack() classify.PackInfo {
	return classify.PackInfo{Name: "fake", Version: "1.0.0", SM3: f.sm3}
}

func (f *fake) Classify(t classify.Table, o classify.Options) classify.TableLabel {
	f.calls.Add(1)
	tl := classify.TableLabel{Category: "tech", Level: "general", SubLevel: 1, Caveat: "grading is a proposal a person confirms"}
	for _, c := range t.Columns {
		l := classify.ColumnLabel{Category: "tech", Level: "general", SubLevel: 1, Confidence: 0.5,
			Evidence: []classify.Evidence{{Kind: "name", Rule: "tech.id", Detail: "name " + c.Name}}}
		switch c.Name {
		case "xm":
			l = classify.ColumnLabel{Category: "mgmt.hr_finance", PI: "pi.name", Level: "general", SubLevel: 3, Confidence: 0.9,
				Evidence: []classify.Evidence{{Kind: "name", Rule: "pi.name.pinyin", Detail: "xm = 姓名"}}}
		case "sfzh":
			l = classify.ColumnLabel{Category: "mgmt.hr_finance", PI: "pi.id_number", SensitivePI: true, Level: "important", Confidence: 0.99,
				Evidence: []classify.Evidence{{Kind: "content", Rule: "pi.id_number.gb11643", Detail: "3/3 valid, e.g. 1101**********123X"}}}
			tl.Category, tl.Level, tl.SubLevel = "mgmt.hr_finance", "important", 0
		case "gycs_wd", "yl":
			l = classify.ColumnLabel{Category: "prod.process", Level: "general", SubLevel: 2, Confidence: 0.8,
				Evidence: []classify.Evidence{{Kind: "context", Rule: "prod.process.table", Detail: fmtCount(len(c.Values))}}}
			tl.Category, tl.SubLevel = "prod.process", 2
		}
		tl.Columns = append(tl.Columns, l)
	}
	return tl
}

func fmtCount(n int) string { return strings.Repeat("v", min(n, 5)) }

// goldenDB builds the SQLite fixture from testdata/golden.sql.
func goldenDB(t *testing.T, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plant.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	script, err := os.ReadFile("testdata/golden.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(strings.Split(string(script), ";\n"), extra...) {
		if strings.TrimSpace(s) == "" || strings.HasPrefix(strings.TrimSpace(s), "--") && !strings.Contains(s, "\n") {
			continue
		}
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func run(t *testing.T, path string, c Classifier, prev *Result, full bool) *Result {
	t.Helper()
	conn, err := sqlite.Open(context.Background(), path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	job := &Job{Source: conn, Classifier: c, Jobs: 2, Previous: prev, Full: full, Sample: 2,
		Now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }}
	if !full {
		job.Sample = 0
	}
	res, err := job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.Source.Location = "plant.db"
	return res
}

func TestGolden(t *testing.T) {
	res := run(t, goldenDB(t), &fake{sm3: strings.Repeat("ab", 32)}, nil, false)
	for _, tc := range []struct{ file, format, lang string }{
		{"result.json", "json", ""},
		{"result.csv", "csv", ""},
		{"result.html", "html", ""},
		{"result.txt", "table", ""},
		{"result.en.txt", "table", "en"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, res, tc.format, WriteOptions{Lang: tc.lang}); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs (-want +got; refresh with -update):\n%s", tc.file, diff)
			}
		})
	}
}

func TestJSONContract(t *testing.T) {
	res := run(t, goldenDB(t), &fake{sm3: "x"}, nil, false)
	var buf bytes.Buffer
	Write(&buf, res, "json", WriteOptions{})
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "scanned_at", "source", "rule_pack", "caveat", "tables", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing %q", k)
		}
	}
	tbl := doc["tables"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "comment", "rows", "sampled_rows", "category", "level", "fingerprint", "columns"} {
		if _, ok := tbl[k]; !ok {
			t.Errorf("table misses %q", k)
		}
	}
	col := tbl["columns"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "type", "comment", "category", "pi", "sensitive_pi", "level", "confidence", "evidence"} {
		if _, ok := col[k]; !ok {
			t.Errorf("column misses %q", k)
		}
	}
	back, err := ReadResult(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestXLSX(t *testing.T) {
	res := run(t, goldenDB(t), &fake{sm3: "x"}, nil, false)
	var buf bytes.Buffer
	if err := Write(&buf, res, "xlsx", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); !cmp.Equal(got, []string{SheetInventory, SheetCatalog, SheetAbout}) {
		t.Errorf("sheets %q", got)
	}
	rows, _ := f.GetRows(SheetInventory)
	if len(rows) != 1+res.Summary.Columns || rows[0][0] != "表名" {
		t.Errorf("inventory has %d rows, header %q", len(rows), rows[0])
	}
	cat, _ := f.GetRows(SheetCatalog)
	if len(cat) != 2 || cat[1][1] != "hr_employee" || !strings.Contains(cat[1][6], "身份证件号码") {
		t.Errorf("catalog rows %q", cat)
	}
}

func TestIncremental(t *testing.T) {
	path := goldenDB(t)
	c := &fake{sm3: "pack-1"}
	first := run(t, path, c, nil, false)
	if n := c.calls.Load(); n != 3 {
		t.Fatalf("first scan classified %d tables, want 3", n)
	}
	// A reviewer confirms xm as not PI, and the whole sys_flag table.
	for i := range first.Tables {
		tb := &first.Tables[i]
		if tb.Name == "hr_employee" {
			tb.Columns[1].Category, tb.Columns[1].PI, tb.Columns[1].Level = "mgmt.hr_finance", nil, "core"
			tb.Columns[1].Confirmed, tb.Columns[1].ConfirmedBy, tb.Columns[1].Reason = true, "李工", "岗位代号而非姓名"
		}
	}
	var buf bytes.Buffer
	Write(&buf, first, "json", WriteOptions{})
	prev, err := ReadResult(&buf)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := sql.Open("sqlite", path)
	for _, s := range []string{
		`INSERT INTO mes_process VALUES (3, 1600, 0.9, 'LF-02')`,
		`DROP TABLE sys_flag`,
		`CREATE TABLE plm_bom (id INTEGER PRIMARY KEY, wlbm TEXT)`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c.calls.Store(0)
	second := run(t, path, c, prev, false)
	if n := c.calls.Load(); n != 2 {
		t.Errorf("rescan classified %d tables, want 2 (mes_process changed, plm_bom new)", n)
	}
	byName := map[string]Table{}
	for _, tb := range second.Tables {
		byName[tb.Name] = tb
	}
	hr := byName["hr_employee"]
	if !hr.Unchanged || byName["mes_process"].Unchanged {
		t.Errorf("unchanged flags: hr %v mes %v", hr.Unchanged, byName["mes_process"].Unchanged)
	}
	xm := hr.Columns[1]
	if !xm.Confirmed || xm.PI != nil || xm.ConfirmedBy != "李工" || hr.Level != "core" {
		t.Errorf("confirmed label lost: %+v, table level %s", xm, hr.Level)
	}
	kinds := map[string]int{}
	for _, ch := range second.Changes {
		kinds[ch.Kind]++
	}
	if kinds[TableAdded] != 1 || kinds[TableRemoved] != 1 || kinds[TableChanged] != 1 {
		t.Errorf("changes %+v", second.Changes)
	}
	if second.Summary.Confirmed != 1 || second.Summary.Unchanged != 1 {
		t.Errorf("summary %+v", second.Summary)
	}
	var txt bytes.Buffer
	Write(&txt, second, "table", WriteOptions{})
	if !strings.Contains(txt.String(), "变更 (") || !strings.Contains(txt.String(), "新增表 plm_bom") {
		t.Errorf("table output lacks the changes section:\n%s", txt.String())
	}

	// A new rule pack re-labels everything but keeps the confirmed column.
	c2 := &fake{sm3: "pack-2"}
	third := run(t, path, c2, second, false)
	if n := c2.calls.Load(); n != 3 {
		t.Errorf("new rule pack classified %d tables, want 3", n)
	}
	for _, tb := range third.Tables {
		if tb.Unchanged {
			t.Errorf("%s carried over across rule packs", tb.Name)
		}
		if tb.Name == "hr_employee" && !tb.Columns[1].Confirmed {
			t.Errorf("confirmation lost across rule packs")
		}
	}
}

func TestFull(t *testing.T) {
	var extra []string
	for i := 10; i < 25; i++ {
		extra = append(extra, "INSERT INTO mes_process VALUES ("+itoa(i)+", 1500, 0.7, 'LF-03')")
	}
	path := goldenDB(t, extra...)
	c := &fake{sm3: "x"}
	res := run(t, path, c, nil, true)
	for _, tb := range res.Tables {
		if tb.Name == "mes_process" && (tb.Rows != 17 || tb.SampledRows != 17 || tb.Category != "prod.process") {
			t.Errorf("full pass: %+v", tb)
		}
	}
	if n := c.calls.Load(); n < 9 {
		t.Errorf("full pass classified %d chunks, want ≥9 with chunks of 2 rows", n)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// failing is a source whose reads fail.
type failing struct{ source.Conn }

func (failing) Info() source.Info { return source.Info{Kind: "file", Location: "x.csv"} }
func (failing) Tables(context.Context) ([]source.Table, error) {
	return []source.Table{{Name: "x.csv", Rows: -1}}, nil
}
func (failing) Read(context.Context, source.Table, source.ReadOptions, func(source.Batch) error) error {
	return os.ErrPermission
}

func TestErrorsNameTheTable(t *testing.T) {
	_, err := (&Job{Source: failing{}, Classifier: &fake{}}).Run(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), `scan source "x.csv": `) {
		t.Errorf("err = %v", err)
	}
}

// empty is a source without tables.
type empty struct{ failing }

func (empty) Tables(context.Context) ([]source.Table, error) { return nil, nil }

func TestEmptySourceWritesArrays(t *testing.T) {
	res, err := (&Job{Source: empty{}, Classifier: &fake{}}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	Write(&buf, res, "json", WriteOptions{})
	if !strings.Contains(buf.String(), `"tables": []`) {
		t.Errorf("empty result:\n%s", buf.String())
	}
	for _, f := range Formats() {
		if err := Write(&bytes.Buffer{}, res, f, WriteOptions{}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
