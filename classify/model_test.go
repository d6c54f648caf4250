package classify

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{
		"public.t_sbtz":             "t_sbtz",
		"mes.PP_FORMULA_HDR":        "PP_FORMULA_HDR",
		"t_sbtz":                    "t_sbtz",
		"exports/员工花名册.xlsx#Sheet1": "员工花名册 Sheet1",
		`d:\data\2024\设备台账.CSV`:     "设备台账",
		"report.2024.csv":           "report.2024",
		"logs/app.ndjson":           "app",
	} {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
	}
}

// toyTables are tables whose category only invented words reveal: the
// rules know none of them, so what the models say they learnt.
func toyTables() []LabelledTable {
	var out []LabelledTable
	for _, w := range []struct{ word, cat string }{{"zorblax", "mgmt.asset"}, {"quibbet", "om.logistics"}} {
		for j := range 6 {
			t := Table{Name: w.word + "_" + string(rune('a'+j)), Comment: "", Columns: []Column{
				{Name: "id", Type: "bigint", Values: []string{"1", "2", "3"}},
				{Name: w.word + "_code", Type: "varchar(20)", Values: []string{"A1", "B2", "C3"}},
				{Name: "qty", Type: "integer", Values: []string{"4", "5", "6"}},
			}}
			out = append(out, LabelledTable{Table: t, Category: w.cat, Columns: []string{"tech", w.cat, w.cat}})
		}
	}
	return out
}

func TestModelsLearnAndExplain(t *testing.T) {
	e := mustLoad(t)
	m, err := e.TrainModels(toyTables())
	if err != nil {
		t.Fatal(err)
	}
	with := e.WithModels(m)
	probe := Table{Name: "quibbet_new", Columns: []Column{{Name: "quibbet_code", Type: "varchar(20)", Values: []string{"X9"}}, {Name: "qty", Type: "integer", Values: []string{"7"}}}}
	tl := with.Classify(probe, Options{})
	if tl.Category != "om.logistics" {
		t.Fatalf("table = %s, want om.logistics (evidence %v)", tl.Category, tl.Evidence)
	}
	var why string
	for _, ev := range tl.Evidence {
		if ev.Kind == KindModel {
			why = ev.Detail
		}
	}
	if !strings.Contains(why, "表类别模型判为 om.logistics") || !strings.Contains(why, "quibbet") {
		t.Errorf("model evidence %q should name the category and the deciding word", why)
	}
	if got := e.WithModels(nil).Classify(probe, Options{}).Category; got == "om.logistics" {
		t.Errorf("the rules alone already say om.logistics: the probe does not test the model")
	}
	// Deterministic: training twice writes the same pack.
	var a, b bytes.Buffer
	m2, _ := e.TrainModels(toyTables())
	if err := m.WritePack(&a, "toy", "1", nil); err != nil {
		t.Fatal(err)
	}
	if err := m2.WritePack(&b, "toy", "1", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("training is not deterministic")
	}
}

func TestModelsPackRoundTrip(t *testing.T) {
	e := mustLoad(t)
	m, err := e.TrainModels(toyTables())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.WritePack(&b, "shuan-default", e.Pack().Version, []string{"toy models"}); err != nil {
		t.Fatal(err)
	}
	files, err := readPacks(nil)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string][]byte{}
	for _, f := range files {
		if f.Base != "models.yaml" {
			set[f.Name] = f.Data
		}
	}
	set["toy/models.yaml"] = b.Bytes()
	loaded, err := LoadFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	direct := e.WithModels(m)
	for _, x := range toyTables() {
		want, got := direct.Classify(x.Table, Options{}), loaded.Classify(x.Table, Options{})
		if want.Category != got.Category {
			t.Errorf("%s: loaded pack says %s, trained models %s", x.Table.Name, got.Category, want.Category)
		}
		for i := range want.Columns {
			if want.Columns[i].Category != got.Columns[i].Category {
				t.Errorf("%s.%s: loaded pack says %s, trained models %s", x.Table.Name, x.Table.Columns[i].Name, got.Columns[i].Category, want.Columns[i].Category)
			}
		}
	}
}

func TestModelThresholdOne(t *testing.T) {
	e := mustLoad(t)
	m, err := e.TrainModels(toyTables())
	if err != nil {
		t.Fatal(err)
	}
	probe := Table{Name: "quibbet_new", Comment: "设备台账", Columns: []Column{{Name: "quibbet_code", Type: "varchar(20)", Values: []string{"X9"}}}}
	if got := e.WithModels(m).Classify(probe, Options{}).Category; got != "om.logistics" {
		t.Fatalf("threshold 0.5: table = %s, want the model's om.logistics", got)
	}
	off := e.WithModels(m)
	off.pol.modelTable, off.pol.modelColumn, off.pol.modelRuled = 1, 1, 1
	if got := off.Classify(probe, Options{}).Category; got != "mgmt.asset" {
		t.Errorf("threshold 1: table = %s, want the rules' mgmt.asset", got)
	}
}

func TestBadModelsReported(t *testing.T) {
	pack := `pack: {name: bad, version: "1"}
models:
  table:
    classes: [mgmt.asset, no.such]
    bias: [0.1]
    weights: |
      tn:a 0:1.5
      tn:b 7:2
      tn:c 0:x
`
	_, err := LoadFiles(map[string][]byte{"bad.yaml": []byte(pack)})
	var pe *PackError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PackError", err)
	}
	text := err.Error()
	for _, want := range []string{`bad.yaml:4: models.table.classes: unknown category "no.such"`, "bad.yaml:5: models.table.bias: 1 values for 2 classes",
		`bad.yaml:8: models.table.weights: feature "tn:b"`, `bad.yaml:9: models.table.weights: feature "tn:c"`} {
		if !strings.Contains(text, want) {
			t.Errorf("problems do not contain %q:\n%s", want, text)
		}
	}
}

func TestTypeClass(t *testing.T) {
	for in, want := range map[string]string{
		"tinyint(1)": "bool", "boolean": "bool", "bigint": "int", "INTEGER": "int", "decimal(14,3)": "num",
		"numeric": "num", "REAL": "num", "double precision": "num", "timestamp without time zone": "time",
		"datetime": "time", "date": "date", "character varying(32)": "text", "TEXT": "text", "jsonb": "text",
		"bytea": "", "": "",
	} {
		if got := typeClass(in); got != want {
			t.Errorf("typeClass(%q) = %q, want %q", in, got, want)
		}
	}
}
