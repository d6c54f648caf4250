package classify

import (
	"embed"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shuan-dev/shuan/rulepack"
)

// defaultPacks are the rule packs compiled into the binary.
//
//go:embed packs/*.yaml
var defaultPacks embed.FS

// validatorFunc scores one value: 0 no match, 1 shape only, 2 validated
// (check character, segment list or strict structure). now bounds dates.
type validatorFunc func(s string, now time.Time) int

// validatorNames lists the built-in validators usable from packs.
const validatorNames = "resident_id credit_code org_code bank_card mobile landline email passport hkmo_permit tw_permit " +
	"plate ipv4 ipv6 mac gps coordinate address chinese_name birth_date gender postal_code credential " +
	"gcode st_code opcua_node sensor_tag recipe measurement vin"

// ValidatorNames returns the names of the built-in validators a pack can use.
func ValidatorNames() []string { return strings.Fields(validatorNames) }

func score(ok bool, strong int) int {
	if ok {
		return strong
	}
	return 0
}

// builtinValidator returns the named built-in validator.
func builtinValidator(name string) (validatorFunc, bool) {
	switch name {
	case "resident_id":
		return func(s string, now time.Time) int { return score(ValidResidentID(s, now), 2) }, true
	case "credit_code":
		return func(s string, now time.Time) int { return score(ValidCreditCode(s), 2) }, true
	case "org_code":
		return func(s string, now time.Time) int {
			return score(ValidOrgCode(strings.ReplaceAll(s, "-", "")) && (strings.Count(s, "-") == 0 || len(s) == 10 && s[8] == '-'), 2)
		}, true
	case "bank_card":
		return func(s string, now time.Time) int { return score(ValidBankCard(s), 2) }, true
	case "mobile":
		return func(s string, now time.Time) int { return score(ValidMobile(s), 2) }, true
	case "landline":
		return func(s string, now time.Time) int { return score(ValidLandline(s), 1) }, true
	case "email":
		return func(s string, now time.Time) int { return score(ValidEmail(s), 2) }, true
	case "passport":
		return func(s string, now time.Time) int { return score(ValidPassport(s), 1) }, true
	case "hkmo_permit":
		return func(s string, now time.Time) int { return score(ValidHKMOPermit(s), 1) }, true
	case "tw_permit":
		return func(s string, now time.Time) int { return score(ValidTWPermit(s), 1) }, true
	case "plate":
		return func(s string, now time.Time) int { return score(ValidPlate(s), 2) }, true
	case "ipv4":
		return func(s string, now time.Time) int { return score(ValidIPv4(s), 2) }, true
	case "ipv6":
		return func(s string, now time.Time) int { return score(ValidIPv6(s), 2) }, true
	case "mac":
		return func(s string, now time.Time) int { return score(ValidMAC(s), 2) }, true
	case "gps":
		return func(s string, now time.Time) int {
			_, _, cn, ok := ParseGPS(s)
			if !ok {
				return 0
			}
			if cn {
				return 2
			}
			return 1
		}, true
	case "coordinate":
		return func(s string, now time.Time) int { return score(ValidCoordinate(s), 1) }, true
	case "address":
		return func(s string, now time.Time) int { return score(ValidAddress(s), 1) }, true
	case "chinese_name":
		return func(s string, now time.Time) int { return score(ValidChineseName(s), 1) }, true
	case "birth_date":
		return func(s string, now time.Time) int { return score(ValidBirthDate(s, now), 1) }, true
	case "gender":
		return func(s string, now time.Time) int { return score(ValidGender(s), 2) }, true
	case "postal_code":
		return func(s string, now time.Time) int { return score(ValidPostalCode(s), 1) }, true
	case "credential":
		return func(s string, now time.Time) int { return score(ValidCredential(s), 2) }, true
	case "gcode":
		return func(s string, now time.Time) int { return score(IsGCode(s), 2) }, true
	case "st_code":
		return func(s string, now time.Time) int { return score(IsSTCode(s), 2) }, true
	case "opcua_node":
		return func(s string, now time.Time) int { return score(IsOPCUANodeID(s), 2) }, true
	case "sensor_tag":
		return func(s string, now time.Time) int { return score(IsSensorTag(s), 1) }, true
	case "recipe":
		return func(s string, now time.Time) int { return score(IsRecipe(s), 1) }, true
	case "vin":
		return func(s string, now time.Time) int { return score(ValidVIN(s), 2) }, true
	case "measurement":
		return func(s string, now time.Time) int { return score(HasUnit(s), 2) }, true
	}
	return nil, false
}

