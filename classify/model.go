package classify

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// The rules say what a keyword means; two learned models weigh what the
// rules cannot: which of several hints names a table's business, and when a
// column takes its own category rather than its table's. Both are
// multinomial logistic regressions over sparse features, trained on the
// labelled sets of testdata/fixtures (TrainModels) and shipped as pack data
// (packs/models.yaml), so they are versioned, hashed and replaceable like
// rules. A model only overrides the rules when it is confident (policy
// model_threshold) and its evidence names the features that decided.

// LabelledTable is a table with the categories a person gave it and each
// of its columns (in Table.Columns order).
type LabelledTable struct {
	Table    Table
	Category string
	Columns  []string
}

// Models are a trained table model and column model.
type Models struct {
	table, column *linear
}

// Training settings: full-batch Adagrad with L2, deterministic.
const (
	trainEpochs = 100
	trainL2     = 0.003
	trainRate   = 0.5
	// trainMinDF drops features seen in fewer training examples: a word
	// one table had says nothing about the next.
	trainMinDF = 2
)

// linear is a multinomial logistic regression over sparse features.
type linear struct {
	classes  []string
	bias     []float64
	weights  map[string][]float64
	examples int // training examples
}

type feature struct {
	key string
	v   float64
}

// features is a sparse feature vector, sorted by key so that sums are
// reproducible.
type features []feature

func newFeatures(m map[string]float64) features {
	out := make(features, 0, len(m))
	for k, v := range m {
		out = append(out, feature{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// probs returns the class probabilities of x.
func (m *linear) probs(x features) []float64 {
	p := append([]float64(nil), m.bias...)
	for _, f := range x {
		if w := m.weights[f.key]; w != nil {
			for c := range p {
				p[c] += w[c] * f.v
			}
		}
	}
	softmax(p)
	return p
}

// predict returns the most probable class of x and its probability.
func (m *linear) predict(x features) (int, float64) {
	p := m.probs(x)
	best := 0
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
	}
	return best, p[best]
}

// why returns the n features that added most to class c, strongest first.
func (m *linear) why(x features, c, n int) []string {
	type contrib struct {
		key string
		v   float64
	}
	var cs []contrib
	for _, f := range x {
		if w := m.weights[f.key]; w != nil && w[c]*f.v > 0 {
			cs = append(cs, contrib{f.key, w[c] * f.v})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].v > cs[j].v })
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, describeFeature(c.key))
	}
	return out
}

func softmax(p []float64) {
	mx := p[0]
	for _, v := range p {
		mx = max(mx, v)
	}
	var s float64
	for c := range p {
		p[c] = math.Exp(p[c] - mx)
		s += p[c]
	}
	for c := range p {
		p[c] /= s
	}
}

