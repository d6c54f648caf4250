package ingest

import (
	"strings"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ingest/sqlfp"
)

// applyStatement fingerprints stmt into ev and fills what the statement
// reveals: action, class and object unless already set, export and
// privilege markers in Fields.
func applyStatement(ev *shuan.Event, stmt string, d sqlfp.Dialect) {
	st := sqlfp.Parse(stmt, d)
	ev.Statement = st.Fingerprint
	if ev.Action == "" {
		ev.Action = st.Action
	}
	if ev.Class == "" {
		ev.Class = st.Class
	}
	if ev.Object == "" {
		ev.Object = st.Object
	}
	setField(ev, "command", st.Command)
	setField(ev, "export", st.Export)
	setField(ev, "privileged", st.Privileged)
}

// redactMessage removes quoted text and numbers from a server message, so
// a value echoed in an error ("invalid input syntax: "13800138000"") is
// not kept.
func redactMessage(s string) string {
	const max = 1024
	var b strings.Builder
	b.Grow(min(len(s), max))
	for i := 0; i < len(s) && b.Len() < max; i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				i = len(s)
			} else {
				i += j + 1
			}
			b.WriteString(`"?"`)
		case c >= '0' && c <= '9':
			for i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == '.') {
				i++
			}
			b.WriteByte('?')
		case c == '\n' || c == '\t' || c == '\r':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// quoted returns the text between the first pair of double quotes after
// marker in s.
func quoted(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	rest := s[i+len(marker):]
	a := strings.IndexByte(rest, '"')
	if a < 0 {
		return ""
	}
	b := strings.IndexByte(rest[a+1:], '"')
	if b < 0 {
		return ""
	}
	return rest[a+1 : a+1+b]
}

// splitCSV splits one CSV record (RFC 4180 quoting, "" escapes) into at
// most max fields.
func splitCSV(s string, max int, out []string) ([]string, error) {
	out = out[:0]
	for {
		if len(out) == max-1 {
			f, err := unquoteCSV(s)
			if err != nil {
				return nil, err
			}
			return append(out, f), nil
		}
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, errUnclosedQuote
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			out = append(out, b.String())
			if i == len(s) {
				return out, nil
			}
			if s[i] != ',' {
				return nil, errBadQuote
			}
			s = s[i+1:]
			continue
		}
		j := strings.IndexByte(s, ',')
		if j < 0 {
			return append(out, s), nil
		}
		out = append(out, s[:j])
		s = s[j+1:]
	}
}

// unquoteCSV returns a last field as is, or unquoted when the whole field
// is quoted.
func unquoteCSV(s string) (string, error) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		inner := s[1 : len(s)-1]
		return strings.ReplaceAll(inner, `""`, `"`), nil
	}
	return s, nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

const (
	errUnclosedQuote = parseError("unclosed quote")
	errBadQuote      = parseError("text after closing quote")
)