// policy is the compiled grading and confidence policy.
type policy struct {
	minRatio         float64
	minValues        int
	minValuesPattern int
	maxValues        int
	confPattern      float64
	confValidated    float64
	confContext      float64
	confName         float64
	confComment      float64
	confTable        float64
	confMajority     float64
	confFallback     float64
	defaultCategory  string
	piCategory       string
	defaultSubLevel  int
	sensitive        []string
	sensitiveBasis   string
	sensitiveOK      bool
	words            words
	// modelTable and modelColumn are the probabilities above which the
	// table and column models override the rules (1: never).
	modelTable, modelColumn float64
	// modelRuled is the column model's threshold for a column a rule named
	// directly: its own specific keyword, or the context of a table a rule
	// explains when the column has nothing of its own.
	modelRuled float64
}

// words are the word lists of the schema heuristics (policy.words).
type words struct {
	// organisation names organisations that a record about a person
	// mentions (体检机构, issuing authority): no PI of the person.
	organisation []string
	// corporate marks a column as an organisation's (cVenPhone, 公司地址).
	corporate []string
	// corporateTables marks a table as a register of organisations.
	corporateTables []string
	// person marks a column as a person's, which wins (联系人电话).
	person []string
	// registered marks an address as a registered (company) one.
	registered []string
}

func defaultPolicy() policy {
	return policy{
		minRatio: 0.6, minValues: 1, minValuesPattern: 5, maxValues: 1000,
		confPattern: 0.5, confValidated: 0.8, confContext: 0.95, confName: 0.7, confComment: 0.75,
		confTable: 0.6, confMajority: 0.45, confFallback: 0.3,
		defaultCategory: "mgmt.business_stats", piCategory: "mgmt.customer_product", defaultSubLevel: 2,
		modelTable: 1, modelColumn: 1, modelRuled: 1,
	}
}

func (p policy) isSensitive(pi string) bool {
	for _, s := range p.sensitive {
		if s == pi {
			return true
		}
	}
	return false
}

// where locates a rule in its pack file.
type where struct {
	file string
	line int
}

// String formats the location as file:line.
func (w where) String() string { return fmt.Sprintf("%s:%d", w.file, w.line) }

// example is one compiled rule example.
type example struct {
	match bool
	ex    rawExample
	at    where
}

type contentRule struct {
	id, title            string
	check                validatorFunc
	pi, category         string
	categoryAfterContext bool
	requireContext       bool
	text                 bool // also used by ScanText on free text
	minRatio             float64
	minDistinct          float64
	mask                 string
	basis                string
	confirmed            bool
	examples             []example
	at                   where
}

type nameRule struct {
	id, title    string
	category, pi string
	weak         bool   // the category (and PI) yields to table context
	units        bool   // keywords are units of measure in comment brackets
	industry     string // "" for every industry
	examples     []example
	at           where
}

type tableRule struct {
	id, title string
	category  string
	columnPI  string // PI type of the table's business columns (体检 → pi.health)
	industry  string // "" for every industry
	examples  []example
	at        where
}

type gradeRule struct {
	id, title     string
	level         string
	subLevel      int
	categories    []string
	pi            []string
	sensitive     *bool
	keywords      *kwIndex
	tableKeywords *kwIndex
	colKeywords   *kwIndex
	minRows       int64
	basis         string
	confirmed     bool
	industry      string // "" for every industry
	examples      []example
	at            where
}

