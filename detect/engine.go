package detect

import (
	"embed"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyjkemp/sigma-go"
	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/rulepack"
	"go.yaml.in/yaml/v3"
)

//go:embed packs/*.yaml
var defaultPacks embed.FS

// Catalog tells the engine the data level of an object: shuan.LevelCore,
// shuan.LevelImportant, shuan.LevelGeneral, or "" when unknown. It is
// called once per event that names an object, so it must be fast and safe
// for concurrent use.
type Catalog interface {
	Level(database, object string) string
}

// Severities, from low to high.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

var severities = []string{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

func severityRank(s string) int {
	for i, v := range severities {
		if v == s {
			return i
		}
	}
	return -1
}

// RaiseSeverity raises sev one step for important and two for core data,
// capped at critical.
func RaiseSeverity(sev, dataLevel string) string {
	r := severityRank(sev)
	if r < 0 {
		return sev
	}
	switch dataLevel {
	case shuan.LevelImportant:
		r++
	case shuan.LevelCore:
		r += 2
	}
	return severities[min(r, len(severities)-1)]
}

// Alert is one detection.
type Alert struct {
	// ID is stable for the same rule, key, time and triggering event.
	ID        string    `json:"id"`
	Rule      string    `json:"rule"`
	RuleTitle string    `json:"rule_title"`
	Family    string    `json:"family"` // sigma or the stateful kind
	Risk      string    `json:"risk"`
	Severity  string    `json:"severity"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor,omitempty"`
	Client    string    `json:"client,omitempty"`
	Database  string    `json:"database,omitempty"`
	Object    string    `json:"object,omitempty"`
	// DataLevel is the catalog level of Object, when known.
	DataLevel string `json:"data_level,omitempty"`
	// Count is the number of events behind the alert (1 for Sigma rules).
	Count int64 `json:"count"`
	// Rows is the rows read or written in the window, when the rule counts them.
	Rows int64 `json:"rows,omitempty"`
	// EventIDs are the most recent events behind the alert (at most 8).
	EventIDs []string `json:"event_ids"`
	// Summary is Chinese; SummaryEN English.
	Summary     string `json:"summary"`
	SummaryEN   string `json:"summary_en"`
	Detail      string `json:"detail,omitempty"`
	PackVersion string `json:"pack_version"`
}

// PackInfo identifies the loaded rule packs.
type PackInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// SM3 is the hex SM3 digest over the canonical bytes of every pack file
	// sorted by base name (each preceded by "name\nlength\n").
	SM3 string `json:"sm3"`
}

