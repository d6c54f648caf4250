package files

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/shuan-dev/shuan/source"
)

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll opens loc and reads every table fully into name → column → values.
func readAll(t *testing.T, loc string, o source.Options) (map[string]map[string][]string, *Conn) {
	t.Helper()
	c, err := Open(context.Background(), loc, o)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]string{}
	for _, tb := range tables {
		cols := map[string][]string{}
		err := c.Read(context.Background(), tb, source.ReadOptions{Limit: 100}, func(b source.Batch) error {
			for i, col := range b.Columns {
				cols[col.Name] = append(cols[col.Name], b.Values[i]...)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %s: %v", tb.Name, err)
		}
		out[tb.Name] = cols
	}
	return out, c
}

func TestFormats(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hr/员工.csv", []byte("\ufeff姓名,手机号,身份证号\n张伟,13800138000,110101199003071234\n王芳,13912345678,\n"))
	write(t, dir, "hr/gbk.csv", gbk(t, "xm;lxdh;jtzz\n李娜;13700001111;北京市海淀区中关村大街1号\n刘洋;13600002222;上海市浦东新区世纪大道2号\n"))
	write(t, dir, "scada/tags.tsv", []byte("tag\tvalue\tunit\nFIC-101.PV\t12.5\tm3/h\nTIC-202.PV\t85.1\t℃\n"))
	write(t, dir, "erp/orders.json", []byte(`[{"order":{"no":"SO-1","customer":{"name":"甲公司","uscc":"91350100M000100Y43"}},"lines":[{"sku":"A1"},{"sku":"B2"}]},{"order":{"no":"SO-2"},"paid":true,"amount":12.5}]`))
	write(t, dir, "logs/events.ndjson", []byte("{\"ts\":\"2026-01-01T00:00:00Z\",\"user\":{\"phone\":\"13800138000\"}}\n\n{\"ts\":\"2026-01-01T00:01:00Z\",\"ip\":\"10.0.0.1\"}\n"))
	write(t, dir, "logs/plc.log", []byte("G01 X10 Y20 F300\n\nM30\n"))
	write(t, dir, "images/photo.jpg", []byte{0xff, 0xd8})
	write(t, dir, ".git/config", []byte("[core]"))

	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "客户")
	f.SetSheetRow("客户", "A1", &[]any{"客户名称", "联系人", "电话"})
	f.SetSheetRow("客户", "A2", &[]any{"甲公司", "赵六", "13511112222"})
	f.NewSheet("供应商")
	f.SetSheetRow("供应商", "A1", &[]any{"供应商", "银行账号"})
	f.SetSheetRow("供应商", "A2", &[]any{"乙公司", "6222021234567890123"})
	if err := f.SaveAs(filepath.Join(dir, "erp/book.xlsx")); err != nil {
		t.Fatal(err)
	}

	type rec struct {
		Name  string  `parquet:"name"`
		Phone string  `parquet:"phone,optional"`
		Temp  float64 `parquet:"temp"`
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []rec{{"张伟", "13800138000", 21.5}, {"王芳", "", 22}}); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "hist/readings.parquet", buf.Bytes())

	got, c := readAll(t, dir, source.Options{Exclude: []string{".git"}})
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"erp/book.xlsx#供应商", "erp/book.xlsx#客户", "erp/orders.json", "hist/readings.parquet", "hr/gbk.csv", "hr/员工.csv", "logs/events.ndjson", "logs/plc.log", "scada/tags.tsv"}
	if !slices.Equal(names, want) {
		t.Fatalf("tables = %q\nwant %q", names, want)
	}
	check := func(table, col string, want ...string) {
		t.Helper()
		if g := got[table][col]; !slices.Equal(g, want) {
			t.Errorf("%s %s = %q, want %q (columns %v)", table, col, g, want, keys(got[table]))
		}
	}
	check("hr/员工.csv", "手机号", "13800138000", "13912345678")
	check("hr/员工.csv", "身份证号", "110101199003071234")
	check("hr/gbk.csv", "jtzz", "北京市海淀区中关村大街1号", "上海市浦东新区世纪大道2号")
	check("scada/tags.tsv", "unit", "m3/h", "℃")
	check("erp/orders.json", "order.customer.uscc", "91350100M000100Y43")
	check("erp/orders.json", "lines[].sku", "A1", "B2")
	check("erp/orders.json", "paid", "true")
	check("logs/events.ndjson", "user.phone", "13800138000")
	check("logs/events.ndjson", "ip", "10.0.0.1")
	check("logs/plc.log", "line", "G01 X10 Y20 F300", "M30")
	check("erp/book.xlsx#客户", "电话", "13511112222")
	check("erp/book.xlsx#供应商", "银行账号", "6222021234567890123")
	check("hist/readings.parquet", "phone", "13800138000")
	check("hist/readings.parquet", "temp", "21.5", "22")
	if len(c.Skipped()) != 0 {
		t.Errorf("skipped %v", c.Skipped())
	}

	got, c = readAll(t, dir, source.Options{Include: []string{"**/*.csv", "*.log"}, MaxFileSize: 60})
	if len(got) != 1 || got["logs/plc.log"] == nil {
		t.Errorf("include globs: tables %v", keys(got))
	}
	if sk := c.Skipped(); len(sk) != 2 || !strings.Contains(sk[0].Reason, "over limit") {
		t.Errorf("size limit: skipped %v", sk)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSingleFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "bad.ndjson", []byte("{\"a\":1}\n{\"a\":\n"))
	c, err := Open(context.Background(), p, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tables, _ := c.Tables(context.Background())
	if len(tables) != 1 || tables[0].Name != "bad.ndjson" {
		t.Fatalf("tables %v", tables)
	}
	err = c.Read(context.Background(), tables[0], source.ReadOptions{Limit: 10}, func(source.Batch) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "line 2:") {
		t.Errorf("err = %v, want line 2: …", err)
	}
	p = write(t, dir, "x.bin", []byte("x"))
	c, _ = Open(context.Background(), p, source.Options{})
	c.Tables(context.Background())
	if sk := c.Skipped(); len(sk) != 1 || !strings.Contains(sk[0].Reason, "unsupported") {
		t.Errorf("skipped %v", sk)
	}
}