// nameHits returns the name-rule hits in norm among the rules active for industry.
func (e *Engine) nameHits(norm, industry string) map[int]kwHit {
	hits := e.nameIdx.find(norm)
	kept := hits[:0]
	for _, h := range hits {
		if in := e.names[h.owner].industry; in == "" || in == industry {
			kept = append(kept, h)
		}
	}
	return bestHits(kept)
}

// unitHits returns, per units rule active for industry, the first of units
// (normalised by splitUnits) it lists.
func (e *Engine) unitHits(units []string, industry string) map[int]string {
	var out map[int]string
	for _, u := range units {
		for _, owner := range e.unitIdx[u] {
			if in := e.names[owner].industry; in != "" && in != industry {
				continue
			}
			if _, ok := out[owner]; !ok {
				if out == nil {
					out = map[int]string{}
				}
				out[owner] = u
			}
		}
	}
	return out
}

// tableHits returns the table-rule hits in norm among the rules active for industry.
func (e *Engine) tableHits(norm, industry string) map[int]kwHit {
	hits := e.tableIdx.find(norm)
	kept := hits[:0]
	for _, h := range hits {
		if in := e.tables[h.owner].industry; in == "" || in == industry {
			kept = append(kept, h)
		}
	}
	return bestHits(kept)
}

// kind is the evidence kind the rule produces.
func (g *gradeRule) kind() string {
	switch {
	case g.industry != "":
		return KindIndustry
	case g.minRows > 0:
		return KindVolume
	}
	return KindPolicy
}

// Engine classifies and grades tables with compiled rule packs. It is
// immutable and safe for concurrent use.
type Engine struct {
	info       PackInfo
	pol        policy
	content    []contentRule
	ctxIdx     *kwIndex // content rules' context keywords; owner = content index
	names      []nameRule
	nameIdx    *kwIndex
	unitIdx    map[string][]int // normalised unit → name rules marked units
	tables     []tableRule
	tableIdx   *kwIndex
	vocab      map[string]bool // ASCII words of name and table keywords, for splitting folded names
	grades     []gradeRule
	industries []Industry
	now        func() time.Time
	models     Models
}

// Pack identifies the loaded rule packs.
func (e *Engine) Pack() PackInfo { return e.info }

// Industries lists the industries the loaded packs cover.
func (e *Engine) Industries() []Industry {
	out := make([]Industry, len(e.industries))
	for i, in := range e.industries {
		in.Codes = append([]string(nil), in.Codes...)
		out[i] = in
	}
	return out
}

// Default returns the engine of the embedded packs alone, compiled once per
// process (compiling takes a few hundred milliseconds); an Engine is
// immutable and safe for concurrent use.
var Default = sync.OnceValues(func() (*Engine, error) { return Load() })

// Load compiles the embedded default packs plus every *.yaml/*.yml file in
// dirs. All validation problems are reported at once as a *PackError.
func Load(dirs ...string) (*Engine, error) {
	files, err := readPacks(dirs)
	if err != nil {
		return nil, err
	}
	return compile(files, time.Now)
}

// readPacks returns the embedded pack files followed by those in dirs.
func readPacks(dirs []string) ([]rulepack.File, error) {
	files, err := rulepack.Embedded(defaultPacks, "packs/*.yaml")
	if err != nil {
		return nil, err
	}
	for i, d := range dirs {
		user, err := rulepack.ReadDir(d, i+1)
		if err != nil {
			return nil, err
		}
		files = append(files, user...)
	}
	return files, nil
}

// LoadFiles compiles only the given pack files (no embedded defaults); the
// map key is the name shown in problems. It is meant for tests and tools that
// check one pack in isolation.
func LoadFiles(files map[string][]byte) (*Engine, error) {
	var pf []rulepack.File
	for n, b := range files {
		pf = append(pf, rulepack.File{Name: n, Base: filepath.Base(n), Data: b})
	}
	sort.Slice(pf, func(i, j int) bool { return pf[i].Name < pf[j].Name })
	return compile(pf, time.Now)
}

