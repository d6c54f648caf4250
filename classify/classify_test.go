package classify

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(tb testing.TB, dirs ...string) *Engine {
	tb.Helper()
	e, err := Load(dirs...)
	if err != nil {
		tb.Fatal(err)
	}
	e.now = func() time.Time { return testNow }
	return e
}

// TestPackExamples runs every rule's examples, as `shuan rules test` does.
func TestPackExamples(t *testing.T) {
	e := mustLoad(t)
	rules, examples := 0, 0
	for _, r := range e.TestExamples() {
		rules++
		if r.Passed == 0 {
			t.Errorf("%s (%s:%d) has no passing example", r.Rule, r.File, r.Line)
		}
		for _, x := range r.Examples {
			examples++
			if !x.Pass {
				t.Errorf("%s:%d rule %s match=%v %q: %s", r.File, x.Line, r.Rule, x.Match, x.Input, x.Got)
			}
		}
	}
	t.Logf("%d rules, %d examples", rules, examples)
}

// want is the expected label of one column: "category pi [sensitive] level[/sub]".
func colSummary(c ColumnLabel) string {
	s := c.Category
	if c.PI != "" {
		s += " " + c.PI
	}
	if c.SensitivePI {
		s += " sensitive"
	}
	s += " " + c.Level
	if c.SubLevel > 0 {
		s += fmt.Sprintf("/%d", c.SubLevel)
	}
	return s
}

