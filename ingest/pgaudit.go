package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ingest/sqlfp"
)

// pgLine is one PostgreSQL log message, from stderr or csvlog.
type pgLine struct {
	time     time.Time
	pid      string
	user     string
	db       string
	client   string
	port     string
	session  string
	app      string
	sqlstate string
	severity string
	message  string
	query    string // csvlog: the statement of an error
}

// pgState pairs ERROR lines with the STATEMENT line that follows them.
type pgState struct {
	pending map[string]string // pid → redacted error message
}

func (s *pgState) setPending(pid, msg string) {
	if s.pending == nil || len(s.pending) > 4096 {
		s.pending = make(map[string]string)
	}
	s.pending[pid] = msg
}

// Pgaudit parses PostgreSQL stderr logs with a configurable
// log_line_prefix: pgaudit AUDIT lines, failed statements (ERROR followed
// by STATEMENT), logins and login failures.
type Pgaudit struct {
	opts   Options
	prefix []prefixItem
	st     pgState
}

// NewPgaudit returns a parser for stderr logs written with o.Prefix
// (DefaultPrefix when empty).
func NewPgaudit(o Options) (*Pgaudit, error) {
	p := o.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	items, err := compilePrefix(p)
	if err != nil {
		return nil, err
	}
	return &Pgaudit{opts: o, prefix: items}, nil
}

// Source implements Parser.
func (p *Pgaudit) Source() string { return "pgaudit" }

// Continues implements Parser: the server starts continuation lines of a
// message with a tab.
func (p *Pgaudit) Continues(rec, line []byte) bool { return len(line) > 0 && line[0] == '\t' }

// Parse implements Parser.
func (p *Pgaudit) Parse(rec []byte, at Position, ev *shuan.Event) (bool, error) {
	rec = bytes.TrimRight(rec, "\r\n")
	s := string(rec)
	if strings.Contains(s, "\n\t") {
		s = strings.ReplaceAll(s, "\n\t", "\n")
	}
	var l pgLine
	rest, err := p.parsePrefix(s, &l)
	if err != nil {
		return false, err
	}
	sev, msg, ok := strings.Cut(rest, ":  ")
	if !ok || !isSeverity(sev) {
		return false, errors.New("no severity after log line prefix")
	}
	l.severity, l.message = sev, msg
	return handlePg(&l, &p.st, at, ev)
}

// handlePg turns one parsed PostgreSQL message into an event.
func handlePg(l *pgLine, st *pgState, at Position, ev *shuan.Event) (bool, error) {
	fill := func(action, class string, success bool) {
		newEvent(ev, "pgaudit", at)
		ev.Time, ev.Program = l.time, "postgres"
		ev.Actor, ev.Database, ev.Client = l.user, l.db, l.client
		ev.Action, ev.Class, ev.Success = action, class, success
		setField(ev, "pid", l.pid)
		setField(ev, "client_port", l.port)
		setField(ev, "session_id", l.session)
		setField(ev, "application", l.app)
		if l.severity != "LOG" {
			setField(ev, "severity", l.severity)
		}
	}
	msg := l.message
	switch l.severity {
	case "LOG", "INFO", "NOTICE", "WARNING", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5":
		// A new message of the backend: an earlier ERROR without a
		// STATEMENT line must not pair with a later one.
		delete(st.pending, l.pid)
		if a, ok := strings.CutPrefix(msg, "AUDIT: "); ok {
			fill("", "", true)
			return true, parseAudit(a, ev)
		}
		if a, ok := strings.CutPrefix(msg, "connection authorized: "); ok {
			fill("LOGIN", "AUTH", true)
			ev.Actor = orDefault(ev.Actor, kv(a, "user="))
			ev.Database = orDefault(ev.Database, kv(a, "database="))
			return true, nil
		}
		if a, ok := strings.CutPrefix(msg, "disconnection: "); ok {
			fill("DISCONNECT", "AUTH", true)
			ev.Actor = orDefault(ev.Actor, kv(a, "user="))
			ev.Database = orDefault(ev.Database, kv(a, "database="))
			ev.Client = orDefault(ev.Client, kv(a, "host="))
			return true, nil
		}
		return false, nil
	case "FATAL":
		actor := ""
		switch {
		case strings.HasPrefix(msg, "password authentication failed for user "),
			strings.HasPrefix(msg, "authentication failed for user "):
			actor = quoted(msg, "for user ")
		case strings.HasPrefix(msg, "no pg_hba.conf entry for host "):
			actor = quoted(msg, "user ")
		case strings.HasPrefix(msg, "role ") && strings.HasSuffix(msg, " does not exist"):
			actor = quoted(msg, "role ")
		case strings.HasPrefix(msg, "database ") && strings.HasSuffix(msg, " does not exist"):
		default:
			st.setPending(l.pid, redactMessage(msg))
			return false, nil
		}
		fill("LOGIN_FAILED", "AUTH", false)
		ev.Actor = orDefault(ev.Actor, actor)
		ev.Message = redactMessage(msg)
		return true, nil
	case "ERROR":
		if l.query != "" {
			fill("", "", false)
			ev.Message = redactMessage(msg)
			setField(ev, "sqlstate", l.sqlstate)
			applyStatement(ev, l.query, sqlfp.Postgres)
			return true, nil
		}
		st.setPending(l.pid, redactMessage(msg))
		return false, nil
	case "STATEMENT":
		errMsg, ok := st.pending[l.pid]
		if !ok {
			return false, nil
		}
		delete(st.pending, l.pid)
		fill("", "", false)
		ev.Message = errMsg
		applyStatement(ev, msg, sqlfp.Postgres)
		return true, nil
	}
	return false, nil
}

