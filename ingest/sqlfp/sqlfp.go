// Package sqlfp reduces SQL statements to fingerprints that keep their shape
// but no literal value, and reads the verb and main object from them.
package sqlfp

import (
	"strings"
	"unicode/utf8"
)

// Dialect selects the lexical rules for strings, identifiers and comments.
type Dialect int

const (
	// Postgres: '' strings (E'' with backslash escapes, $tag$ dollar
	// quotes), "quoted" identifiers.
	Postgres Dialect = iota
	// MySQL: '' and "" strings with backslash escapes, `quoted`
	// identifiers, # comments.
	MySQL
)

// MaxLen bounds a fingerprint; longer ones are cut and end in "…".
const MaxLen = 4096

// tokKind classifies lexer tokens.
type tokKind uint8

const (
	tWord   tokKind = iota // keyword or bare identifier
	tQIdent                // quoted identifier, quotes removed in text
	tLit                   // string or number literal, never kept
	tPunct                 // single punctuation character or operator
	tParam                 // $1, ?, :name placeholders
)

type token struct {
	kind  tokKind
	space bool   // whitespace or a comment came before it
	text  string // for tLit: the raw string body, never written out
}

// strBody returns the body of the quoted string s[i:j] without quotes.
func strBody(s string, i, j int) string {
	if j-i >= 2 && s[j-1] == s[i] {
		return s[i+1 : j-1]
	}
	return s[i+1 : j]
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// lex calls emit for each token of s. It never fails: an unterminated
// string or comment runs to the end of s.
func lex(s string, d Dialect, emitTok func(token)) {
	i := 0
	n := len(s)
	space := false
	emit := func(t token) {
		t.space = space
		space = false
		emitTok(t)
	}
	for i < n {
		c := s[i]
		switch {
		case isSpace(c):
			i++
			space = true
		case c == '-' && i+1 < n && s[i+1] == '-':
			i = skipLine(s, i)
			space = true
		case c == '#' && d == MySQL:
			i = skipLine(s, i)
			space = true
		case c == '/' && i+1 < n && s[i+1] == '*':
			i = skipBlock(s, i+2)
			space = true
		case c == '\'':
			j := skipQuoted(s, i+1, '\'', d == MySQL)
			emit(token{kind: tLit, text: strBody(s, i, j)})
			i = j
		case c == '"' && d == MySQL:
			j := skipQuoted(s, i+1, '"', true)
			emit(token{kind: tLit, text: strBody(s, i, j)})
			i = j
		case c == '"' || c == '`' && d == MySQL:
			// Most quoted names hold no doubled quote: take them as a
			// substring and build only when one occurs.
			j := i + 1
			doubled := false
			for j < n {
				if s[j] == c {
					if j+1 < n && s[j+1] == c {
						doubled = true
						j += 2
						continue
					}
					break
				}
				j++
			}
			text := s[i+1 : j]
			if doubled {
				text = strings.ReplaceAll(text, string([]byte{c, c}), string([]byte{c}))
			}
			if j < n {
				j++
			}
			i = j
			emit(token{kind: tQIdent, text: text})
		case c == '$' && d == Postgres:
			// $1 parameter or $tag$ … $tag$ dollar quote.
			j := i + 1
			if j < n && isDigit(s[j]) {
				for j < n && isDigit(s[j]) {
					j++
				}
				emit(token{kind: tParam, text: s[i:j]})
				i = j
				continue
			}
			for j < n && s[j] != '$' && isIdentChar(s[j]) {
				j++
			}
			if j < n && s[j] == '$' {
				tag := s[i : j+1]
				end := strings.Index(s[j+1:], tag)
				if end < 0 {
					i = n
				} else {
					i = j + 1 + end + len(tag)
				}
				emit(token{kind: tLit})
				continue
			}
			emit(token{kind: tPunct, text: "$"})
			i++
		case isDigit(c) || c == '.' && i+1 < n && isDigit(s[i+1]):
			i = skipNumber(s, i)
			emit(token{kind: tLit})
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentChar(s[j]) {
				j++
			}
			w := s[i:j]
			if j < n && s[j] == '\'' && isStringPrefix(w, d) {
				backslash := d == MySQL || w == "e" || w == "E"
				i = skipQuoted(s, j+1, '\'', backslash)
				emit(token{kind: tLit})
				continue
			}
			if d == Postgres && (w == "U" || w == "u") && j+1 < n && s[j] == '&' && s[j+1] == '\'' {
				i = skipQuoted(s, j+2, '\'', false)
				emit(token{kind: tLit})
				continue
			}
			i = j
			emit(token{kind: tWord, text: w})
		case c == '?':
			emit(token{kind: tParam, text: "?"})
			i++
		default:
			// Operators: keep runs of operator characters together so
			// "<>" and "::" stay one token.
			j := i + 1
			if strings.IndexByte("<>=!|:&~^%*+-/@", c) >= 0 {
				for j < n && strings.IndexByte("<>=!|:&~^%*+-/@", s[j]) >= 0 && !(s[j] == '-' && j+1 < n && s[j+1] == '-') && !(s[j] == '/' && j+1 < n && s[j+1] == '*') {
					j++
				}
			} else if c >= 0x80 {
				_, size := utf8.DecodeRuneInString(s[i:])
				j = i + size
			}
			emit(token{kind: tPunct, text: s[i:j]})
			i = j
		}
	}
}

func isStringPrefix(w string, d Dialect) bool {
	switch w {
	case "E", "e":
		return d == Postgres
	case "X", "x", "B", "b", "N", "n":
		return true
	}
	return false
}

func skipLine(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// skipBlock skips a /* */ comment starting after the opener; PostgreSQL
// nests them, and treating MySQL's the same only hides more text.
func skipBlock(s string, i int) int {
	depth := 1
	for i < len(s) {
		switch {
		case s[i] == '*' && i+1 < len(s) && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		case s[i] == '/' && i+1 < len(s) && s[i+1] == '*':
			depth++
			i += 2
		default:
			i++
		}
	}
	return i
}

// skipQuoted returns the index after the closing quote q of a string whose
// body starts at i; doubled quotes, and with backslash also \x, escape.
func skipQuoted(s string, i int, q byte, backslash bool) int {
	for i < len(s) {
		c := s[i]
		if backslash && c == '\\' {
			i += 2
			continue
		}
		if c == q {
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(s)
}

func skipNumber(s string, i int) int {
	n := len(s)
	if s[i] == '0' && i+1 < n && (s[i+1] == 'x' || s[i+1] == 'X' || s[i+1] == 'b' || s[i+1] == 'B' || s[i+1] == 'o' || s[i+1] == 'O') {
		j := i + 2
		for j < n && (isDigit(s[j]) || s[j] >= 'a' && s[j] <= 'f' || s[j] >= 'A' && s[j] <= 'F' || s[j] == '_') {
			j++
		}
		return j
	}
	j := i
	for j < n && (isDigit(s[j]) || s[j] == '_') {
		j++
	}
	if j < n && s[j] == '.' {
		j++
		for j < n && isDigit(s[j]) {
			j++
		}
	}
	if j < n && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < n && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < n && isDigit(s[k]) {
			for k < n && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	// A number running into letters (1abc) is still one literal.
	for j < n && isIdentChar(s[j]) {
		j++
	}
	return j
}

// maxTokens bounds the tokens kept for analysis; the verb and main object
// come early, and later keywords (INTO OUTFILE, TO PROGRAM) are looked for
// in the tail kept separately.
const maxTokens = 1024

// Fingerprint returns stmt with every literal replaced by ?, lists of
// literals collapsed to (?), comments removed and whitespace folded.
func Fingerprint(stmt string, d Dialect) string {
	return fingerprint(stmt, d, nil)
}

// fingerprint builds the fingerprint and, when toks is not nil, keeps the
// first maxTokens tokens and the last few for analysis.
func fingerprint(stmt string, d Dialect, toks *tokens) string {
	var b strings.Builder
	b.Grow(min(len(stmt), MaxLen+8))
	// Tokens held back while a "( ? , ? …" run may still collapse.
	held := make([]token, 0, 16)
	inList := false
	lastRow := -1 // output length right after the last collapsed row list
	write := func(t token) {
		if b.Len() > MaxLen {
			return
		}
		if t.space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		switch t.kind {
		case tLit:
			b.WriteByte('?')
		case tQIdent:
			q := byte('"')
			if d == MySQL {
				q = '`'
			}
			b.WriteByte(q)
			if strings.IndexByte(t.text, q) >= 0 {
				b.WriteString(quoteIdent(t.text, d)[1 : len(t.text)+1+strings.Count(t.text, string(q))])
			} else {
				b.WriteString(t.text)
			}
			b.WriteByte(q)
		default:
			b.WriteString(t.text)
		}
	}
	flushHeld := func() {
		for _, t := range held {
			write(t)
		}
		held = held[:0]
		inList = false
	}
	lex(stmt, d, func(t token) {
		if toks != nil {
			toks.add(t)
		}
		isLit := t.kind == tLit || t.kind == tParam
		switch {
		case t.kind == tPunct && t.text == "(":
			flushHeld()
			held = append(held, t)
			inList = true
			return
		case inList && (isLit || t.kind == tPunct && (t.text == "," || t.text == "-" || t.text == "+")):
			held = append(held, t)
			return
		case inList && t.kind == tPunct && t.text == ")":
			if listOfLits(held) && !isCall(b.String(), held[0].space) {
				open := held[0]
				held = held[:0]
				inList = false
				// Rows "(?), (?)" collapse into one.
				if s := b.String(); lastRow >= 0 && strings.HasSuffix(s, ",") && strings.TrimRight(s[:len(s)-1], " ") == s[:lastRow] {
					b.Reset()
					b.WriteString(s[:lastRow])
					return
				}
				write(token{kind: tPunct, text: "(?)", space: open.space})
				lastRow = b.Len()
				return
			}
			flushHeld()
		}
		if inList {
			flushHeld()
		}
		write(t)
	})
	flushHeld()
	if b.Len() > MaxLen {
		s := b.String()
		cut := MaxLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return b.String()
}

// isCall reports whether a "(" written after out opens the arguments of a
// function call, whose literals keep their count.
func isCall(out string, space bool) bool {
	if space || out == "" || !isIdentChar(out[len(out)-1]) {
		return false
	}
	return !isKeywordEnd(out)
}

// listOfLits reports whether held is "(" followed by literals separated by
// commas (signs allowed) and at least one literal.
func listOfLits(held []token) bool {
	lits := 0
	for _, t := range held[1:] {
		if t.kind == tLit {
			lits++
		} else if t.kind == tParam {
			return false // keep $1 lists as they are
		}
	}
	return lits > 0
}

func quoteIdent(s string, d Dialect) string {
	q := `"`
	if d == MySQL {
		q = "`"
	}
	return q + strings.ReplaceAll(s, q, q+q) + q
}

// isKeywordEnd reports whether prev ends in a keyword after which "("
// opens a list rather than a call.
func isKeywordEnd(prev string) bool {
	i := len(prev)
	for i > 0 && isIdentChar(prev[i-1]) {
		i--
	}
	switch strings.ToUpper(prev[i:]) {
	case "IN", "VALUES", "AS", "FROM", "JOIN", "ON", "AND", "OR", "NOT", "WHERE", "SELECT", "EXISTS", "INTO", "USING", "TABLE", "SET", "ALL", "ANY", "SOME", "OVER", "WITH", "RETURNING", "BY", "IF", "WHEN", "THEN", "ELSE":
		return true
	}
	return false
}