func TestClassifyTables(t *testing.T) {
	e := mustLoad(t)
	r := rand.New(rand.NewSource(7))
	for _, c := range []struct {
		name     string
		table    Table
		industry string
		category string
		level    string
		cols     map[string]string
	}{
		{
			name: "HR table with pinyin columns, under 100k people", table: hrTable(r, 3000),
			category: "mgmt.hr_finance", level: "general",
			cols: map[string]string{
				"id":          "tech general/1",
				"xm":          "mgmt.hr_finance pi.name general/3",
				"sfzh":        "mgmt.hr_finance pi.id_number sensitive general/4",
				"lxdh":        "mgmt.hr_finance pi.phone general/3",
				"yhkh":        "mgmt.hr_finance pi.bank_account sensitive general/4",
				"jbgz":        "mgmt.hr_finance pi.employment general/3",
				"bm":          "mgmt.hr_finance pi.employment general/3",
				"create_time": "tech general/1",
				"is_deleted":  "tech general/1",
			},
		},
		{
			name: "HR table over 100k people", table: hrTable(r, 150000),
			category: "mgmt.hr_finance", level: "important",
			cols: map[string]string{
				"sfzh": "mgmt.hr_finance pi.id_number sensitive important",
				"jbgz": "mgmt.hr_finance pi.employment general/3",
			},
		},
		{
			name: "MES blast-furnace process table, steel pack", table: mesProcessTable(r), industry: "C3110",
			category: "prod.process", level: "important",
			cols: map[string]string{
				"ID":   "tech general/1",
				"LC":   "prod.process important",
				"FW":   "prod.process important",
				"X1":   "prod.process important",
				"PF":   "prod.process important",
				"GXSJ": "tech general/1",
			},
		},
		{
			name: "MES process table without industry", table: mesProcessTable(r),
			category: "prod.process", level: "general",
			cols: map[string]string{
				"FW": "prod.process general/3",
				"X1": "prod.process general/3",
			},
		},
		{
			name: "SCADA point table", table: scadaTable(r),
			category: "prod.condition", level: "general",
			cols: map[string]string{
				"point_id": "tech general/1",
				"tag":      "prod.condition general/2",
				"node":     "prod.control general/3",
				"val":      "prod.condition general/2",
				"unit_val": "prod.condition general/2",
				"ts":       "prod.condition general/2",
			},
		},
		{
			name: "ERP customer table", table: erpCustomerTable(r),
			category: "mgmt.customer_product", level: "general",
			cols: map[string]string{
				"khbh":     "mgmt.customer_product general/2",
				"khmc":     "mgmt.customer_product general/2",
				"tyshxydm": "mgmt.customer_product general/2",
				"lxr":      "mgmt.customer_product pi.name general/3",
				"sjh":      "mgmt.customer_product pi.phone general/3",
				"email":    "mgmt.customer_product pi.email general/3",
				"dz":       "mgmt.customer_product pi.address general/3",
			},
		},
		{
			name: "operation log", table: logTable(),
			category: "prod.log", level: "general",
			cols: map[string]string{
				"oper_id":     "tech general/1",
				"oper_ip":     "prod.log pi.other general/3",
				"request_url": "prod.log general/2",
			},
		},
		{
			name: "user table with opaque credential column", table: userTable(),
			cols: map[string]string{
				"password": "mgmt.customer_product pi.credential sensitive general/4",
				"F7":       "mgmt.customer_product pi.credential sensitive general/4",
			},
			category: "mgmt.customer_product", level: "general",
		},
		{
			// Tracks of the vehicles a car maker sold are connected-product
			// usage data (testdata/fixtures/GUIDE.md): after-sales.
			name: "vehicle tracks, automotive pack", table: vehicleTrackTable(r), industry: "automotive",
			category: "om.aftersales", level: "important",
			cols: map[string]string{
				"cph": "om.aftersales pi.other important",
				"pos": "om.aftersales pi.location sensitive important",
			},
		},
		{
			// The learned column model may not move a column its own
			// specific keyword names unless very sure: an interlock in a
			// converter table stays control information, graded important.
			name: "converter interlocks, steel pack", industry: "C31",
			table: Table{Name: "converter_plc", Rows: 400, Columns: []Column{
				{Name: "id", Type: "INTEGER", Values: []string{"1", "2", "3"}},
				{Name: "interlock", Type: "TEXT", Values: []string{"ON", "OFF", "ON"}},
				{Name: "gas_pressure", Type: "REAL", Values: []string{"1.2", "2.5", "3.1"}},
			}},
			category: "prod.process", level: "important",
			cols: map[string]string{"interlock": "prod.control important"},
		},
		{
			name: "PLM drawings, machinery pack", table: plmTable(), industry: "C35",
			category: "rd.design", level: "general",
			cols: map[string]string{
				"drawing_no": "rd.design general/4",
				"nc_program": "prod.control general/3",
				"cad_file":   "rd.design general/4",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			tl := e.Classify(c.table, Options{Industry: c.industry})
			if len(tl.Columns) != len(c.table.Columns) {
				t.Fatalf("got %d column labels for %d columns", len(tl.Columns), len(c.table.Columns))
			}
			if tl.Category != c.category || tl.Level != c.level {
				t.Errorf("table = %s %s, want %s %s", tl.Category, tl.Level, c.category, c.level)
			}
			if tl.Caveat == "" {
				t.Error("missing caveat")
			}
			got := map[string]string{}
			for i, col := range c.table.Columns {
				if _, ok := c.cols[col.Name]; ok {
					got[col.Name] = colSummary(tl.Columns[i])
				}
				if tl.Columns[i].Confidence <= 0 || tl.Columns[i].Confidence > 1 {
					t.Errorf("%s: confidence %v out of range", col.Name, tl.Columns[i].Confidence)
				}
				if len(tl.Columns[i].Evidence) == 0 {
					t.Errorf("%s: no evidence", col.Name)
				}
			}
			if d := cmp.Diff(c.cols, got); d != "" {
				t.Errorf("column labels (-want +got):\n%s", d)
			}
		})
	}
}