func orDefault(v, d string) string {
	if v == "" || v == "[unknown]" {
		return d
	}
	return v
}

// kv returns the value after key up to the next space.
func kv(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	v := s[i+len(key):]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v
}

// parseAudit reads pgaudit's CSV: AUDIT_TYPE, STATEMENT_ID, SUBSTATEMENT_ID,
// CLASS, COMMAND, OBJECT_TYPE, OBJECT_NAME, STATEMENT, PARAMETER and, with
// pgaudit.log_rows, ROWS. PARAMETER holds literal values and is dropped.
func parseAudit(s string, ev *shuan.Event) error {
	var buf [12]string
	f, err := splitCSV(s, 11, buf[:0])
	if err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	if len(f) < 8 {
		return fmt.Errorf("audit record has %d fields, want at least 8", len(f))
	}
	// Only the unusual values are kept: SESSION and substatement 1 are the
	// common case and cost a map entry per event.
	if f[0] != "SESSION" {
		setField(ev, "audit_type", f[0])
	}
	setField(ev, "statement_id", f[1])
	if f[2] != "1" {
		setField(ev, "substatement_id", f[2])
	}
	setField(ev, "object_type", f[5])
	ev.Class = f[3]
	ev.Action, _ = sqlfp.Command(f[4])
	ev.Object = f[6]
	if f[7] != "<previously logged>" {
		applyStatement(ev, f[7], sqlfp.Postgres)
	} else {
		ev.Statement = f[7]
	}
	setField(ev, "command", f[4])
	if len(f) >= 10 {
		if n, err := strconv.ParseInt(f[len(f)-1], 10, 64); err == nil {
			ev.Rows = n
		}
	}
	return nil
}

func isSeverity(s string) bool {
	switch s {
	case "LOG", "ERROR", "FATAL", "PANIC", "WARNING", "NOTICE", "INFO", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5",
		"DETAIL", "HINT", "STATEMENT", "CONTEXT", "QUERY", "LOCATION":
		return true
	}
	return false
}

// prefixItem is a literal or one %-escape of log_line_prefix.
type prefixItem struct {
	lit string
	esc byte
}

// compilePrefix splits a log_line_prefix into literals and escapes.
func compilePrefix(p string) ([]prefixItem, error) {
	var items []prefixItem
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			items = append(items, prefixItem{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			lit.WriteByte(p[i])
			continue
		}
		i++
		if i >= len(p) {
			return nil, errors.New("log_line_prefix ends in %")
		}
		// Skip a padding width such as %-10u.
		for i < len(p) && (p[i] == '-' || p[i] >= '0' && p[i] <= '9') {
			i++
		}
		if i >= len(p) {
			return nil, errors.New("log_line_prefix ends in %")
		}
		c := p[i]
		if c == '%' {
			lit.WriteByte('%')
			continue
		}
		if strings.IndexByte("amutnsipdrhcleqvxbQ", c) < 0 {
			return nil, fmt.Errorf("log_line_prefix escape %%%c is not supported", c)
		}
		flush()
		items = append(items, prefixItem{esc: c})
	}
	flush()
	return items, nil
}

// parsePrefix matches s against the prefix, fills l and returns the rest.
func (p *Pgaudit) parsePrefix(s string, l *pgLine) (string, error) {
	rest, err := p.matchItems(p.prefix, s, l)
	if err != nil {
		return "", fmt.Errorf("log line prefix: %w", err)
	}
	return rest, nil
}

