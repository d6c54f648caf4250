package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shuan-dev/shuan"
)

// MaxMessage bounds the text kept from a syslog or NDJSON message.
const MaxMessage = 8 << 10

// Syslog parses RFC 5424 and RFC 3164 messages, telling them apart by the
// version after the priority. Lines without a priority (syslog files) are
// read as RFC 3164, also with an RFC 3339 timestamp as rsyslog writes.
type Syslog struct {
	opts Options
}

// NewSyslog returns a syslog parser.
func NewSyslog(o Options) *Syslog { return &Syslog{opts: o} }

// Source implements Parser.
func (p *Syslog) Source() string { return "syslog" }

// Continues implements Parser.
func (p *Syslog) Continues(rec, line []byte) bool { return false }

// Parse implements Parser.
func (p *Syslog) Parse(rec []byte, at Position, ev *shuan.Event) (bool, error) {
	rec = bytes.TrimRight(rec, "\r\n\x00")
	if len(rec) == 0 {
		return false, nil
	}
	s := string(rec)
	newEvent(ev, p.Source(), at)
	ev.Action, ev.Class, ev.Success = "MESSAGE", "MISC", true
	pri, rest, hasPri, err := parsePri(s)
	if err != nil {
		return false, err
	}
	if !hasPri {
		pri = 13 // RFC 3164 4.3.3: user.notice when the priority is missing
	}
	ev.Severity = pri % 8
	setField(ev, "facility", strconv.Itoa(pri/8))
	if hasPri {
		if len(rest) > 1 && rest[0] >= '1' && rest[0] <= '9' && (rest[1] == ' ' || len(rest) > 2 && rest[1] >= '0' && rest[1] <= '9' && rest[2] == ' ') {
			return true, p.parse5424(rest, ev)
		}
	}
	return true, p.parse3164(rest, ev)
}

// parsePri reads "<PRI>" when present.
func parsePri(s string) (int, string, bool, error) {
	if !strings.HasPrefix(s, "<") {
		return 0, s, false, nil
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return 0, "", false, errors.New("syslog priority")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri < 0 || pri > 191 || (end > 2 && s[1] == '0') {
		return 0, "", false, errors.New("syslog priority")
	}
	return pri, s[end+1:], true, nil
}

// field cuts the next space-separated header field ("-" is nil).
func field(s string) (string, string, error) {
	i := strings.IndexByte(s, ' ')
	if i <= 0 {
		if s != "" && i < 0 {
			return s, "", nil
		}
		return "", "", errors.New("syslog header field missing")
	}
	v := s[:i]
	if v == "-" {
		v = ""
	}
	return v, s[i+1:], nil
}

// parse5424 reads "VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]".
func (p *Syslog) parse5424(s string, ev *shuan.Event) error {
	var hdr [6]string
	var err error
	for i := range hdr {
		if hdr[i], s, err = field(s); err != nil {
			return fmt.Errorf("rfc 5424 header: %w", err)
		}
	}
	if hdr[1] == "" {
		ev.Time = p.opts.now().UTC()
	} else {
		t, err := time.Parse(time.RFC3339Nano, hdr[1])
		if err != nil {
			return fmt.Errorf("rfc 5424 timestamp %q", truncate(hdr[1], 40))
		}
		ev.Time = t.UTC()
	}
	ev.Host, ev.Program = hdr[2], hdr[3]
	setField(ev, "procid", hdr[4])
	setField(ev, "msgid", hdr[5])
	switch {
	case strings.HasPrefix(s, "-"):
		s = s[1:]
	case strings.HasPrefix(s, "["):
		rest, err := parseSD(s, ev)
		if err != nil {
			return err
		}
		s = rest
	default:
		return errors.New("rfc 5424 structured data")
	}
	if s != "" {
		if s[0] != ' ' {
			return errors.New("rfc 5424: no space before message")
		}
		s = strings.TrimPrefix(s[1:], "\ufeff")
	}
	ev.Message = clean(s)
	return nil
}

// parseSD reads structured data elements into Fields as "sd.ID.NAME".
func parseSD(s string, ev *shuan.Event) (string, error) {
	bad := errors.New("rfc 5424 structured data")
	for strings.HasPrefix(s, "[") {
		s = s[1:]
		i := strings.IndexAny(s, " ]")
		if i <= 0 {
			return "", bad
		}
		id := s[:i]
		s = s[i:]
		for strings.HasPrefix(s, " ") {
			s = s[1:]
			eq := strings.Index(s, `="`)
			if eq <= 0 {
				return "", bad
			}
			name := s[:eq]
			s = s[eq+2:]
			var v strings.Builder
			closed := false
			for j := 0; j < len(s); j++ {
				c := s[j]
				if c == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\' || s[j+1] == ']') {
					v.WriteByte(s[j+1])
					j++
					continue
				}
				if c == '"' {
					s = s[j+1:]
					closed = true
					break
				}
				v.WriteByte(c)
			}
			if !closed {
				return "", bad
			}
			if len(ev.Fields) < 32 {
				setField(ev, "sd."+id+"."+name, truncate(v.String(), 256))
			}
		}
		if !strings.HasPrefix(s, "]") {
			return "", bad
		}
		s = s[1:]
	}
	return s, nil
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// parse3164 reads "TIMESTAMP HOSTNAME TAG[PID]: MSG" where TIMESTAMP is
// "Mmm dd hh:mm:ss" or RFC 3339.
func (p *Syslog) parse3164(s string, ev *shuan.Event) error {
	switch {
	case len(s) >= 15 && months[s[:3]] != 0 && s[3] == ' ':
		t, err := time.ParseInLocation("Jan _2 15:04:05", s[:15], p.opts.loc())
		if err != nil {
			return fmt.Errorf("rfc 3164 timestamp %q", truncate(s[:15], 20))
		}
		now := p.opts.now().In(p.opts.loc())
		t = time.Date(now.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, p.opts.loc())
		if t.After(now.Add(24 * time.Hour)) {
			t = t.AddDate(-1, 0, 0)
		}
		ev.Time = t.UTC()
		s = strings.TrimPrefix(s[15:], " ")
	case len(s) >= 20 && s[4] == '-' && s[10] == 'T':
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		t, err := time.Parse(time.RFC3339Nano, s[:i])
		if err != nil {
			return fmt.Errorf("rfc 3164 timestamp %q", truncate(s[:i], 40))
		}
		ev.Time = t.UTC()
		s = strings.TrimPrefix(s[i:], " ")
	default:
		return errors.New("rfc 3164: no timestamp")
	}
	// HOSTNAME, unless the sender left it out and the tag comes first.
	if i := strings.IndexByte(s, ' '); i > 0 && !strings.ContainsAny(s[:i], ":[") {
		ev.Host, s = s[:i], s[i+1:]
	}
	// TAG[PID]: MSG
	i := 0
	for i < len(s) && i < 48 && s[i] != ':' && s[i] != '[' && s[i] != ' ' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == ':' || s[i] == '[') {
		ev.Program = s[:i]
		rest := s[i:]
		if rest[0] == '[' {
			j := strings.IndexByte(rest, ']')
			if j > 0 {
				setField(ev, "procid", rest[1:j])
				rest = rest[j+1:]
			}
		}
		rest = strings.TrimPrefix(rest, ":")
		s = strings.TrimPrefix(rest, " ")
	}
	ev.Message = clean(s)
	return nil
}

// clean bounds a message and makes it valid UTF-8.
func clean(s string) string {
	if len(s) > MaxMessage {
		s = s[:MaxMessage]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}
