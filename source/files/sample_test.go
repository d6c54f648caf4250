package files

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"github.com/shuan-dev/shuan/source"
)

// read reads the one table of a file into column → values, with the rows
// read and the last row count reported.
func read(t testing.TB, p string, o source.ReadOptions) (cols map[string][]string, rows int, tableRows int64) {
	t.Helper()
	c, err := Open(context.Background(), p, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.Tables(context.Background())
	if err != nil || len(tables) != 1 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	cols = map[string][]string{}
	err = c.Read(context.Background(), tables[0], o, func(b source.Batch) error {
		for i, col := range b.Columns {
			cols[col.Name] = append(cols[col.Name], b.Values[i]...)
		}
		rows += b.Rows
		tableRows = b.TableRows
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cols, rows, tableRows
}

// ids parses a column of row numbers and checks they rise strictly: rows
// come in file order and none twice.
func ids(t *testing.T, vals []string) []int {
	t.Helper()
	out := make([]int, len(vals))
	for i, v := range vals {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("id %q: %v", v, err)
		}
		if i > 0 && n <= out[i-1] {
			t.Fatalf("id %d after %d: not in file order", n, out[i-1])
		}
		out[i] = n
	}
	return out
}

func kind(id int) string {
	if id < 10000 {
		return "early"
	}
	return "late"
}

// bigCSV writes a CSV of 200,000 rows whose first 10,000 are "early" and
// the rest "late"; each row repeats its id so that a torn row shows.
func bigCSV(t *testing.T, dir string) string {
	var b bytes.Buffer
	b.WriteString("id,kind,phone,check\n")
	for id := range 200000 {
		fmt.Fprintf(&b, "%d,%s,138%08d,ok-%d\n", id, kind(id), id, id)
	}
	return write(t, dir, "big.csv", b.Bytes())
}

// checkRows checks that each sampled row is a whole real row: its columns
// agree on the id.
func checkRows(t *testing.T, cols map[string][]string, rows int) []int {
	t.Helper()
	got := ids(t, cols["id"])
	if len(got) != rows {
		t.Fatalf("%d ids in %d rows", len(got), rows)
	}
	for i, id := range got {
		if k := cols["kind"]; k != nil && k[i] != kind(id) {
			t.Fatalf("row %d: kind %q", id, k[i])
		}
		if c := cols["check"]; c[i] != fmt.Sprint("ok-", id) {
			t.Fatalf("row %d: check %q (torn row?)", id, c[i])
		}
	}
	return got
}

func TestSampleSpreadCSV(t *testing.T) {
	p := bigCSV(t, t.TempDir())
	o := source.ReadOptions{Limit: 1000}
	cols, rows, est := read(t, p, o)
	if rows != 1000 {
		t.Fatalf("sampled %d rows, want 1000", rows)
	}
	got := checkRows(t, cols, rows)
	late := 0
	for _, id := range got {
		if id >= 10000 {
			late++
		}
	}
	if late < 800 {
		t.Errorf("%d of 1000 sampled rows from the later 95%% of the file", late)
	}
	if est < 180000 || est > 220000 {
		t.Errorf("estimated %d rows, want about 200000", est)
	}
	again, _, est2 := read(t, p, o)
	if !reflect.DeepEqual(cols, again) || est != est2 {
		t.Error("a second read of the same file sampled other rows")
	}
	cols, rows, est = read(t, p, source.ReadOptions{Limit: 5000, Full: true})
	if rows != 200000 || est != 200000 || len(ids(t, cols["id"])) != 200000 {
		t.Errorf("full: %d rows, count %d", rows, est)
	}
}

// multiLineCSV writes a CSV over the sample budget whose notes span lines,
// hold commas and quotes and lines that look like records, and some end in a
// line break or comma right before the closing quote.
func multiLineCSV(t *testing.T, dir, name string, every int) string {
	var b bytes.Buffer
	b.WriteString("id,note,check\n")
	notes := []string{
		"first line %d\nsecond, with, commas",
		"%d,x,ok-1\n9,y,ok-9\n",
		"ends in a comma %d,",
		`said ""hi"" %d` + "\r\nthen left",
		"\n%d\n",
	}
	for id := 0; b.Len() <= 2*sampleBudget; id++ {
		note := fmt.Sprintf("plain %d", id)
		if id%every == 0 {
			note = `"` + strings.ReplaceAll(notes[id/every%len(notes)], "%d", strconv.Itoa(id)) + `"`
		}
		fmt.Fprintf(&b, "%d,%s,ok-%d\n", id, note, id)
	}
	return write(t, dir, name, b.Bytes())
}

func TestSampleMultiLineCSV(t *testing.T) {
	dir := t.TempDir()
	for _, every := range []int{1, 3, 50} {
		p := multiLineCSV(t, dir, fmt.Sprintf("notes%d.csv", every), every)
		cols, rows, _ := read(t, p, source.ReadOptions{Limit: 1000})
		if rows != 1000 {
			t.Errorf("every %d: sampled %d rows", every, rows)
		}
		got := checkRows(t, cols, rows)
		if every > 1 && got[len(got)-1] < 1000 {
			t.Errorf("every %d: sampled only the first rows", every)
		}
	}
}

func TestSampleGBKAndUTF16(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id\t姓名\t住址\tcheck\n")
	for id := 0; b.Len() < 2*sampleBudget; id++ {
		addr := fmt.Sprintf("北京市海淀区中关村大街%d号", id)
		if id%97 == 0 {
			addr = fmt.Sprintf("\"上海市浦东新区\n世纪大道%d号\"", id)
		}
		fmt.Fprintf(&b, "%d\t张伟%d\t%s\tok-%d\n", id, id, addr, id)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		write(t, dir, "gbk.tsv", gbk(t, b.String())),
		write(t, dir, "utf16.tsv", utf16),
	} {
		cols, rows, est := read(t, p, source.ReadOptions{Limit: 1000})
		if rows != 1000 {
			t.Fatalf("%s: sampled %d rows", p, rows)
		}
		got := checkRows(t, cols, rows)
		for i, id := range got {
			if want := fmt.Sprint("张伟", id); cols["姓名"][i] != want {
				t.Fatalf("%s: name %q, want %q", p, cols["姓名"][i], want)
			}
			if a := cols["住址"][i]; !strings.HasSuffix(a, fmt.Sprintf("%d号", id)) {
				t.Fatalf("%s: address %q of row %d", p, a, id)
			}
		}
		if got[len(got)-1] < 10000 || est < 10000 {
			t.Errorf("%s: last sampled row %d, estimate %d", p, got[len(got)-1], est)
		}
	}
}

func TestSampleSmallFiles(t *testing.T) {
	dir := t.TempDir()
	var csv, nd, txt bytes.Buffer
	csv.WriteString("id,check\n")
	for id := range 300 {
		fmt.Fprintf(&csv, "%d,ok-%d\n", id, id)
		fmt.Fprintf(&nd, "{\"id\":%d,\"check\":\"ok-%d\"}\n", id, id)
		fmt.Fprintf(&txt, "%d\n", id)
		if id%10 == 0 {
			nd.WriteString("\n") // blank lines are not rows
		}
	}
	for _, p := range []string{
		write(t, dir, "small.csv", csv.Bytes()),
		write(t, dir, "small.ndjson", nd.Bytes()),
		write(t, dir, "small.txt", txt.Bytes()),
	} {
		for _, limit := range []int{100, 1000} {
			cols, rows, est := read(t, p, source.ReadOptions{Limit: limit})
			vals := cols["id"]
			if vals == nil {
				vals = cols["line"]
			}
			got := ids(t, vals)
			if rows != min(limit, 300) || len(got) != rows || est != 300 {
				t.Errorf("%s limit %d: %d rows, %d ids, count %d", p, limit, rows, len(got), est)
			}
			if c := cols["check"]; c != nil {
				for i, id := range got {
					if c[i] != fmt.Sprint("ok-", id) {
						t.Errorf("%s: row %d check %q", p, id, c[i])
					}
				}
			}
			if limit == 100 && got[len(got)-1] < 150 {
				t.Errorf("%s: sampled the first rows %v", p, got)
			}
			again, _, _ := read(t, p, source.ReadOptions{Limit: limit})
			if !reflect.DeepEqual(cols, again) {
				t.Errorf("%s: a second read sampled other rows", p)
			}
		}
	}
}

func TestSampleSpreadNDJSONAndText(t *testing.T) {
	dir := t.TempDir()
	var nd, txt bytes.Buffer
	for id := range 200000 {
		fmt.Fprintf(&nd, "{\"id\":%d,\"kind\":%q,\"check\":\"ok-%d\"}\n", id, kind(id), id)
		fmt.Fprintf(&txt, "%d %s\n", id, kind(id))
		if id%1000 == 0 {
			nd.WriteString("\n")
		}
	}
	pn := write(t, dir, "big.ndjson", nd.Bytes())
	pt := write(t, dir, "big.log", txt.Bytes())
	o := source.ReadOptions{Limit: 1000}

	cols, rows, est := read(t, pn, o)
	got := checkRows(t, cols, rows)
	if rows != 1000 || got[100] < 10000 || est < 180000 || est > 220000 {
		t.Errorf("ndjson: %d rows, row 100 is %d, estimate %d", rows, got[100], est)
	}
	again, _, _ := read(t, pn, o)
	if !reflect.DeepEqual(cols, again) {
		t.Error("ndjson: a second read sampled other rows")
	}

	cols, rows, est = read(t, pt, o)
	var lines []string
	for _, l := range cols["line"] {
		id, k, _ := strings.Cut(l, " ")
		if n, _ := strconv.Atoi(id); k != kind(n) {
			t.Fatalf("text: line %q", l)
		}
		lines = append(lines, id)
	}
	got = ids(t, lines)
	if rows != 1000 || got[100] < 10000 || est < 180000 || est > 220000 {
		t.Errorf("text: %d rows, row 100 is %d, estimate %d", rows, got[100], est)
	}
	if _, rows, est = read(t, pt, source.ReadOptions{Limit: 5000, Full: true}); rows != 200000 || est != 200000 {
		t.Errorf("text full: %d rows, count %d", rows, est)
	}
}

func TestSampleJSONXLSXParquet(t *testing.T) {
	dir := t.TempDir()
	var js bytes.Buffer
	js.WriteString("[")
	for id := range 3000 {
		if id > 0 {
			js.WriteString(",")
		}
		fmt.Fprintf(&js, `{"id":%d,"check":"ok-%d"}`, id, id)
	}
	js.WriteString("]")
	pj := write(t, dir, "a.json", js.Bytes())

	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"id", "check"})
	for id := range 3000 {
		x.SetSheetRow("Sheet1", fmt.Sprint("A", id+2), &[]any{id, fmt.Sprint("ok-", id)})
	}
	px := filepath.Join(dir, "a.xlsx")
	if err := x.SaveAs(px); err != nil {
		t.Fatal(err)
	}

	type rec struct {
		ID    int64  `parquet:"id"`
		Check string `parquet:"check"`
	}
	recs := make([]rec, 30000)
	for id := range recs {
		recs[id] = rec{int64(id), fmt.Sprint("ok-", id)}
	}
	var pq bytes.Buffer
	w := parquet.NewGenericWriter[rec](&pq, parquet.PageBufferSize(4<<10))
	for i := 0; i < len(recs); i += 1000 {
		w.Write(recs[i : i+1000])
		w.Flush() // a row group per 1000 rows
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pp := write(t, dir, "a.parquet", pq.Bytes())

	for _, tc := range []struct {
		path  string
		total int
	}{{pj, 3000}, {px, 3000}, {pp, 30000}} {
		o := source.ReadOptions{Limit: 200}
		cols, rows, est := read(t, tc.path, o)
		got := checkRows(t, cols, rows)
		if rows != 200 || est != int64(tc.total) {
			t.Errorf("%s: %d rows, count %d", tc.path, rows, est)
		}
		if got[len(got)/2] < tc.total/4 || got[len(got)-1] < tc.total/2 {
			t.Errorf("%s: not spread: %v", tc.path, got)
		}
		again, _, _ := read(t, tc.path, o)
		if !reflect.DeepEqual(cols, again) {
			t.Errorf("%s: a second read sampled other rows", tc.path)
		}
		if _, rows, _ := read(t, tc.path, source.ReadOptions{Limit: 500, Full: true}); rows != tc.total {
			t.Errorf("%s full: %d rows", tc.path, rows)
		}
	}
}

// BenchmarkSample compares taking the first 1000 rows of a ~200 MB CSV with
// sampling 1000 rows spread over it. Set SHUAN_BENCH_FILES=1 to run it.
func BenchmarkSample(b *testing.B) {
	if os.Getenv("SHUAN_BENCH_FILES") == "" {
		b.Skip("set SHUAN_BENCH_FILES=1 to generate a 200 MB CSV and sample it")
	}
	p := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString("id,name,phone,id_card,address,note\n")
	var size int64
	for id := 0; size < 200<<20; id++ {
		fmt.Fprintf(&buf, "%d,张伟%d,138%08d,11010119900307%04d,北京市海淀区中关村大街%d号,\"备注 %d\"\n", id, id, id, id%10000, id, id)
		if buf.Len() > 1<<20 {
			size += int64(buf.Len())
			buf.WriteTo(f)
		}
	}
	buf.WriteTo(f)
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(p)
	b.Logf("%d MiB", st.Size()>>20)
	tables := []source.Table{{Name: "bench.csv"}}
	c, _ := Open(context.Background(), p, source.Options{})
	c.Tables(context.Background())
	for _, mode := range []string{"first-N", "spread"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				rows := 0
				emit := func(bt source.Batch) error { rows += bt.Rows; return nil }
				o := source.ReadOptions{Limit: 1000}
				if mode == "first-N" {
					f, _ := os.Open(p)
					err = readCSV(context.Background(), f, ',', o, sampling{}, emit, sizeEstimator(st.Size()))
					f.Close()
				} else {
					err = c.Read(context.Background(), tables[0], o, emit)
				}
				if err != nil || rows != 1000 {
					b.Fatalf("%d rows, %v", rows, err)
				}
			}
		})
	}
}
