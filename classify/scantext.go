package classify

import (
	"bytes"
	"sort"
	"time"
	"unicode/utf8"
)

// TextFinding counts the hits of one content rule in free text.
type TextFinding struct {
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	PI       string `json:"pi,omitempty"`
	Category string `json:"category,omitempty"`
	Count    int    `json:"count"`
	// Samples are masked (at most three).
	Samples []string `json:"samples"`
}

// ScanText finds identifiers in free text (plain-text files, log lines,
// document bodies) with the content rules marked `text: true`. Tokens are
// maximal runs of ASCII identifier characters; only tokens holding a digit,
// '@' or '$' reach the validators, and PEM private keys are found by their
// armour line. Findings are ordered by count, then rule id.
func (e *Engine) ScanText(b []byte) []TextFinding {
	var rules []*contentRule
	for i := range e.content {
		if e.content[i].text {
			rules = append(rules, &e.content[i])
		}
	}
	now := e.now()
	counts := make([]int, len(rules))
	samples := make([][]string, len(rules))
	hit := func(ri int, tok []byte) {
		counts[ri]++
		if len(samples[ri]) < 3 {
			samples[ri] = append(samples[ri], Mask(rules[ri].mask, string(tok)))
		}
	}
	i := 0
	for i < len(b) {
		c := b[i]
		if !tokenByte(c) {
			if c < utf8.RuneSelf {
				i++
			} else {
				_, n := utf8.DecodeRune(b[i:])
				i += n
			}
			continue
		}
		j := i
		interesting := false
		for j < len(b) && tokenByte(b[j]) {
			if isDigit(b[j]) || b[j] == '@' || b[j] == '$' {
				interesting = true
			}
			j++
		}
		tok := trimPunct(b[i:j])
		i = j
		if !interesting || len(tok) < 7 || len(tok) > 512 {
			continue
		}
		if ri := matchToken(rules, tok, now); ri >= 0 {
			hit(ri, tok)
			continue
		}
		// key=value and a;b;c runs: try the parts.
		for rest := tok; len(rest) > 0; {
			k := bytes.IndexAny(rest, "=;,")
			part := rest
			if k >= 0 {
				part, rest = rest[:k], rest[k+1:]
			} else {
				rest = nil
			}
			if len(part) == len(tok) {
				break
			}
			if ri := matchToken(rules, trimPunct(part), now); ri >= 0 {
				hit(ri, part)
			}
		}
	}
	// PEM armour spans spaces, so it is found directly.
	for off := 0; ; {
		k := bytes.Index(b[off:], []byte("-----BEGIN "))
		if k < 0 {
			break
		}
		line := b[off+k:]
		if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
			line = line[:nl]
		}
		s := string(bytes.TrimSpace(line))
		for ri, r := range rules {
			if r.check(s, now) > 0 {
				counts[ri]++
				if len(samples[ri]) < 3 {
					samples[ri] = append(samples[ri], Mask("credential", s))
				}
				break
			}
		}
		off += k + 11
	}
	var out []TextFinding
	for ri, r := range rules {
		if counts[ri] > 0 {
			out = append(out, TextFinding{Rule: r.id, Title: r.title, PI: r.pi, Category: r.category, Count: counts[ri], Samples: samples[ri]})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count > out[b].Count
		}
		return out[a].Rule < out[b].Rule
	})
	return out
}

// matchToken returns the first text rule matching tok, or -1.
func matchToken(rules []*contentRule, tok []byte, now time.Time) int {
	if len(tok) < 7 {
		return -1
	}
	s := string(tok)
	if allHex(s) && !allDigits(s) {
		return -1 // bare hex digests in text are mostly file hashes and ids, not credentials
	}
	for ri, r := range rules {
		if r.check(s, now) > 0 {
			return ri
		}
	}
	return -1
}

// trimPunct trims the separators a token may start or end with.
func trimPunct(b []byte) []byte {
	isP := func(c byte) bool {
		return c == '.' || c == ':' || c == '-' || c == '_' || c == '=' || c == '/' || c == ';' || c == ','
	}
	for len(b) > 0 && isP(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isP(b[0]) {
		b = b[1:]
	}
	return b
}

// tokenByte reports whether c can be part of an identifier-like token.
func tokenByte(c byte) bool {
	switch {
	case isAlnum(c):
		return true
	}
	switch c {
	case '@', '.', '_', '-', '+', '$', '=', '/', ':', ';', ',':
		return true
	}
	return false
}
