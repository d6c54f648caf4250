package detect

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"

	"github.com/bradleyjkemp/sigma-go"
)

// Sigma rules are parsed with sigma-go and compiled here into matchers with
// the semantics of sigma-go's evaluator (v0.6.6): string comparisons are
// case-insensitive, a list of values matches if any value matches (all of
// them with |all), the modifiers contains, startswith, endswith, re, cidr,
// gt, gte, lt, lte and base64 are supported. Plain values also honour the
// Sigma wildcards * and ? (escaped with \). Keyword searches and
// aggregations are refused at load time: windows and counts belong to the
// stateful rules.

// cond is a compiled condition over the results of a rule's searches.
type cond func(s *searchEval) bool

// searchEval memoises search results for one event.
type searchEval struct {
	c    *evalCtx
	rule *sigmaMatcher
	done []bool
	res  []bool
}

func (s *searchEval) get(i int) bool {
	if !s.done[i] {
		s.res[i] = s.rule.searches[i].match(s.c)
		s.done[i] = true
	}
	return s.res[i]
}

// sigmaMatcher is one compiled Sigma rule.
type sigmaMatcher struct {
	names    []string
	searches []search
	conds    []cond
	// need lists statement literals one of which every match contains
	// (nil when the rule has no such requirement); needIDs indexes them
	// in the engine's keyword index.
	need    []string
	needIDs []int
}

