package classify

import (
	"strings"
	"unicode"

	"github.com/coregx/ahocorasick"
)

// tokens splits an identifier or comment into lower-case tokens at
// non-alphanumeric characters, camelCase humps, letter/digit boundaries and
// Han/ASCII boundaries; a run of Han characters is one token.
func tokens(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	class := func(r rune) int {
		switch {
		case r >= 'a' && r <= 'z':
			return 1
		case r >= 'A' && r <= 'Z':
			return 2
		case r >= '0' && r <= '9':
			return 3
		case unicode.Is(unicode.Han, r):
			return 4
		case unicode.IsLetter(r):
			return 1
		}
		return 0
	}
	rs := []rune(s)
	for i, r := range rs {
		c := class(r)
		if c == 0 {
			flush()
			continue
		}
		if len(cur) > 0 {
			p := class(cur[len(cur)-1])
			switch {
			case p == c:
			case p == 2 && c == 1:
				// "HTTPServer": the last capital starts the new word.
				if len(cur) > 1 && class(cur[len(cur)-2]) == 2 {
					last := cur[len(cur)-1]
					cur = cur[:len(cur)-1]
					flush()
					cur = append(cur, last)
				}
			case p == 1 && c == 2:
				flush()
			default:
				flush()
			}
		}
		cur = append(cur, r)
		_ = i
	}
	flush()
	return out
}

// normalize turns text into " tok tok … " so whole-token keywords can be
// found by substring search with their surrounding spaces.
func normalize(s string) string {
	t := tokens(s)
	if len(t) == 0 {
		return ""
	}
	return " " + strings.Join(t, " ") + " "
}

// keywordPattern returns the search pattern for a keyword: pure Han
// keywords match as substrings, anything else as a whole-token sequence.
func keywordPattern(kw string) string {
	kw = strings.TrimSpace(kw)
	han := true
	for _, r := range kw {
		if !unicode.Is(unicode.Han, r) {
			han = false
			break
		}
	}
	if han {
		return kw
	}
	return normalize(kw)
}

// kwHit is one keyword occurrence attributed to its owning rule.
type kwHit struct {
	owner   int
	exclude bool
	keyword string
	start   int
	end     int
	head    bool // the hit ends the text: the head of a compound (log_id, 设备编号)
}

// spec is the specificity of a hit: the byte length of the keyword without
// separators (a Han character counts 3, like its information).
func (h kwHit) spec() int {
	n := 0
	for i := 0; i < len(h.keyword); i++ {
		if c := h.keyword[i]; c != ' ' && c != '_' && c != '-' {
			n++
		}
	}
	return n
}

type kwOwner struct {
	owner   int
	exclude bool
	keyword string
}

// kwIndex finds the keywords of many rules at once with one Aho–Corasick
// automaton; it is immutable after construction.
type kwIndex struct {
	ac     *ahocorasick.Automaton
	owners [][]kwOwner // by pattern id
}

// kwBuilder collects keywords before building a kwIndex.
type kwBuilder struct {
	ids    map[string]int
	pats   []string
	owners [][]kwOwner
	words  map[string]bool // lower-case ASCII words of the non-exclude keywords
	pinyin bool            // also add the pinyin spellings of Chinese keywords
}

func (b *kwBuilder) add(owner int, keyword string, exclude bool) {
	if b.pinyin && hanOnly(keyword) {
		for _, f := range pinyinForms(keyword) {
			b.addPattern(owner, f, exclude)
		}
	}
	b.addPattern(owner, keyword, exclude)
}