func TestSampleLimitAndEstimate(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,phone\n")
	for i := range 5000 {
		b.WriteString("row")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(",13800138000\n")
	}
	p := write(t, t.TempDir(), "big.csv", []byte(b.String()))
	c, _ := Open(context.Background(), p, source.Options{})
	tables, _ := c.Tables(context.Background())
	var rows int
	var est int64
	c.Read(context.Background(), tables[0], source.ReadOptions{Limit: 100}, func(b source.Batch) error {
		rows += b.Rows
		est = b.TableRows
		return nil
	})
	if rows != 100 {
		t.Errorf("sampled %d rows, want 100", rows)
	}
	if est < 3000 || est > 8000 {
		t.Errorf("estimated %d rows, want about 5000", est)
	}
	rows, batches := 0, 0
	c.Read(context.Background(), tables[0], source.ReadOptions{Limit: 1000, Full: true}, func(b source.Batch) error {
		rows += b.Rows
		batches++
		est = b.TableRows
		return nil
	})
	if rows != 5000 || batches < 5 || est != 5000 {
		t.Errorf("full: %d rows in %d batches, count %d", rows, batches, est)
	}
}

func TestSniffDelimiter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a;b;c\n1;2,5;3\n4;5;6\n", ';'},
		{"a\tb\n1\t2\n", '\t'},
		{"a|b|c\n1|2|3\n", '|'},
		{`"x,y";b` + "\n" + `"1,2";3` + "\n", ';'},
		{"single\nvalue\n", ','},
	} {
		if got := SniffDelimiter([]byte(tc.in), ','); got != tc.want {
			t.Errorf("SniffDelimiter(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDetectEncoding(t *testing.T) {
	gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("工艺参数,温度"))
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte("plain"), UTF8},
		{[]byte("工艺"), UTF8},
		{[]byte("工艺")[:4], UTF8}, // cut rune
		{gb, GB18030},
		{[]byte{0xFF, 0xFE, 'a', 0}, UTF16LE},
	} {
		if got := DetectEncoding(tc.in); got != tc.want {
			t.Errorf("DetectEncoding(%x) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       bool
	}{
		{"*.csv", "a.csv", true},
		{"*.csv", "d/a.csv", false},
		{"**/*.csv", "d/e/a.csv", true},
		{"**/*.csv", "a.csv", true},
		{"d/**", "d/e/a.csv", true},
		{"*.{csv,tsv}", "a.tsv", true},
		{"a?.csv", "ab.csv", true},
	} {
		re, err := Glob(tc.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(tc.path); got != tc.want {
			t.Errorf("Glob(%q) on %q = %v", tc.glob, tc.path, got)
		}
	}
}