// match reports whether the event in c satisfies any of the rule's conditions.
func (m *sigmaMatcher) match(c *evalCtx, se *searchEval) bool {
	if len(m.needIDs) > 0 && c.kw != nil {
		hit := false
		for _, id := range m.needIDs {
			if c.hasKeyword(id) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	n := len(m.searches)
	if cap(se.done) < n {
		se.done, se.res = make([]bool, n), make([]bool, n)
	}
	se.done, se.res = se.done[:n], se.res[:n]
	clear(se.done)
	se.c, se.rule = c, m
	for _, cd := range m.conds {
		if cd(se) {
			return true
		}
	}
	return false
}

// search is an OR of event matchers, each an AND of field matchers.
type search struct{ any [][]fieldMatcher }

func (s search) match(c *evalCtx) bool {
outer:
	for _, all := range s.any {
		for i := range all {
			if !all[i].match(c) {
				continue outer
			}
		}
		return true
	}
	return false
}

type cmpKind int

const (
	cmpEqual cmpKind = iota
	cmpContains
	cmpPrefix
	cmpSuffix
	cmpGlob
	cmpRegexp
	cmpCIDR
	cmpGT
	cmpGTE
	cmpLT
	cmpLTE
	cmpNull
)

// value is one compiled expected value.
type value struct {
	kind cmpKind
	s    string // lower-cased for string comparisons
	re   *regexp.Regexp
	// need lists lower-cased literals a regexp match requires: every
	// group must have one of its literals in the lower-cased value.
	need [][]string
	// lit and needIDs index the engine's statement keywords (-1/nil: none).
	lit     int
	needIDs [][]int
	prefix  netip.Prefix
	num     float64
}

type fieldMatcher struct {
	f      field
	extra  string
	all    bool
	values []value
}

func (m *fieldMatcher) match(c *evalCtx) bool {
	for i := range m.values {
		ok := m.one(c, &m.values[i])
		if m.all && !ok {
			return false
		}
		if !m.all && ok {
			return true
		}
	}
	return m.all
}

func (m *fieldMatcher) raw(c *evalCtx) (string, bool) {
	if m.f == fExtra {
		v, ok := c.ev.Fields[m.extra]
		return v, ok
	}
	if m.f == fDataLevel {
		return c.level, c.level != ""
	}
	return c.str(m.f), true
}

func (m *fieldMatcher) low(c *evalCtx) string {
	if m.f == fExtra || m.f == fDataLevel {
		s, _ := m.raw(c)
		return lowerASCII(s)
	}
	return c.low(m.f)
}

func (m *fieldMatcher) one(c *evalCtx, v *value) bool {
	switch v.kind {
	case cmpNull:
		s, ok := m.raw(c)
		return !ok || s == ""
	case cmpEqual:
		if m.f == fExtra || m.f == fDataLevel {
			return m.low(c) == v.s
		}
		return strings.EqualFold(c.str(m.f), v.s)
	case cmpContains:
		if v.lit >= 0 && c.kw != nil {
			return c.hasKeyword(v.lit)
		}
		return strings.Contains(m.low(c), v.s)
	case cmpPrefix:
		return strings.HasPrefix(m.low(c), v.s)
	case cmpSuffix:
		return strings.HasSuffix(m.low(c), v.s)
	case cmpGlob:
		return v.re.MatchString(m.low(c))
	case cmpRegexp:
		if len(v.needIDs) > 0 && c.kw != nil {
			for _, g := range v.needIDs {
				ok := false
				for _, id := range g {
					if c.hasKeyword(id) {
						ok = true
						break
					}
				}
				if !ok {
					return false
				}
			}
		} else if len(v.need) > 0 {
			low := m.low(c)
			for _, g := range v.need {
				ok := false
				for _, lit := range g {
					if strings.Contains(low, lit) {
						ok = true
						break
					}
				}
				if !ok {
					return false
				}
			}
		}
		s, _ := m.raw(c)
		return v.re.MatchString(s)
	case cmpCIDR:
		s, _ := m.raw(c)
		a, err := netip.ParseAddr(hostOf(s))
		return err == nil && v.prefix.Contains(a.Unmap())
	}
	var n float64
	var ok bool
	if m.f == fExtra {
		s, _ := m.raw(c)
		n, ok = parseNum(s)
	} else {
		n, ok = c.num(m.f)
	}
	if !ok {
		return false
	}
	switch v.kind {
	case cmpGT:
		return n > v.num
	case cmpGTE:
		return n >= v.num
	case cmpLT:
		return n < v.num
	case cmpLTE:
		return n <= v.num
	}
	return false
}

func parseNum(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil
}

// hostOf strips a port from a client address ("10.0.0.1:5432", "[::1]:1").
func hostOf(s string) string {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	return s
}

// compileSigma compiles a parsed rule; problems are returned as messages
// keyed by the search and field they concern (for line lookup).
func compileSigma(r sigma.Rule) (*sigmaMatcher, []sigmaProblem) {
	var probs []sigmaProblem
	m := &sigmaMatcher{}
	if r.Title == "" {
		probs = append(probs, sigmaProblem{msg: "title required"})
	}
	if len(r.Detection.Searches) == 0 {
		probs = append(probs, sigmaProblem{msg: "detection has no searches"})
	}
	if len(r.Detection.Conditions) == 0 {
		probs = append(probs, sigmaProblem{msg: "detection.condition required"})
	}
	if r.Detection.Timeframe != 0 {
		probs = append(probs, sigmaProblem{search: "timeframe", msg: "timeframe unsupported: use a stateful rule for windows"})
	}
	for name := range r.Detection.Searches {
		m.names = append(m.names, name)
	}
	sort.Strings(m.names)
	index := map[string]int{}
	for i, name := range m.names {
		index[name] = i
		s := r.Detection.Searches[name]
		if len(s.Keywords) > 0 {
			probs = append(probs, sigmaProblem{search: name, msg: "keyword searches are unsupported (sigma-go); match a field such as statement|contains"})
			continue
		}
		var cs search
		for _, em := range s.EventMatchers {
			var all []fieldMatcher
			for _, fm := range em {
				cf, err := compileField(fm)
				if err != nil {
					probs = append(probs, sigmaProblem{search: name, field: fm.Field, msg: err.Error()})
					continue
				}
				all = append(all, cf)
			}
			cs.any = append(cs.any, all)
		}
		m.searches = append(m.searches, cs)
	}
	if len(m.searches) != len(m.names) {
		return nil, probs
	}
	for _, c := range r.Detection.Conditions {
		if c.Aggregation != nil {
			probs = append(probs, sigmaProblem{search: "condition", msg: "aggregations are unsupported: use a stateful rule (kind volume)"})
			continue
		}
		cd, err := compileCond(c.Search, m.names, index)
		if err != nil {
			probs = append(probs, sigmaProblem{search: "condition", msg: err.Error()})
			continue
		}
		m.conds = append(m.conds, cd)
	}
	if len(probs) == 0 {
		m.need = ruleNeed(r, m)
	}
	return m, probs
}

type sigmaProblem struct{ search, field, msg string }

func compileField(fm sigma.FieldMatcher) (fieldMatcher, error) {
	f, extra, ok := fieldByName(fm.Field)
	if !ok {
		return fieldMatcher{}, fmt.Errorf("unknown field %q (known: %s, fields.<key>)", fm.Field, strings.Join(fieldNames[:], ", "))
	}
	out := fieldMatcher{f: f, extra: extra}
	mods := fm.Modifiers
	if n := len(mods); n > 0 && mods[n-1] == "all" {
		out.all, mods = true, mods[:n-1]
	}
	kind := cmpEqual
	b64 := false
	for i, md := range mods {
		last := i == len(mods)-1
		switch md {
		case "base64":
			b64 = true
			continue
		case "contains":
			kind = cmpContains
		case "startswith":
			kind = cmpPrefix
		case "endswith":
			kind = cmpSuffix
		case "re":
			kind = cmpRegexp
		case "cidr":
			kind = cmpCIDR
		case "gt":
			kind = cmpGT
		case "gte":
			kind = cmpGTE
		case "lt":
			kind = cmpLT
		case "lte":
			kind = cmpLTE
		default:
			return out, fmt.Errorf("unknown modifier %q", md)
		}
		if !last {
			return out, fmt.Errorf("comparator modifier %q must be the last modifier", md)
		}
	}
	if len(fm.Values) == 0 {
		return out, fmt.Errorf("no values")
	}
	for _, raw := range fm.Values {
		var s string
		switch x := raw.(type) {
		case nil:
			out.values = append(out.values, value{kind: cmpNull})
			continue
		case string:
			s = x
		case int, int64, float64, bool:
			s = fmt.Sprint(x)
		default:
			return out, fmt.Errorf("expected a scalar value, got %T", raw)
		}
		if b64 {
			s = base64.StdEncoding.EncodeToString([]byte(s))
		}
		v := value{kind: kind, s: lowerASCII(s), lit: -1}
		switch kind {
		case cmpEqual:
			if hasWildcard(s) {
				re, err := globRegexp(lowerASCII(s))
				if err != nil {
					return out, err
				}
				v.kind, v.re = cmpGlob, re
			} else {
				v.s = lowerASCII(unescape(s))
			}
		case cmpContains, cmpPrefix, cmpSuffix:
			v.s = lowerASCII(unescape(s))
		case cmpRegexp:
			re, err := regexp.Compile(s)
			if err != nil {
				return out, fmt.Errorf("bad regular expression %q: %v", s, err)
			}
			v.re = re
			if sr, err := syntax.Parse(s, syntax.Perl); err == nil {
				v.need = required(sr)
			}
		case cmpCIDR:
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return out, fmt.Errorf("bad CIDR %q: %v", s, err)
			}
			v.prefix = p.Masked()
		case cmpGT, cmpGTE, cmpLT, cmpLTE:
			n, ok := parseNum(s)
			if !ok {
				return out, fmt.Errorf("%q is not a number", s)
			}
			v.num = n
		}
		out.values = append(out.values, v)
	}
	return out, nil
}

func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func globRegexp(s string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)^")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteString(regexp.QuoteMeta(string(s[i])))
			} else {
				b.WriteString(`\\`)
			}
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func compileCond(e sigma.SearchExpr, names []string, index map[string]int) (cond, error) {
	matching := func(pattern string) ([]int, error) {
		var out []int
		for i, n := range names {
			ok, err := path.Match(pattern, n)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q", pattern)
			}
			if ok {
				out = append(out, i)
			}
		}
		return out, nil
	}
	anyOf := func(idx []int) cond {
		return func(s *searchEval) bool {
			for _, i := range idx {
				if s.get(i) {
					return true
				}
			}
			return false
		}
	}
	allOf := func(idx []int) cond {
		return func(s *searchEval) bool {
			for _, i := range idx {
				if !s.get(i) {
					return false
				}
			}
			return true
		}
	}
	every := make([]int, len(names))
	for i := range every {
		every[i] = i
	}
	switch x := e.(type) {
	case sigma.SearchIdentifier:
		i, ok := index[x.Name]
		if !ok {
			return nil, fmt.Errorf("condition names unknown search %q", x.Name)
		}
		return func(s *searchEval) bool { return s.get(i) }, nil
	case sigma.And, sigma.Or:
		var subs []sigma.SearchExpr
		isAnd := false
		if a, ok := x.(sigma.And); ok {
			subs, isAnd = a, true
		} else {
			subs = x.(sigma.Or)
		}
		var cs []cond
		for _, sub := range subs {
			c, err := compileCond(sub, names, index)
			if err != nil {
				return nil, err
			}
			cs = append(cs, c)
		}
		if isAnd {
			return func(s *searchEval) bool {
				for _, c := range cs {
					if !c(s) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(s *searchEval) bool {
			for _, c := range cs {
				if c(s) {
					return true
				}
			}
			return false
		}, nil
	case sigma.Not:
		c, err := compileCond(x.Expr, names, index)
		if err != nil {
			return nil, err
		}
		return func(s *searchEval) bool { return !c(s) }, nil
	case sigma.OneOfThem:
		return anyOf(every), nil
	case sigma.AllOfThem:
		return allOf(every), nil
	case sigma.OneOfPattern:
		idx, err := matching(x.Pattern)
		return anyOf(idx), err
	case sigma.AllOfPattern:
		idx, err := matching(x.Pattern)
		return allOf(idx), err
	case sigma.OneOfIdentifier:
		idx, err := matching(x.Ident.Name)
		return anyOf(idx), err
	case sigma.AllOfIdentifier:
		idx, err := matching(x.Ident.Name)
		return allOf(idx), err
	}
	return nil, fmt.Errorf("unsupported condition %T", e)
}

// required returns literal groups any match of re must contain: the
// literals of a top-level concatenation, and alternations of literals
// (as any-of groups). It is a prefilter, so it may return less than is
// required, never more.
func required(re *syntax.Regexp) [][]string {
	switch re.Op {
	case syntax.OpLiteral:
		return [][]string{{strings.ToLower(string(re.Rune))}}
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpConcat:
		var out [][]string
		for _, sub := range re.Sub {
			out = append(out, required(sub)...)
		}
		return out
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpAlternate:
		var any []string
		for _, sub := range re.Sub {
			g := required(sub)
			if len(g) == 0 {
				return nil
			}
			// The branch requires each of its groups; the group whose
			// shortest literal is longest stands for it, and the
			// alternation requires one literal of the union.
			best, bestLen := g[0], -1
			for _, x := range g {
				m := len(x[0])
				for _, lit := range x[1:] {
					m = min(m, len(lit))
				}
				if m > bestLen {
					best, bestLen = x, m
				}
			}
			any = append(any, best...)
		}
		return [][]string{any}
	}
	return nil
}

// ruleNeed returns statement literals one of which any event matching the
// rule must contain, or nil. It is the rule-level prefilter: most rules
// look for keywords in statements, and most statements have none.
func ruleNeed(r sigma.Rule, m *sigmaMatcher) []string {
	per := make([][]string, len(m.searches))
	for i, s := range m.searches {
		per[i] = searchNeed(s)
	}
	index := map[string]int{}
	for i, n := range m.names {
		index[n] = i
	}
	var out []string
	for _, c := range r.Detection.Conditions {
		n := exprNeed(c.Search, m.names, index, per)
		if n == nil {
			return nil
		}
		out = append(out, n...)
	}
	return out
}

func searchNeed(s search) []string {
	var out []string
	for _, all := range s.any {
		var best []string
		for i := range all {
			if n := fieldNeed(&all[i]); n != nil && (best == nil || len(n) < len(best)) {
				best = n
			}
		}
		if best == nil {
			return nil
		}
		out = append(out, best...)
	}
	return out
}

func fieldNeed(fm *fieldMatcher) []string {
	if fm.f != fStatement || len(fm.values) == 0 {
		return nil
	}
	vals := fm.values
	if fm.all {
		vals = vals[:1] // every value must match: the first one's need suffices
	}
	var out []string
	for _, v := range vals {
		switch {
		case v.kind == cmpContains && v.s != "":
			out = append(out, v.s)
		case v.kind == cmpRegexp && len(v.need) > 0:
			best, bestLen := v.need[0], -1
			for _, g := range v.need {
				m := len(g[0])
				for _, lit := range g[1:] {
					m = min(m, len(lit))
				}
				if m > bestLen {
					best, bestLen = g, m
				}
			}
			if bestLen < 1 {
				return nil
			}
			out = append(out, best...)
		default:
			return nil
		}
	}
	return out
}

func exprNeed(e sigma.SearchExpr, names []string, index map[string]int, per [][]string) []string {
	union := func(idx []int) []string {
		var out []string
		for _, i := range idx {
			if per[i] == nil {
				return nil
			}
			out = append(out, per[i]...)
		}
		return out
	}
	pick := func(idx []int) []string {
		var best []string
		for _, i := range idx {
			if per[i] != nil && (best == nil || len(per[i]) < len(best)) {
				best = per[i]
			}
		}
		return best
	}
	matching := func(pattern string) []int {
		var out []int
		for i, n := range names {
			if ok, _ := path.Match(pattern, n); ok {
				out = append(out, i)
			}
		}
		return out
	}
	every := make([]int, len(names))
	for i := range every {
		every[i] = i
	}
	switch x := e.(type) {
	case sigma.SearchIdentifier:
		if i, ok := index[x.Name]; ok {
			return per[i]
		}
	case sigma.And:
		var best []string
		for _, sub := range x {
			if n := exprNeed(sub, names, index, per); n != nil && (best == nil || len(n) < len(best)) {
				best = n
			}
		}
		return best
	case sigma.Or:
		var out []string
		for _, sub := range x {
			n := exprNeed(sub, names, index, per)
			if n == nil {
				return nil
			}
			out = append(out, n...)
		}
		return out
	case sigma.OneOfThem:
		return union(every)
	case sigma.AllOfThem:
		return pick(every)
	case sigma.OneOfPattern:
		return union(matching(x.Pattern))
	case sigma.AllOfPattern:
		return pick(matching(x.Pattern))
	case sigma.OneOfIdentifier:
		return union(matching(x.Ident.Name))
	case sigma.AllOfIdentifier:
		return pick(matching(x.Ident.Name))
	}
	return nil
}