// validID reports whether id uses lower-case letters, digits, '.', '_' and '-'
// and starts with a letter or digit.
func validID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || isDigit(c) || i > 0 && (c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return id != ""
}

// compile decodes, validates and compiles pack files into an Engine.
func compile(files []rulepack.File, now func() time.Time) (*Engine, error) {
	var list []Problem
	var ps []parsed
	for _, f := range files {
		raw, ok := decodeFile(f, &list)
		if ok {
			ps = append(ps, parsed{file: f, raw: raw})
		}
	}
	e := &Engine{pol: defaultPolicy(), now: now}
	e.info = packInfo(files, ps, &list)
	ids := map[string]where{}
	checkID := func(pr problems, id string, line int) bool {
		if id == "" {
			pr.add(line, "id", "required")
			return false
		}
		if !validID(id) {
			pr.add(line, "id", "%q must be lower-case letters, digits, '.', '_' or '-'", id)
		}
		if w, dup := ids[id]; dup {
			pr.add(line, "id", "duplicate rule id %q (first at %s)", id, w)
			return false
		}
		ids[id] = where{pr.file, line}
		return true
	}
	var nameB, tableB, ctxB kwBuilder
	nameB.pinyin, tableB.pinyin, ctxB.pinyin = true, true, true
	industryKeys := map[string]bool{}
	for _, p := range ps {
		pr := problems{list: &list, file: p.file.Name}
		r := p.raw
		industry := ""
		if r.Industry != nil {
			in := r.Industry
			industry = in.Key
			switch {
			case in.Key == "":
				pr.add(in.line, "industry.key", "required")
			case industryKeys[in.Key]:
				pr.add(in.at("key"), "industry.key", "duplicate industry %q", in.Key)
			default:
				industryKeys[in.Key] = true
			}
			if len(in.Codes) == 0 {
				pr.add(in.line, "industry.codes", "at least one GB/T 4754 code required")
			}
			for _, c := range in.Codes {
				if !gbtCode(c) {
					pr.add(in.at("codes"), "industry.codes", "%q is not a GB/T 4754 code like C31 or C3973", c)
				}
			}
			if in.NameZH == "" || in.NameEN == "" {
				pr.add(in.line, "industry.name_zh", "name_zh and name_en required")
			}
			e.industries = append(e.industries, Industry{Key: in.Key, Codes: in.Codes, NameZH: in.NameZH, NameEN: in.NameEN})
		}
		if r.Policy != nil {
			e.pol = mergePolicy(e.pol, r.Policy, pr)
		}
		if r.Models != nil {
			// A later file's model replaces an earlier one: a province may
			// ship models trained on its own confirmed labels.
			if r.Models.Table != nil {
				e.models.table = compileModel(r.Models.Table, "models.table", pr)
			}
			if r.Models.Column != nil {
				e.models.column = compileModel(r.Models.Column, "models.column", pr)
			}
		}
		for i := range r.Content {
			c := &r.Content[i]
			f := fmt.Sprintf("content[%d]", i)
			ok := checkID(pr, c.ID, c.at("id"))
			cr := contentRule{id: c.ID, title: c.Title, pi: c.PI, category: c.Category, categoryAfterContext: c.CategoryAfterContext,
				requireContext: c.RequireContext, text: c.Text, mask: c.Mask, basis: c.Basis, minRatio: -1, at: where{pr.file, c.line}}
			if c.Confirmed != nil {
				cr.confirmed = *c.Confirmed
			}
			if c.Title == "" {
				pr.add(c.line, f+".title", "required")
			}
			var v validatorFunc
			if c.Validator != "" {
				var okv bool
				if v, okv = builtinValidator(c.Validator); !okv {
					pr.add(c.at("validator"), f+".validator", "unknown validator %q (known: %s)", c.Validator, validatorNames)
				}
			}
			var re *regexp.Regexp
			if c.Pattern != "" {
				var err error
				if re, err = regexp.Compile(c.Pattern); err != nil {
					pr.add(c.at("pattern"), f+".pattern", "%v", err)
				}
			}
			if c.Validator == "" && c.Pattern == "" {
				pr.add(c.line, f, "validator or pattern required")
			}
			cr.check = combine(re, v)
			if c.PI != "" && !isPIType(c.PI) {
				pr.add(c.at("pi"), f+".pi", "unknown PI type %q (known: %s)", c.PI, piList)
			}
			if c.Category != "" && !isCategory(c.Category) {
				pr.add(c.at("category"), f+".category", "unknown category %q (known: %s)", c.Category, categoryList)
			}
			if c.PI == "" && c.Category == "" {
				pr.add(c.line, f, "pi or category required")
			}
			if c.Text && c.RequireContext {
				pr.add(c.at("text"), f+".text", "rules that require context cannot scan free text")
			}
			if c.RequireContext && len(c.Context) == 0 {
				pr.add(c.at("require_context"), f+".require_context", "needs context keywords")
			}
			if c.MinRatio != nil {
				if *c.MinRatio <= 0 || *c.MinRatio > 1 {
					pr.add(c.at("min_ratio"), f+".min_ratio", "must be in (0,1]")
				}
				cr.minRatio = *c.MinRatio
			}
			if c.MinDistinct != nil {
				if *c.MinDistinct < 0 || *c.MinDistinct > 1 {
					pr.add(c.at("min_distinct"), f+".min_distinct", "must be in [0,1]")
				}
				cr.minDistinct = *c.MinDistinct
			}
			if cr.mask == "" {
				cr.mask = c.Validator
				if c.PI != "" {
					cr.mask = c.PI
				}
			}
			cr.examples = examples(c.Examples, c.line, f, pr)
			for _, k := range c.Context {
				ctxB.add(len(e.content), k, false)
			}
			if ok {
				e.content = append(e.content, cr)
			}
		}
		for i := range r.Names {
			n := &r.Names[i]
			f := fmt.Sprintf("names[%d]", i)
			ok := checkID(pr, n.ID, n.at("id"))
			if n.Category != "" && !isCategory(n.Category) {
				pr.add(n.at("category"), f+".category", "unknown category %q (known: %s)", n.Category, categoryList)
			}
			if n.PI != "" && !isPIType(n.PI) {
				pr.add(n.at("pi"), f+".pi", "unknown PI type %q (known: %s)", n.PI, piList)
			}
			if n.PI == "" && n.Category == "" {
				pr.add(n.line, f, "pi or category required")
			}
			if len(n.Keywords) == 0 {
				pr.add(n.line, f+".keywords", "at least one keyword required")
			}
			if n.Units {
				if n.Category == "" || n.PI != "" {
					pr.add(n.at("units"), f+".units", "a units rule names a category and no PI type")
				}
				if len(n.Exclude) > 0 {
					pr.add(n.at("exclude"), f+".exclude", "a units rule has no exclude keywords")
				}
				if e.unitIdx == nil {
					e.unitIdx = map[string][]int{}
				}
				for _, k := range n.Keywords {
					if u := normUnit(k); u == "" || !isUnit(k) {
						pr.add(n.at("keywords"), f+".keywords", "%q is not a unit of measure", k)
					} else {
						e.unitIdx[u] = append(e.unitIdx[u], len(e.names))
					}
				}
			} else {
				checkKeywords(pr, n.at("keywords"), f+".keywords", n.Keywords)
				for _, k := range n.Keywords {
					nameB.add(len(e.names), k, false)
				}
				for _, k := range n.Exclude {
					nameB.add(len(e.names), k, true)
				}
			}
			if n.Weak && n.Category == "" {
				pr.add(n.at("weak"), f+".weak", "weak applies to a category; the rule has none")
			}
			if n.Weak && n.PI != "" && n.Category == "" {
				pr.add(n.at("weak"), f+".weak", "a weak PI type applies when the table's category is the rule's; the rule has none")
			}
			nr := nameRule{id: n.ID, title: n.Title, category: n.Category, pi: n.PI, weak: n.Weak, units: n.Units, industry: industry, at: where{pr.file, n.line},
				examples: examples(n.Examples, n.line, f, pr)}
			if ok {
				e.names = append(e.names, nr)
			} else {
				e.names = append(e.names, nameRule{}) // keep owner indexes aligned
			}
		}
		for i := range r.Tables {
			t := &r.Tables[i]
			f := fmt.Sprintf("tables[%d]", i)
			ok := checkID(pr, t.ID, t.at("id"))
			if !isCategory(t.Category) {
				pr.add(t.at("category"), f+".category", "unknown category %q (known: %s)", t.Category, categoryList)
			}
			if len(t.Keywords) == 0 {
				pr.add(t.line, f+".keywords", "at least one keyword required")
			}
			if t.ColumnPI != "" && !isPIType(t.ColumnPI) {
				pr.add(t.at("column_pi"), f+".column_pi", "unknown PI type %q", t.ColumnPI)
			}
			checkKeywords(pr, t.at("keywords"), f+".keywords", t.Keywords)
			for _, k := range t.Keywords {
				tableB.add(len(e.tables), k, false)
			}
			for _, k := range t.Exclude {
				tableB.add(len(e.tables), k, true)
			}
			tr := tableRule{id: t.ID, title: t.Title, category: t.Category, columnPI: t.ColumnPI, industry: industry, at: where{pr.file, t.line},
				examples: examples(t.Examples, t.line, f, pr)}
			if !ok {
				tr = tableRule{}
			}
			e.tables = append(e.tables, tr)
		}
		for i := range r.Grading {
			g := &r.Grading[i]
			f := fmt.Sprintf("grading[%d]", i)
			ok := checkID(pr, g.ID, g.at("id"))
			gr := gradeRule{id: g.ID, title: g.Title, level: g.Level, subLevel: g.SubLevel, categories: g.When.Categories,
				pi: g.When.PI, sensitive: g.When.SensitivePI, minRows: g.When.MinRows, basis: g.Basis, industry: industry,
				at: where{pr.file, g.line}}
			if g.Title == "" {
				pr.add(g.line, f+".title", "required")
			}
			switch g.Level {
			case LevelCore, LevelImportant:
				if g.SubLevel != 0 {
					pr.add(g.at("sublevel"), f+".sublevel", "only general data has a sub-level")
				}
			case LevelGeneral:
				if g.SubLevel < 1 || g.SubLevel > 4 {
					pr.add(g.at("sublevel"), f+".sublevel", "general data needs a sub-level 1-4")
				}
			default:
				pr.add(g.at("level"), f+".level", "must be core, important or general, got %q", g.Level)
			}
			if g.Basis == "" {
				pr.add(g.line, f+".basis", "required: the regulation or policy this rule rests on")
			}
			if g.Confirmed == nil {
				pr.add(g.line, f+".confirmed", "required: true only when the basis is confirmed regulatory text")
			} else {
				gr.confirmed = *g.Confirmed
			}
			for _, c := range g.When.Categories {
				if !isCategory(c) {
					pr.add(g.at("when"), f+".when.categories", "unknown category %q", c)
				}
			}
			for _, p := range g.When.PI {
				if p != "*" && !isPIType(p) {
					pr.add(g.at("when"), f+".when.pi", "unknown PI type %q (or \"*\" for any)", p)
				}
			}
			if g.When.MinRows < 0 {
				pr.add(g.at("when"), f+".when.min_rows", "must not be negative")
			}
			w := g.When
			if len(w.Categories)+len(w.PI)+len(w.Keywords)+len(w.TableKeywords)+len(w.ColumnKeywords) == 0 && w.SensitivePI == nil && w.MinRows == 0 {
				pr.add(g.at("when"), f+".when", "at least one condition required")
			}
			var err error
			if gr.keywords, err = buildIndex(w.Keywords); err != nil {
				pr.add(g.at("when"), f+".when.keywords", "%v", err)
			}
			if gr.tableKeywords, err = buildIndex(w.TableKeywords); err != nil {
				pr.add(g.at("when"), f+".when.table_keywords", "%v", err)
			}
			if gr.colKeywords, err = buildIndex(w.ColumnKeywords); err != nil {
				pr.add(g.at("when"), f+".when.column_keywords", "%v", err)
			}
			gr.examples = examples(g.Examples, g.line, f, pr)
			if ok {
				e.grades = append(e.grades, gr)
			}
		}
	}
	if len(list) > 0 {
		return nil, &PackError{Problems: list}
	}
	var err error
	e.vocab = map[string]bool{}
	for _, b := range []*kwBuilder{&nameB, &tableB} {
		for w := range b.words {
			e.vocab[w] = true
		}
	}
	if e.nameIdx, err = nameB.build(); err != nil {
		return nil, fmt.Errorf("build name keyword index: %w", err)
	}
	if e.tableIdx, err = tableB.build(); err != nil {
		return nil, fmt.Errorf("build table keyword index: %w", err)
	}
	if e.ctxIdx, err = ctxB.build(); err != nil {
		return nil, fmt.Errorf("build context keyword index: %w", err)
	}
	return e, nil
}