// hanOnly reports whether s is made only of Han characters.
func hanOnly(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

func (b *kwBuilder) addPattern(owner int, keyword string, exclude bool) {
	p := keywordPattern(keyword)
	if strings.TrimSpace(p) == "" {
		return
	}
	if b.ids == nil {
		b.ids, b.words = map[string]int{}, map[string]bool{}
	}
	if !exclude {
		for _, t := range strings.Fields(p) {
			if asciiWord(t) {
				b.words[t] = true
			}
		}
	}
	id, ok := b.ids[p]
	if !ok {
		id = len(b.pats)
		b.ids[p] = id
		b.pats = append(b.pats, p)
		b.owners = append(b.owners, nil)
	}
	b.owners[id] = append(b.owners[id], kwOwner{owner: owner, exclude: exclude, keyword: keyword})
}

func (b *kwBuilder) build() (*kwIndex, error) {
	if len(b.pats) == 0 {
		return &kwIndex{}, nil
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(b.pats).Build()
	if err != nil {
		return nil, err
	}
	return &kwIndex{ac: ac, owners: b.owners}, nil
}

// find returns every keyword hit in the normalized text norm.
func (k *kwIndex) find(norm string) []kwHit {
	if k == nil || k.ac == nil || norm == "" {
		return nil
	}
	var hits []kwHit
	for _, m := range k.ac.FindAllOverlapping([]byte(norm)) {
		for _, o := range k.owners[m.PatternID] {
			hits = append(hits, kwHit{owner: o.owner, exclude: o.exclude, keyword: o.keyword, start: m.Start, end: m.End, head: m.End >= len(norm)-1})
		}
	}
	return hits
}

// any reports whether some non-exclude keyword occurs in norm.
func (k *kwIndex) any(norm string) (string, bool) {
	for _, h := range k.find(norm) {
		if !h.exclude {
			return h.keyword, true
		}
	}
	return "", false
}

// bestHits keeps, per owner, the most specific hit that no longer hit of
// another owner contains, and drops owners with an exclude hit.
func bestHits(hits []kwHit) map[int]kwHit {
	excluded := map[int]bool{}
	for _, h := range hits {
		if h.exclude {
			excluded[h.owner] = true
		}
	}
	best := map[int]kwHit{}
	for i, h := range hits {
		if h.exclude || excluded[h.owner] {
			continue
		}
		inside := false
		for j, o := range hits {
			if i == j || o.owner == h.owner || o.exclude || excluded[o.owner] {
				continue
			}
			if o.start <= h.start && o.end >= h.end && (o.end-o.start) > (h.end-h.start) {
				inside = true
				break
			}
		}
		if inside {
			continue
		}
		if b, ok := best[h.owner]; !ok || h.spec() > b.spec() {
			best[h.owner] = h
		}
	}
	return best
}

// hasHan reports whether s contains a Han character.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// isAbbrev reports whether a keyword is a short ASCII abbreviation (pinyin
// initials such as dh, wd, sfzh; at most four letters).
func isAbbrev(kw string) bool {
	if len(kw) > 4 {
		return false
	}
	for i := 0; i < len(kw); i++ {
		if c := kw[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return kw != ""
}

// asciiWord reports whether t is made only of lower-case ASCII letters.
func asciiWord(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] < 'a' || t[i] > 'z' {
			return false
		}
	}
	return t != ""
}

// keySuffixes may end a folded name as a two-letter word (contactid, loomno).
var keySuffixes = map[string]bool{"id": true, "no": true, "nm": true, "cd": true, "at": true, "by": true, "dt": true}

// normName normalises a column or table name, splitting the runs that
// PostgreSQL and Oracle fold to one case (updateTime → updatetime) back
// into known words: "update time".
func (e *Engine) normName(s string) string {
	ts := tokens(s)
	out := ts[:0:0]
	for _, t := range ts {
		out = append(out, e.splitRun(t)...)
	}
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(out, " ") + " "
}

// splitRun splits a lower-case ASCII token of six letters or more that is
// no keyword into vocabulary words of at least three letters (a final key
// suffix such as id or no may be shorter), with as few parts as possible,
// after a one-letter type prefix if need be; a token that cannot be split
// whole is returned as it is.
func (e *Engine) splitRun(t string) []string {
	if len(t) < 5 || !asciiWord(t) || e.vocab[t] {
		return []string{t}
	}
	if out := e.splitWords(t); len(t) >= 6 && out != nil {
		return out
	}
	if strings.IndexByte("fcidbn", t[0]) >= 0 {
		// Kingdee and Yonyou prefix names with a type letter:
		// fsuppliernumber, cinvcode, fprice.
		if out := e.splitWords(t[1:]); out != nil {
			return append([]string{t[:1]}, out...)
		}
		if len(t) > 4 && e.vocab[t[1:]] {
			return []string{t[:1], t[1:]}
		}
	}
	return []string{t}
}

// splitWords splits t into at least two vocabulary words, or returns nil.
func (e *Engine) splitWords(t string) []string {
	n := len(t)
	// parts[i] is the fewest words covering t[:i], from[i] where the last starts.
	parts, from := make([]int, n+1), make([]int, n+1)
	for i := 1; i <= n; i++ {
		parts[i] = -1
		for j := 0; j < i; j++ {
			w := t[j:i]
			if parts[j] < 0 || !(len(w) >= 3 && e.vocab[w] || i == n && keySuffixes[w]) {
				continue
			}
			if parts[i] < 0 || parts[j]+1 < parts[i] {
				parts[i], from[i] = parts[j]+1, j
			}
		}
	}
	if parts[n] < 2 {
		return nil
	}
	out := make([]string, parts[n])
	for i, k := n, parts[n]-1; i > 0; i, k = from[i], k-1 {
		out[k] = t[from[i]:i]
	}
	return out
}