func TestConfidenceTiers(t *testing.T) {
	e := mustLoad(t)
	ids := []string{"320102198001011238", "11010519491231002X", "440306199212314560"}
	conf := func(name string, vals []string) float64 {
		tl := e.Classify(Table{Name: "t", Rows: -1, Columns: []Column{{Name: name, Values: vals}}}, Options{})
		return tl.Columns[0].Confidence
	}
	validated := conf("c1", ids)
	withContext := conf("sfzh", ids)
	nameOnly := conf("sfzh", nil)
	if !(withContext > validated && validated > nameOnly) {
		t.Errorf("tiers: context %.2f, validated %.2f, name only %.2f", withContext, validated, nameOnly)
	}
	// Pattern-only rule (no check character): a 2-4 character name.
	names := []string{"张伟", "王芳", "李娜", "刘洋", "陈静"}
	if p := conf("c2", names); p >= validated {
		t.Errorf("pattern-only confidence %.2f should be below validated %.2f", p, validated)
	}
	// Below the ratio threshold nothing is claimed from content.
	mixed := append([]string{"x", "y", "z", "w"}, ids[:2]...)
	tl := e.Classify(Table{Name: "t", Columns: []Column{{Name: "c3", Values: mixed}}}, Options{})
	if tl.Columns[0].PI != "" {
		t.Errorf("2/6 IDs gave PI %q", tl.Columns[0].PI)
	}
}