func buildIndex(kws []string) (*kwIndex, error) {
	if len(kws) == 0 {
		return nil, nil
	}
	var b kwBuilder
	for _, k := range kws {
		b.add(0, k, false)
	}
	return b.build()
}

func checkKeywords(pr problems, line int, field string, kws []string) {
	for _, k := range kws {
		if strings.TrimSpace(keywordPattern(k)) == "" {
			pr.add(line, field, "keyword %q has no letters, digits or Han characters", k)
		}
	}
}

// combine builds a content check from an optional pattern and validator:
// pattern alone scores 1, validator alone its own score, both 2 when both pass.
func combine(re *regexp.Regexp, v validatorFunc) validatorFunc {
	switch {
	case re != nil && v != nil:
		return func(s string, now time.Time) int {
			if !re.MatchString(s) || v(s, now) == 0 {
				return 0
			}
			return 2
		}
	case re != nil:
		return func(s string, now time.Time) int { return score(re.MatchString(s), 1) }
	case v != nil:
		return v
	}
	return func(string, time.Time) int { return 0 }
}

func examples(r rawExamples, line int, field string, pr problems) []example {
	if len(r.Match) == 0 {
		pr.add(line, field+".examples.match", "at least one match example required")
	}
	var out []example
	for _, x := range r.Match {
		out = append(out, example{match: true, ex: x, at: where{pr.file, x.line}})
	}
	for _, x := range r.NoMatch {
		out = append(out, example{match: false, ex: x, at: where{pr.file, x.line}})
	}
	return out
}