func (p *Pgaudit) matchItems(items []prefixItem, s string, l *pgLine) (string, error) {
	for k, it := range items {
		if it.esc == 0 {
			if !strings.HasPrefix(s, it.lit) {
				return "", fmt.Errorf("want %q", it.lit)
			}
			s = s[len(it.lit):]
			continue
		}
		switch it.esc {
		case 'q':
			// Background processes stop the prefix here.
			saved := *l
			if rest, err := p.matchItems(items[k+1:], s, l); err == nil {
				if sev, _, ok := strings.Cut(rest, ":  "); ok && isSeverity(sev) {
					return rest, nil
				}
			}
			*l = saved
			return s, nil
		case 'm', 't', 's':
			ts, rest, err := parsePgTime(s, p.opts.loc())
			if err != nil {
				return "", err
			}
			if it.esc != 's' {
				l.time = ts
			}
			s = rest
			continue
		case 'n':
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			f, err := strconv.ParseFloat(s[:end], 64)
			if err != nil {
				return "", fmt.Errorf("epoch time: %w", err)
			}
			l.time = time.UnixMilli(int64(f * 1000)).UTC()
			s = s[end:]
			continue
		}
		// A value runs to the next literal (or to a space at the end).
		stop := " "
		if k+1 < len(items) && items[k+1].esc == 0 {
			stop = items[k+1].lit
		}
		end := strings.Index(s, stop[:1])
		if end < 0 {
			return "", fmt.Errorf("value of %%%c not terminated", it.esc)
		}
		v := s[:end]
		s = s[end:]
		switch it.esc {
		case 'p':
			l.pid = v
		case 'u':
			l.user = orDefault(v, "")
		case 'd':
			l.db = orDefault(v, "")
		case 'a':
			l.app = v
		case 'c':
			l.session = v
		case 'e':
			l.sqlstate = v
		case 'r':
			host, port, ok := strings.Cut(v, "(")
			l.client = host
			if ok {
				l.port = strings.TrimSuffix(port, ")")
			}
		case 'h':
			l.client = v
		}
	}
	return s, nil
}

// parsePgTime reads "2006-01-02 15:04:05[.000] ZONE" from the start of s.
func parsePgTime(s string, loc *time.Location) (time.Time, string, error) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, "", errors.New("timestamp")
	}
	num := func(a, b int) int {
		n := 0
		for _, c := range []byte(s[a:b]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, se := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 {
		return time.Time{}, "", errors.New("timestamp")
	}
	i, ns := 19, 0
	if i < len(s) && s[i] == '.' {
		j := i + 1
		scale := 100_000_000
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			ns += int(s[j]-'0') * scale
			scale /= 10
			j++
		}
		i = j
	}
	zone := loc
	if i < len(s) && s[i] == ' ' {
		j := strings.IndexByte(s[i+1:], ' ')
		if j < 0 {
			j = len(s) - i - 1
		}
		z := s[i+1 : i+1+j]
		switch {
		case z == "UTC" || z == "GMT":
			zone = time.UTC
		case len(z) >= 3 && (z[0] == '+' || z[0] == '-'):
			off, ok := zoneOffset(z)
			if !ok {
				return time.Time{}, "", errors.New("timestamp zone")
			}
			zone = time.FixedZone(z, off)
		}
		i += 1 + j
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, ns, zone).UTC()
	return t, s[i:], nil
}

// zoneOffset reads +08, +0800 or +08:00 as seconds east of UTC.
func zoneOffset(z string) (int, bool) {
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) != 2 && len(digits) != 4 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	off := n * 3600
	if len(digits) == 4 {
		off = n/100*3600 + n%100*60
	}
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// PgauditCSV parses PostgreSQL csvlog files: pgaudit AUDIT messages,
// failed statements and logins, like Pgaudit.
type PgauditCSV struct {
	opts Options
	st   pgState
	buf  []string
}

// NewPgauditCSV returns a csvlog parser.
func NewPgauditCSV(o Options) *PgauditCSV { return &PgauditCSV{opts: o} }

// Source implements Parser.
func (p *PgauditCSV) Source() string { return "pgaudit" }

// Continues implements Parser: a record continues while a quote is open.
func (p *PgauditCSV) Continues(rec, line []byte) bool { return bytes.Count(rec, []byte{'"'})%2 == 1 }

// Parse implements Parser.
func (p *PgauditCSV) Parse(rec []byte, at Position, ev *shuan.Event) (bool, error) {
	rec = bytes.TrimRight(rec, "\r\n")
	f, err := splitCSV(string(rec), 40, p.buf[:0])
	if err != nil {
		return false, fmt.Errorf("csvlog: %w", err)
	}
	p.buf = f
	if len(f) < 23 {
		return false, fmt.Errorf("csvlog record has %d fields, want at least 23", len(f))
	}
	var l pgLine
	ts, _, err := parsePgTime(f[0], p.opts.loc())
	if err != nil {
		return false, fmt.Errorf("csvlog log_time: %w", err)
	}
	l.time = ts
	l.user, l.db, l.pid = f[1], f[2], f[3]
	if host, port, ok := strings.Cut(f[4], ":"); ok && !strings.Contains(port, ":") {
		l.client, l.port = host, port
	} else {
		l.client = f[4]
	}
	l.session, l.severity, l.sqlstate, l.message = f[5], f[11], f[12], f[13]
	l.query = f[19]
	l.app = f[22]
	if l.severity == "ERROR" && l.query == "" {
		return false, nil
	}
	return handlePg(&l, &p.st, at, ev)
}