// trainLinear fits a model to examples xs with classes ys; examples whose
// class is not in classes are skipped.
func trainLinear(classes []string, xs []features, ys []string) *linear {
	idx := map[string]int{}
	for i, c := range classes {
		idx[c] = i
	}
	m := &linear{classes: classes, bias: make([]float64, len(classes)), weights: map[string][]float64{}}
	df := map[string]int{}
	for i, x := range xs {
		if _, ok := idx[ys[i]]; !ok {
			continue
		}
		m.examples++
		for _, f := range x {
			df[f.key]++
		}
	}
	var keys []string
	for k, n := range df {
		if n >= trainMinDF {
			m.weights[k] = make([]float64, len(classes))
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	grad, acc := map[string][]float64{}, map[string][]float64{}
	for _, k := range keys {
		grad[k] = make([]float64, len(classes))
		acc[k] = make([]float64, len(classes))
	}
	gb, accb := make([]float64, len(classes)), make([]float64, len(classes))
	for range trainEpochs {
		for _, k := range keys {
			w, g := m.weights[k], grad[k]
			for c := range g {
				g[c] = trainL2 * w[c]
			}
		}
		clear(gb)
		for i, x := range xs {
			y, ok := idx[ys[i]]
			if !ok {
				continue
			}
			p := m.probs(x)
			p[y]--
			for c := range p {
				gb[c] += p[c]
			}
			for _, f := range x {
				if g := grad[f.key]; g != nil {
					for c := range p {
						g[c] += p[c] * f.v
					}
				}
			}
		}
		for _, k := range keys {
			w, g, a := m.weights[k], grad[k], acc[k]
			for c := range w {
				a[c] += g[c] * g[c]
				if a[c] > 0 {
					w[c] -= trainRate * g[c] / math.Sqrt(a[c])
				}
			}
		}
		for c := range gb {
			accb[c] += gb[c] * gb[c]
			if accb[c] > 0 {
				m.bias[c] -= trainRate * gb[c] / math.Sqrt(accb[c])
			}
		}
	}
	return m
}

// tableFeatures are the words of a table's name and comment and, with less
// weight, of its columns' names and comments; Chinese text also gives the
// pinyin initials of its character pairs so that sbbh meets 设备编号.
func (e *Engine) tableFeatures(t Table) features {
	f := map[string]float64{}
	add := func(k string, v float64) { f[k] += v }
	e.nameWords(e.normName(baseName(t.Name)), "tn:", "tc:", "tp:", 1, add)
	text(t.Comment, "tc:", 1, add)
	hanInitials(t.Comment, "tp:", 0.5, add)
	n := float64(max(len(t.Columns), 1))
	for _, c := range t.Columns {
		e.nameWords(e.normName(c.Name), "cn:", "cc:", "cp:", 2/n, add)
		text(c.Comment, "cc:", 2/n, add)
		hanInitials(c.Comment, "cp:", 1/n, add)
	}
	var ss float64
	for _, v := range f {
		ss += v * v
	}
	if ss > 0 {
		s := 1 / math.Sqrt(ss)
		for k := range f {
			f[k] *= s
		}
	}
	return newFeatures(f)
}

// fileExts are the extensions of the file sources' names.
var fileExts = []string{".csv", ".tsv", ".txt", ".log", ".json", ".ndjson", ".jsonl", ".xlsx", ".parquet"}

// baseName is what names a table's business: public.t_sbtz is t_sbtz,
// exports/员工花名册.xlsx#Sheet1 is 员工花名册 Sheet1. Schemas and folders
// say where a table is kept, and the model has not learnt them.
func baseName(name string) string {
	sheet := ""
	if i := strings.LastIndexByte(name, '#'); i >= 0 {
		name, sheet = name[:i], " "+name[i+1:]
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	lower := strings.ToLower(name)
	for _, ext := range fileExts {
		if strings.HasSuffix(lower, ext) {
			return name[:len(name)-len(ext)] + sheet
		}
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:] // schema.table
	}
	return name + sheet
}

// columnFeatures describe one column as the rules left it: its words (its
// normalised name from the facts), its table's category, the rules'
// category, PI type and kinds of evidence, and its SQL type.
func (e *Engine) columnFeatures(cf *columnFacts, c Column, tableCat string) features {
	f := map[string]float64{}
	add := func(k string, v float64) { f[k] += v }
	l := &cf.label
	toks := strings.Fields(cf.nameNorm)
	e.nameWords(cf.nameNorm, "n:", "c:", "", 1, add)
	if len(toks) > 0 && !hasHan(toks[len(toks)-1]) {
		add("h:"+toks[len(toks)-1], 1)
	}
	text(c.Comment, "c:", 1, add)
	add("t:"+tableCat, 1)
	add("e:"+l.Category, 1)
	add("te:"+tableCat+"|"+l.Category, 1)
	if l.Category == tableCat {
		add("e=t", 1)
	}
	if l.PI != "" {
		add("pi:"+l.PI, 1)
	}
	for _, ev := range l.Evidence {
		add("k:"+ev.Kind, 0.5)
		if ev.Kind == KindPolicy || ev.Kind == KindContent {
			add("r:"+ev.Rule, 0.5)
		}
	}
	if ty := typeClass(c.Type); ty != "" {
		add("ty:"+ty, 1)
	}
	return newFeatures(f)
}

// typeClass folds an engine's column type into bool, int, num, time, date
// or text ("" when unknown), so that the model learnt on one engine's
// types reads another's: tinyint(1) is a flag, decimal a number.
func typeClass(t string) string {
	t = strings.ToLower(t)
	switch {
	case t == "":
		return ""
	case strings.Contains(t, "bool") || strings.HasPrefix(t, "tinyint(1)") || t == "bit" || t == "bit(1)":
		return "bool"
	case strings.Contains(t, "int") || strings.Contains(t, "serial"):
		return "int"
	case strings.Contains(t, "num") || strings.Contains(t, "dec") || strings.Contains(t, "real") ||
		strings.Contains(t, "double") || strings.Contains(t, "float") || strings.Contains(t, "money"):
		return "num"
	case strings.Contains(t, "time"):
		return "time"
	case strings.Contains(t, "date"):
		return "date"
	case strings.Contains(t, "char") || strings.Contains(t, "text") || strings.Contains(t, "string") ||
		strings.Contains(t, "clob") || strings.Contains(t, "json"):
		return "text"
	}
	return ""
}

// nameWords adds the words of a normalised table or column name (normName):
// ASCII words under
// ascii (and their letter pairs under pairs, if not ""), Chinese words like
// comment text under han (a table named 高炉工艺参数 says what its
// comment would).
func (e *Engine) nameWords(norm, ascii, han, pairs string, w float64, add func(string, float64)) {
	for _, tok := range strings.Fields(norm) {
		if hasHan(tok) {
			text(tok, han, w, add)
			if pairs != "" {
				hanInitials(tok, pairs, w/2, add)
			}
			continue
		}
		add(ascii+tok, w)
		if pairs != "" {
			e.initials(tok, pairs, w/2, add)
		}
	}
}

// text adds the Han characters and character pairs and the ASCII tokens of s.
func text(s, prefix string, w float64, add func(string, float64)) {
	for _, tok := range tokens(s) {
		if hasHan(tok) {
			rs := []rune(tok)
			for i := range rs {
				add(prefix+string(rs[i]), w/2)
				if i+1 < len(rs) {
					add(prefix+string(rs[i:i+2]), w)
				}
			}
			continue
		}
		add(prefix+tok, w)
	}
}

// initials adds the letter pairs of a short ASCII word that may be pinyin
// initials (sbbh: sb, bb, bh).
func (e *Engine) initials(w, prefix string, v float64, add func(string, float64)) {
	if len(w) < 2 || len(w) > 8 || e.vocab[w] || !asciiWord(w) {
		return
	}
	for i := 0; i+2 <= len(w); i++ {
		add(prefix+w[i:i+2], v)
	}
}

var firstReading = pinyin.NewArgs()

// hanInitials adds the pinyin initials of the Han character pairs of s (设备 → sb).
func hanInitials(s, prefix string, v float64, add func(string, float64)) {
	for _, tok := range tokens(s) {
		rs := []rune(tok)
		if len(rs) < 2 || !unicode.Is(unicode.Han, rs[0]) {
			continue
		}
		py := pinyin.Pinyin(tok, firstReading)
		if len(py) != len(rs) {
			continue
		}
		for i := 0; i+1 < len(py); i++ {
			if len(py[i]) > 0 && len(py[i+1]) > 0 {
				add(prefix+py[i][0][:1]+py[i+1][0][:1], v)
			}
		}
	}
}

// featureNames render feature prefixes in evidence.
var featureNames = map[string]string{
	"tn": "表名", "tc": "表注释", "tp": "表名/注释拼音", "cn": "列名", "cc": "列注释", "cp": "列名/注释拼音",
	"n": "列名", "h": "列名末词", "c": "列注释", "t": "表类别", "e": "规则类别", "te": "表类别|规则类别",
	"pi": "个人信息类型", "k": "证据类型", "r": "规则", "ty": "字段类型",
}

func describeFeature(key string) string {
	if key == "e=t" {
		return "规则类别与表类别相同"
	}
	p, v, ok := strings.Cut(key, ":")
	if name, known := featureNames[p]; ok && known {
		return name + "“" + v + "”"
	}
	return key
}

// TrainModels fits a table model and a column model to labelled tables,
// on top of e's rules (any models e carries are ignored): the table model
// first, then the column model on the labels the rules and the new table
// model give.
func (e *Engine) TrainModels(ex []LabelledTable) (*Models, error) {
	// Every table is also learnt as a source without comments shows it
	// (SQLite, CSV): by its names alone.
	for _, x := range ex[:len(ex):len(ex)] {
		if bare, ok := withoutComments(x.Table); ok {
			ex = append(ex, LabelledTable{Table: bare, Category: x.Category, Columns: x.Columns})
		}
	}
	cats := Categories()
	xs, ys := make([]features, len(ex)), make([]string, len(ex))
	for i, x := range ex {
		if !isCategory(x.Category) {
			return nil, fmt.Errorf("table %s: unknown category %q", x.Table.Name, x.Category)
		}
		if len(x.Columns) != len(x.Table.Columns) {
			return nil, fmt.Errorf("table %s: %d column labels for %d columns", x.Table.Name, len(x.Columns), len(x.Table.Columns))
		}
		for j, c := range x.Columns {
			if !isCategory(c) {
				return nil, fmt.Errorf("table %s column %s: unknown category %q", x.Table.Name, x.Table.Columns[j].Name, c)
			}
		}
		xs[i], ys[i] = e.tableFeatures(x.Table), x.Category
	}
	m := &Models{table: trainLinear(cats[:len(cats)-1], xs, ys)} // no table is technical
	rules := e.WithModels(&Models{table: m.table})
	var cx []features
	var cy []string
	for _, x := range ex {
		rules.classify(x.Table, Options{}, func(i int, f features) {
			cx, cy = append(cx, f), append(cy, x.Columns[i])
		})
	}
	m.column = trainLinear(cats, cx, cy)
	return m, nil
}

// withoutComments returns t without its table and column comments, and
// whether it had any.
func withoutComments(t Table) (Table, bool) {
	had := t.Comment != ""
	t.Comment = ""
	cols := make([]Column, len(t.Columns))
	for i, c := range t.Columns {
		had = had || c.Comment != ""
		c.Comment = ""
		cols[i] = c
	}
	t.Columns = cols
	return t, had
}

// WithModels returns a copy of e that uses m instead of its packs' models
// (nil: no models, the rules alone).
func (e *Engine) WithModels(m *Models) *Engine {
	c := *e
	c.models = Models{}
	if m != nil {
		c.models = *m
	}
	return &c
}

// Pack file representation: one line per feature, "key class:weight …",
// weights rounded to three decimals and zeros left out; features whose
// weights all round to zero are dropped.
const weightScale = 1000

// WritePack writes m as a pack file with the given pack header; comment
// lines go first.
func (m *Models) WritePack(w io.Writer, name, version string, comment []string) error {
	var b strings.Builder
	for _, c := range comment {
		b.WriteString("# " + c + "\n")
	}
	fmt.Fprintf(&b, "pack:\n  name: %s\n  version: %s\nmodels:\n", name, version)
	for _, mm := range []struct {
		name string
		m    *linear
	}{{"table", m.table}, {"column", m.column}} {
		if mm.m == nil {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n    examples: %d\n    classes: [%s]\n    bias: [", mm.name, mm.m.examples, strings.Join(mm.m.classes, ", "))
		for i, v := range mm.m.bias {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatFloat(math.Round(v*weightScale)/weightScale, 'f', -1, 64))
		}
		b.WriteString("]\n    weights: |\n")
		keys := make([]string, 0, len(mm.m.weights))
		for k := range mm.m.weights {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var line strings.Builder
			for c, v := range mm.m.weights[k] {
				if r := math.Round(v * weightScale); r != 0 {
					fmt.Fprintf(&line, " %d:%s", c, strconv.FormatFloat(r/weightScale, 'f', -1, 64))
				}
			}
			if line.Len() > 0 {
				b.WriteString("      " + k + line.String() + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rawModels is the models section of a pack file.
type rawModels struct {
	Table  *rawModel `yaml:"table"`
	Column *rawModel `yaml:"column"`
}

type rawModel struct {
	Examples int       `yaml:"examples"`
	Classes  []string  `yaml:"classes"`
	Bias     []float64 `yaml:"bias"`
	Weights  string    `yaml:"weights"`
	pos
}

// compileModel checks and compiles one model of a pack file; line numbers
// of weight problems count from the weights key.
func compileModel(r *rawModel, field string, pr problems) *linear {
	ok := true
	if len(r.Classes) == 0 {
		pr.add(r.at("classes"), field+".classes", "required")
		return nil
	}
	for _, c := range r.Classes {
		if !isCategory(c) {
			pr.add(r.at("classes"), field+".classes", "unknown category %q", c)
			ok = false
		}
	}
	if len(r.Bias) != len(r.Classes) {
		pr.add(r.at("bias"), field+".bias", "%d values for %d classes", len(r.Bias), len(r.Classes))
		ok = false
	}
	m := &linear{classes: r.Classes, bias: r.Bias, weights: map[string][]float64{}, examples: r.Examples}
	for i, line := range strings.Split(r.Weights, "\n") {
		fs := strings.Fields(line)
		if len(fs) == 0 {
			continue
		}
		at := r.at("weights") + 1 + i
		if m.weights[fs[0]] != nil {
			pr.add(at, field+".weights", "duplicate feature %q", fs[0])
			ok = false
			continue
		}
		w := make([]float64, len(r.Classes))
		for _, cw := range fs[1:] {
			cs, vs, found := strings.Cut(cw, ":")
			c, err1 := strconv.Atoi(cs)
			v, err2 := strconv.ParseFloat(vs, 64)
			if !found || err1 != nil || err2 != nil || c < 0 || c >= len(w) || math.IsNaN(v) || math.IsInf(v, 0) {
				pr.add(at, field+".weights", "feature %q: %q is not class:weight with a class below %d", fs[0], cw, len(w))
				ok = false
				continue
			}
			w[c] = v
		}
		m.weights[fs[0]] = w
	}
	if !ok {
		return nil
	}
	return m
}