func gbtCode(c string) bool {
	if len(c) < 2 || len(c) > 5 || c[0] < 'A' || c[0] > 'T' {
		return false
	}
	return allDigits(c[1:])
}

func mergePolicy(p policy, r *rawPolicy, pr problems) policy {
	frac := func(field string, v *float64, dst *float64) {
		if v == nil {
			return
		}
		if *v < 0 || *v > 1 {
			pr.add(r.at(strings.Split(field, ".")[0]), "policy."+field, "must be in [0,1]")
			return
		}
		*dst = *v
	}
	frac("min_ratio", r.MinRatio, &p.minRatio)
	if r.MinValues != nil {
		if *r.MinValues < 1 {
			pr.add(r.at("min_values"), "policy.min_values", "must be at least 1")
		} else {
			p.minValues = *r.MinValues
		}
	}
	if r.MinValuesPattern != nil {
		if *r.MinValuesPattern < 1 {
			pr.add(r.at("min_values_pattern"), "policy.min_values_pattern", "must be at least 1")
		} else {
			p.minValuesPattern = *r.MinValuesPattern
		}
	}
	if r.MaxValues != nil {
		if *r.MaxValues < 1 {
			pr.add(r.at("max_values"), "policy.max_values", "must be at least 1")
		} else {
			p.maxValues = *r.MaxValues
		}
	}
	if c := r.Confidence; c != nil {
		frac("confidence.pattern", c.Pattern, &p.confPattern)
		frac("confidence.validated", c.Validated, &p.confValidated)
		frac("confidence.context", c.Context, &p.confContext)
		frac("confidence.name", c.Name, &p.confName)
		frac("confidence.comment", c.Comment, &p.confComment)
		frac("confidence.table", c.Table, &p.confTable)
		frac("confidence.majority", c.Majority, &p.confMajority)
		frac("confidence.fallback", c.Fallback, &p.confFallback)
	}
	if m := r.ModelThreshold; m != nil {
		frac("model_threshold.table", m.Table, &p.modelTable)
		frac("model_threshold.column", m.Column, &p.modelColumn)
		frac("model_threshold.column_ruled", m.ColumnRuled, &p.modelRuled)
	}
	if r.DefaultCategory != nil {
		if !isCategory(*r.DefaultCategory) {
			pr.add(r.at("default_category"), "policy.default_category", "unknown category %q", *r.DefaultCategory)
		} else {
			p.defaultCategory = *r.DefaultCategory
		}
	}
	if r.PICategory != nil {
		if !isCategory(*r.PICategory) {
			pr.add(r.at("pi_category"), "policy.pi_category", "unknown category %q", *r.PICategory)
		} else {
			p.piCategory = *r.PICategory
		}
	}
	if r.DefaultSubLevel != nil {
		if *r.DefaultSubLevel < 1 || *r.DefaultSubLevel > 4 {
			pr.add(r.at("default_sublevel"), "policy.default_sublevel", "must be 1-4")
		} else {
			p.defaultSubLevel = *r.DefaultSubLevel
		}
	}
	if s := r.SensitivePI; s != nil {
		for _, t := range s.Types {
			if !isPIType(t) {
				pr.add(r.at("sensitive_pi"), "policy.sensitive_pi.types", "unknown PI type %q", t)
			}
		}
		if s.Basis == "" || s.Confirmed == nil {
			pr.add(r.at("sensitive_pi"), "policy.sensitive_pi", "basis and confirmed required")
		}
		p.sensitive = append([]string(nil), s.Types...)
		p.sensitiveBasis = s.Basis
		if s.Confirmed != nil {
			p.sensitiveOK = *s.Confirmed
		}
	}
	if w := r.Words; w != nil {
		for _, l := range [][]string{w.Organisation, w.Corporate, w.CorporateTables, w.Person, w.Registered} {
			for _, k := range l {
				if strings.TrimSpace(k) == "" {
					pr.add(r.at("words"), "policy.words", "empty word")
				}
			}
		}
		p.words.organisation = append(p.words.organisation, normWords(w.Organisation)...)
		p.words.corporate = append(p.words.corporate, normWords(w.Corporate)...)
		p.words.corporateTables = append(p.words.corporateTables, normWords(w.CorporateTables)...)
		p.words.person = append(p.words.person, normWords(w.Person)...)
		p.words.registered = append(p.words.registered, normWords(w.Registered)...)
	}
	return p
}

// packInfo derives the pack identity (rulepack.Identity).
func packInfo(files []rulepack.File, ps []parsed, list *[]Problem) PackInfo {
	hs := make([]rulepack.Header, len(ps))
	for i, p := range ps {
		h := p.raw.Pack
		hs[i] = rulepack.Header{File: p.file.Name, Name: h.Name, Version: h.Version, Line: h.line, VersionLine: h.at("version")}
	}
	var info PackInfo
	info.Name, info.Version, info.SM3 = rulepack.Identity(files, hs, func(p Problem) { *list = append(*list, p) })
	return info
}

// normWords lower-cases the ASCII words of a policy word list; Chinese
// words stay as they are.
func normWords(ws []string) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}