// TestEvidenceHasNoRawValues feeds known identifiers and checks that none of
// them, and no long run of their digits, appears in any evidence or in the
// JSON of the label.
func TestEvidenceHasNoRawValues(t *testing.T) {
	e := mustLoad(t)
	r := rand.New(rand.NewSource(3))
	tables := []Table{hrTable(r, 200000), erpCustomerTable(r), vehicleTrackTable(r), userTable()}
	tables = append(tables, Table{Name: "mixed", Rows: -1, Columns: []Column{
		{Name: "c1", Values: []string{"11010519491231002X", "320102198001011238", "13812345678", "6222021001123456789", "zhang.san@example.com"}},
		{Name: "remark", Values: []string{"11010519491231002X", "11010519491231002X", "11010519491231002X"}},
		{Name: "F9", Values: []string{"-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----"}},
	}})
	for _, tb := range tables {
		tl := e.Classify(tb, Options{Industry: "automotive"})
		blob, err := json.Marshal(tl)
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		details = append(details, string(blob))
		for _, ev := range tl.Evidence {
			details = append(details, ev.Detail)
		}
		for _, c := range tl.Columns {
			for _, ev := range c.Evidence {
				details = append(details, ev.Detail)
			}
		}
		for _, col := range tb.Columns {
			for _, v := range col.Values {
				if len(v) < 8 || strings.HasPrefix(v, "-----BEGIN") {
					continue // short codes such as 0/1 flags legitimately appear in text
				}
				for _, d := range details {
					if strings.Contains(d, v) {
						t.Fatalf("%s.%s: raw value %q appears in evidence %q", tb.Name, col.Name, v, d)
					}
					if digits := onlyDigits(v); len(digits) >= 15 && len(digits) >= len(v)-1 && strings.Contains(d, digits[4:len(digits)-4]) {
						t.Fatalf("%s.%s: middle digits of %q appear in evidence %q", tb.Name, col.Name, v, d)
					}
				}
			}
		}
	}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func TestIndustries(t *testing.T) {
	e := mustLoad(t)
	ins := e.Industries()
	if len(ins) < 10 {
		t.Fatalf("%d industries, want at least 10", len(ins))
	}
	for _, c := range []struct{ opt, key string }{
		{"steel", "steel"}, {"STEEL", "steel"}, {"C31", "steel"}, {"C3120", "steel"}, {"c3120", "steel"},
		{"C36", "automotive"}, {"C3973", "ic"}, {"C3971", "electronics"}, {"C39", "electronics"},
		{"C25", "petrochemical"}, {"C2614", "petrochemical"}, {"C32", "nonferrous"}, {"C34", "machinery"},
		{"C27", "pharma"}, {"C13", "food"}, {"C17", "textile"}, {"", ""}, {"Z99", ""},
	} {
		in, ok := e.industry(c.opt)
		if in.Key != c.key || ok != (c.key != "") {
			t.Errorf("industry(%q) = %q %v, want %q", c.opt, in.Key, ok, c.key)
		}
	}
	tl := e.Classify(Table{Name: "t", Columns: []Column{{Name: "x"}}}, Options{Industry: "Z99"})
	if tl.Evidence[0].Rule != "industry.unknown" {
		t.Errorf("unknown industry evidence = %+v", tl.Evidence[0])
	}
}

func TestPackInfo(t *testing.T) {
	a, b := mustLoad(t), mustLoad(t)
	if a.Pack() != b.Pack() || len(a.Pack().SM3) != 64 || a.Pack().Name != "shuan-default" || a.Pack().Version == "" {
		t.Fatalf("pack info %+v / %+v", a.Pack(), b.Pack())
	}
	dir := t.TempDir()
	pack := `pack: {name: province-js, version: 2026.1}
names:
  - id: js.name.mold
    title: 模具码
    category: mgmt.asset
    keywords: [mjm, 模具码]
    examples: {match: [MJM], no_match: [mjx]}
`
	if err := os.WriteFile(filepath.Join(dir, "js.yaml"), []byte(pack), 0o644); err != nil {
		t.Fatal(err)
	}
	u := mustLoad(t, dir)
	if u.Pack().Name != "shuan-default+province-js" || u.Pack().Version != "1.0.0+2026.1" || u.Pack().SM3 == a.Pack().SM3 {
		t.Errorf("user pack info %+v", u.Pack())
	}
	// Line endings do not change the digest.
	crlf := t.TempDir()
	if err := os.WriteFile(filepath.Join(crlf, "js.yaml"), []byte(strings.ReplaceAll(pack, "\n", "\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := mustLoad(t, crlf); v.Pack().SM3 != u.Pack().SM3 {
		t.Error("CRLF changed the canonical digest")
	}
	tl := u.Classify(Table{Name: "t", Columns: []Column{{Name: "MJM"}}}, Options{})
	if tl.Columns[0].Category != "mgmt.asset" {
		t.Errorf("user rule not applied: %+v", tl.Columns[0])
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	dir := t.TempDir()
	bad := `pack: {name: bad, version: "1"}
policy:
  min_ratio: 1.5
content:
  - id: Bad ID
    title: x
    validator: nope
    pi: pi.nothing
    examples: {match: ["1"]}
  - id: pi.mobile
    title: duplicate of an embedded rule
    pattern: "("
    category: prod.process
    colour: red
    examples: {match: ["1"]}
names:
  - id: bad.name
    title: no keywords
    category: nowhere
    examples: {no_match: [x]}
grading:
  - id: bad.grade
    title: g
    level: general
    when: {}
    examples: {match: [x]}
`
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	pe, ok := err.(*PackError)
	if !ok {
		t.Fatalf("Load error = %v, want *PackError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"bad.yaml:3: policy.min_ratio",
		"bad.yaml:5: id: \"Bad ID\"",
		"bad.yaml:7: content[0].validator: unknown validator \"nope\"",
		"bad.yaml:8: content[0].pi: unknown PI type",
		"bad.yaml:10: id: duplicate rule id \"pi.mobile\"",
		"bad.yaml:12: content[1].pattern",
		"bad.yaml:14: content[1].colour: unknown field",
		"names[0].category: unknown category \"nowhere\"",
		"names[0].keywords: at least one keyword required",
		"names[0].examples.match: at least one match example required",
		"grading[0].sublevel: general data needs a sub-level 1-4",
		"grading[0].basis: required",
		"grading[0].confirmed: required",
		"grading[0].when: at least one condition required",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if len(pe.Problems) < 14 {
		t.Errorf("%d problems:\n%s", len(pe.Problems), msg)
	}

	// YAML syntax errors carry the line too.
	syn := t.TempDir()
	os.WriteFile(filepath.Join(syn, "s.yaml"), []byte("pack: {name: s, version: 1}\nnames:\n  - id: [\n"), 0o644)
	if _, err := Load(syn); err == nil || !strings.Contains(err.Error(), "s.yaml:") {
		t.Errorf("syntax error = %v", err)
	}
	// Type errors too.
	typ := t.TempDir()
	os.WriteFile(filepath.Join(typ, "t.yaml"), []byte("pack: {name: s, version: 1}\ngrading:\n  - id: x\n    sublevel: high\n"), 0o644)
	if _, err := Load(typ); err == nil || !strings.Contains(err.Error(), "t.yaml:4:") {
		t.Errorf("type error = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing dir accepted")
	}
}

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"user_name", []string{"user", "name"}},
		{"idCardNo", []string{"id", "card", "no"}},
		{"HTTPServer", []string{"http", "server"}},
		{"SFZH", []string{"sfzh"}},
		{"TT203", []string{"tt", "203"}},
		{"员工姓名xm", []string{"员工姓名", "xm"}},
		{"  ", nil},
	} {
		if d := cmp.Diff(c.want, tokens(c.in)); d != "" {
			t.Errorf("tokens(%q): %s", c.in, d)
		}
	}
}

func TestScanText(t *testing.T) {
	e := mustLoad(t)
	text := []byte(`2024-05-01 10:00:01 INFO login ok user=zhang.san@example.com ip=10.1.2.3
工人 张三 身份证 11010519491231002X，电话 13812345678；工资卡 6222021001123456789。
sha 5f4dcc3b5aa765d61d8327deb882cf99 order 20240501000123
-----BEGIN RSA PRIVATE KEY-----
MIIEow...
-----END RSA PRIVATE KEY-----
opc ns=2;s=Line1.TT101 done.`)
	got := map[string]int{}
	for _, f := range e.ScanText(text) {
		got[f.Rule] = f.Count
		for _, s := range f.Samples {
			if strings.Contains(string(text), s) && len(s) > 8 {
				t.Errorf("sample %q is unmasked", s)
			}
		}
	}
	want := map[string]int{"pi.email": 1, "tech.ipv4": 1, "pi.resident_id": 1, "pi.mobile": 1, "pi.bank_card": 1, "pi.credential": 1, "ind.opcua_node": 1}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ScanText (-want +got):\n%s", d)
	}
}

func TestConcurrentClassify(t *testing.T) {
	e := mustLoad(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			for i := 0; i < 5; i++ {
				e.Classify(hrTable(r, 10), Options{Industry: "steel"})
				e.Classify(scadaTable(r), Options{})
				e.ScanText([]byte("13812345678 11010519491231002X"))
			}
		}(int64(g))
	}
	wg.Wait()
}

func TestEmptyTable(t *testing.T) {
	e := mustLoad(t)
	tl := e.Classify(Table{}, Options{})
	if tl.Level != LevelGeneral || tl.Category == "" || len(tl.Columns) != 0 {
		t.Errorf("empty table label %+v", tl)
	}
}

// FuzzLoad checks that arbitrary pack bytes never panic the loader and that
// a failure is always a *PackError.
func FuzzLoad(f *testing.F) {
	seeds, _ := defaultPacks.ReadFile("packs/steel.yaml")
	f.Add(seeds)
	f.Add([]byte("pack: {name: x, version: 1}\ncontent:\n  - id: a\n    title: t\n    pattern: '\\d+'\n    category: tech\n    examples: {match: ['1']}\n"))
	f.Add([]byte("pack: [\n"))
	f.Add([]byte(""))
	f.Add([]byte("grading:\n  - examples: {match: [{rows: -5}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := LoadFiles(map[string][]byte{"fuzz.yaml": data})
		if err != nil {
			if _, ok := err.(*PackError); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		e.TestExamples()
		e.Classify(Table{Name: "t", Columns: []Column{{Name: "c", Values: []string{"1"}}}}, Options{Industry: "x"})
	})
}

// TestDefaultCompilesOnce checks that the embedded engine is shared: a node
// scanning many sources must not recompile the packs for each.
func TestDefaultCompilesOnce(t *testing.T) {
	a, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Default()
	if a != b {
		t.Fatal("Default compiled the packs twice")
	}
	if a.Pack().SM3 == "" {
		t.Fatal("default engine has no pack identity")
	}
}