// RuleInfo describes one loaded rule.
type RuleInfo struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Family   string `json:"family"`
	Risk     string `json:"risk"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	// Source is the Sigma rule in YAML, for sharing (STIX pattern_type sigma).
	Source string `json:"source,omitempty"`
	// Description of a stateful rule.
	Description string `json:"description,omitempty"`
}

// Options tune an Engine.
type Options struct {
	// Catalog gives object data levels; nil means none is known.
	Catalog Catalog
	// MaxKeys bounds the per-key state of each stateful rule (LRU); 0 means 10000.
	MaxKeys int
}

// rule is one compiled rule of either family.
type rule struct {
	info      RuleInfo
	summaryZH string
	summaryEN string
	sigma     *sigmaMatcher
	filter    filter
	kind      kind
	examples  []example
}

type example struct {
	match  bool
	line   int
	events []rawEvent
}

// Engine evaluates events against compiled rules. Process is safe for
// concurrent use; calls are serialised.
type Engine struct {
	info  PackInfo
	rules []*rule
	opts  Options

	mu     sync.Mutex
	states []state
	ctx    evalCtx
	se     searchEval
	buf    []byte
}

// Pack identifies the loaded rule packs.
func (e *Engine) Pack() PackInfo { return e.info }

// Rules lists the loaded rules in load order.
func (e *Engine) Rules() []RuleInfo {
	out := make([]RuleInfo, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.info
	}
	return out
}

// StateKeys reports the number of keys held in stateful rule state, the
// measure of the engine's memory.
func (e *Engine) StateKeys() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, s := range e.states {
		if s != nil {
			n += s.keys()
		}
	}
	return n
}

// Load compiles the embedded default packs plus every *.yaml/*.yml file in
// dirs. A pack in a directory replaces an earlier pack of the same name
// (a newer version pushed down the federation). All validation problems are
// reported at once as a *PackError.
func Load(opts Options, dirs ...string) (*Engine, error) {
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
	return compile(files, opts)
}

// LoadWithFiles compiles the embedded default packs plus the given pack
// files (name → bytes), e.g. a pack pushed down the federation and checked
// against its announced SM3; a given pack replaces an embedded pack of the
// same name.
func LoadWithFiles(opts Options, files map[string][]byte) (*Engine, error) {
	pf, err := rulepack.Embedded(defaultPacks, "packs/*.yaml")
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pf = append(pf, rulepack.File{Name: n, Base: filepath.Base(n), Source: 1, Data: files[n]})
	}
	return compile(pf, opts)
}

// LoadFiles compiles only the given pack files (no embedded defaults); the
// map key is the name shown in problems.
func LoadFiles(opts Options, files map[string][]byte) (*Engine, error) {
	var pf []rulepack.File
	for n, b := range files {
		pf = append(pf, rulepack.File{Name: n, Base: filepath.Base(n), Data: b})
	}
	sort.Slice(pf, func(i, j int) bool { return pf[i].Name < pf[j].Name })
	return compile(pf, opts)
}

type parsed struct {
	file rulepack.File
	raw  rawFile
}

func compile(files []rulepack.File, opts Options) (*Engine, error) {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10000
	}
	var list []Problem
	var ps []parsed
	for _, f := range files {
		raw, ok := decodeFile(f, &list)
		if ok {
			ps = append(ps, parsed{f, raw})
		}
	}
	// A later source replaces an earlier pack of the same name.
	last := map[string]int{}
	for _, p := range ps {
		last[p.raw.Pack.Name] = max(last[p.raw.Pack.Name], p.file.Source)
	}
	var kept []parsed
	var keptFiles []rulepack.File
	for _, p := range ps {
		if p.file.Source == last[p.raw.Pack.Name] {
			kept = append(kept, p)
			keptFiles = append(keptFiles, p.file)
		}
	}
	for _, f := range files {
		ok := false
		for _, p := range ps {
			ok = ok || p.file.Name == f.Name
		}
		if !ok {
			keptFiles = append(keptFiles, f) // failed files still count in the digest
		}
	}
	e := &Engine{opts: opts}
	e.info = packInfo(keptFiles, kept, &list)
	seen := map[string]string{}
	for _, p := range kept {
		pr := problems{list: &list, file: p.file.Name}
		for _, r := range p.raw.Sigma {
			if cr := compileSigmaRule(r, pr); cr != nil {
				e.addRule(cr, pr, seen, r.at("id"))
			}
		}
		for _, r := range p.raw.Stateful {
			if cr := compileStateful(r, pr); cr != nil {
				e.addRule(cr, pr, seen, r.at("id"))
			}
		}
	}
	if len(list) > 0 {
		return nil, &PackError{Problems: list}
	}
	kw, err := buildKeywords(e.rules)
	if err != nil {
		return nil, fmt.Errorf("build keyword index: %w", err)
	}
	e.ctx.kw = kw
	e.states = make([]state, len(e.rules))
	for i, r := range e.rules {
		if r.kind != nil {
			e.states[i] = r.kind.newState(opts.MaxKeys)
		}
	}
	return e, nil
}

func (e *Engine) addRule(r *rule, pr problems, seen map[string]string, line int) {
	if where, dup := seen[r.info.ID]; dup {
		pr.add(line, "id", "duplicate rule id %q (first at %s)", r.info.ID, where)
		return
	}
	seen[r.info.ID] = fmt.Sprintf("%s:%d", r.info.File, r.info.Line)
	e.rules = append(e.rules, r)
}

var risks = []string{shuan.RiskLeakage, shuan.RiskTampering, shuan.RiskAbuse, shuan.RiskIllegalTransfer,
	shuan.RiskIllegalAccess, shuan.RiskTrafficAnomaly, shuan.RiskRansomware, shuan.RiskSupplyChain}

func checkCommon(id, risk, sev string, p pos, pr problems) bool {
	ok := true
	if !validID(id) {
		pr.add(p.at("id"), "id", "want lower-case letters, digits, '.', '_' or '-', got %q", id)
		ok = false
	}
	if !containsStr(risks, risk) {
		pr.add(p.at("risk"), "risk", "unknown risk %q (known: %s)", risk, strings.Join(risks, ", "))
		ok = false
	}
	if sev != "" && severityRank(sev) < 0 {
		pr.add(p.at("severity"), "severity", "unknown severity %q (low, medium, high, critical)", sev)
		ok = false
	}
	return ok
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for i, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

func compileSigmaRule(r rawSigma, pr problems) *rule {
	ok := checkCommon(r.ID, r.Risk, r.Severity, r.pos, pr)
	if r.Rule.Kind != yaml.MappingNode {
		pr.add(r.at("rule"), "rule", "a Sigma rule (mapping) is required")
		return nil
	}
	src, err := yaml.Marshal(&r.Rule)
	if err != nil {
		pr.add(r.at("rule"), "rule", "%v", err)
		return nil
	}
	sr, err := sigma.ParseRule(src)
	if err != nil {
		pr.add(r.at("rule"), "rule", "sigma: %v", err)
		return nil
	}
	m, probs := compileSigma(sr)
	for _, p := range probs {
		line := findLine(&r.Rule, "detection", p.search, p.field)
		if p.field != "" {
			line = fieldLine(&r.Rule, p.search, p.field)
		}
		field := "rule.detection"
		if p.search != "" {
			field += "." + p.search
		}
		pr.add(line, field, "%s", p.msg)
	}
	if len(probs) > 0 || !ok {
		return nil
	}
	sev := r.Severity
	if sev == "" {
		switch sr.Level {
		case "informational", "low":
			sev = SeverityLow
		case "high":
			sev = SeverityHigh
		case "critical":
			sev = SeverityCritical
		default:
			sev = SeverityMedium
		}
	}
	out := &rule{
		info: RuleInfo{ID: r.ID, Title: sr.Title, Family: "sigma", Risk: r.Risk, Severity: sev,
			File: pr.file, Line: r.line, Source: string(src), Description: sr.Description},
		summaryZH: r.SummaryZH, summaryEN: r.SummaryEN, sigma: m,
	}
	out.examples = examples(r.Examples, pr, false)
	if len(out.examples) == 0 {
		pr.add(r.at("examples"), "examples", "at least one match example is required")
	}
	return out
}

// fieldLine finds the line of a field matcher key ("statement|contains").
func fieldLine(rule *yaml.Node, search, field string) int {
	line := findLine(rule, "detection", search)
	n := rule
	for _, p := range []string{"detection", search} {
		next := (*yaml.Node)(nil)
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if k == field || strings.HasPrefix(k, field+"|") {
					return n.Content[i].Line
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if l := walk(c); l > 0 {
					return l
				}
			}
		}
		return 0
	}
	if l := walk(n); l > 0 {
		return l
	}
	return line
}

func compileStateful(r rawStateful, pr problems) *rule {
	ok := checkCommon(r.ID, r.Risk, r.Severity, r.pos, pr)
	if r.Title == "" {
		pr.add(r.line, "title", "required")
		ok = false
	}
	add := func(line int, field, msg string) {
		if line == 0 {
			line = r.at("kind")
		}
		pr.add(line, field, "%s", msg)
		ok = false
	}
	f := compileFilter(r.Match, func(field, msg string) { add(r.at("match"), field, msg) })
	k := compileKind(r.Kind, &r.Params, add)
	sev := r.Severity
	if sev == "" {
		sev = SeverityMedium
	}
	out := &rule{
		info: RuleInfo{ID: r.ID, Title: r.Title, Family: r.Kind, Risk: r.Risk, Severity: sev,
			File: pr.file, Line: r.line, Description: r.Description},
		summaryZH: r.SummaryZH, summaryEN: r.SummaryEN, filter: f, kind: k,
	}
	out.examples = examples(r.Examples, pr, true)
	if len(out.examples) == 0 {
		pr.add(r.at("examples"), "examples", "at least one match example is required")
		ok = false
	}
	if !ok || k == nil {
		return nil
	}
	return out
}

func examples(x rawExamples, pr problems, sequence bool) []example {
	var out []example
	for _, set := range []struct {
		match bool
		list  []rawExample
	}{{true, x.Match}, {false, x.NoMatch}} {
		for _, ex := range set.list {
			if len(ex.Events) == 0 {
				pr.add(ex.line, "examples", "empty example")
				continue
			}
			if !sequence && (len(ex.Events) != 1 || ex.Events[0].Repeat > 1) {
				pr.add(ex.line, "examples", "a Sigma rule example is one event")
				continue
			}
			out = append(out, example{match: set.match, line: ex.line, events: ex.Events})
		}
	}
	if len(x.Match) == 0 {
		return nil
	}
	return out
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

// Process evaluates one event against every rule and returns the alerts it
// raises (nil when none).
func (e *Engine) Process(ev *shuan.Event) []Alert {
	level := ""
	if e.opts.Catalog != nil && ev.Object != "" {
		level = e.opts.Catalog.Level(ev.Database, ev.Object)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.process(ev, level, e.rules, e.states, nil)
}

func (e *Engine) process(ev *shuan.Event, level string, rules []*rule, states []state, out []Alert) []Alert {
	c := &e.ctx
	c.reset(ev, level)
	for i, r := range rules {
		var h *hit
		if r.sigma != nil {
			if !r.sigma.match(c, &e.se) {
				continue
			}
			h = &hit{count: 1, rows: max(ev.Rows, 0)}
			if ev.ID != "" {
				h.ids = []string{ev.ID}
			}
		} else {
			if !r.filter.match(c) {
				continue
			}
			if h = states[i].observe(c); h == nil {
				continue
			}
		}
		out = append(out, e.alert(r, c, h))
	}
	return out
}

func (e *Engine) alert(r *rule, c *evalCtx, h *hit) Alert {
	ev := c.ev
	a := Alert{
		Rule: r.info.ID, RuleTitle: r.info.Title, Family: r.info.Family, Risk: r.info.Risk,
		Severity: RaiseSeverity(r.info.Severity, c.level), Time: ev.Time.UTC(),
		Actor: ev.Actor, Client: ev.Client, Database: ev.Database, Object: ev.Object, DataLevel: c.level,
		Count: h.count, Rows: h.rows, EventIDs: h.ids, Detail: h.detail, PackVersion: e.info.Version,
	}
	if a.EventIDs == nil {
		a.EventIDs = []string{}
	}
	a.Summary, a.SummaryEN = summaries(r, &a)
	a.ID = gm.HexSum([]byte(a.Rule + "\x00" + a.Actor + "\x00" + a.Client + "\x00" + a.Database + "\x00" + a.Object +
		"\x00" + a.Time.Format(time.RFC3339Nano) + "\x00" + ev.ID))[:32]
	return a
}

var levelZH = map[string]string{shuan.LevelCore: "核心数据", shuan.LevelImportant: "重要数据", shuan.LevelGeneral: "一般数据"}

func summaries(r *rule, a *Alert) (zh, en string) {
	obj := a.Object
	if a.Database != "" && obj != "" {
		obj = a.Database + "." + obj
	} else if obj == "" {
		obj = a.Database
	}
	vars := map[string]string{"actor": a.Actor, "client": a.Client, "database": a.Database, "object": obj,
		"count": strconv.FormatInt(a.Count, 10), "rows": strconv.FormatInt(a.Rows, 10), "level": a.DataLevel,
		"level_zh": levelZH[a.DataLevel], "detail": a.Detail, "title": r.info.Title}
	expand := func(s string) string {
		var b strings.Builder
		for {
			i := strings.IndexByte(s, '{')
			j := strings.IndexByte(s[i+1:], '}')
			if i < 0 || j < 0 {
				b.WriteString(s)
				return b.String()
			}
			name := s[i+1 : i+1+j]
			if v, ok := vars[name]; ok {
				b.WriteString(s[:i])
				b.WriteString(v)
			} else {
				b.WriteString(s[:i+2+j])
			}
			s = s[i+2+j:]
		}
	}
	zh, en = r.summaryZH, r.summaryEN
	if zh == "" {
		zh = "{title}：账号 {actor}（{client}）访问 {object}"
	}
	if en == "" {
		en = "{title}: account {actor} ({client}) on {object}"
	}
	zh, en = expand(zh), expand(en)
	if a.DataLevel == shuan.LevelImportant || a.DataLevel == shuan.LevelCore {
		zh += "（涉及" + levelZH[a.DataLevel] + "）"
		en += " (touches " + a.DataLevel + " data)"
	}
	if a.Detail != "" {
		en += " — " + a.Detail
	}
	return zh, en
}
