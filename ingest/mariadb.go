package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ingest/sqlfp"
)

// MariaDB parses the file log of the MariaDB/MySQL server_audit plugin:
// timestamp,serverhost,username,host,connectionid,queryid,operation,
// database,object,retcode.
type MariaDB struct {
	opts Options
}

// NewMariaDB returns a server_audit parser; o.Location is the server's
// time zone, as the log's timestamps carry none.
func NewMariaDB(o Options) *MariaDB { return &MariaDB{opts: o} }

// Source implements Parser.
func (p *MariaDB) Source() string { return "mariadb_audit" }

// Continues implements Parser: server_audit escapes newlines, so every
// record is one line.
func (p *MariaDB) Continues(rec, line []byte) bool { return false }

// Parse implements Parser.
func (p *MariaDB) Parse(rec []byte, at Position, ev *shuan.Event) (bool, error) {
	s := string(bytes.TrimRight(rec, "\r\n"))
	if s == "" {
		return false, nil
	}
	var f [8]string
	for i := range f {
		j := strings.IndexByte(s, ',')
		if j < 0 {
			return false, fmt.Errorf("server_audit record has %d fields, want 10", i+1)
		}
		f[i], s = s[:j], s[j+1:]
	}
	ts, err := parseAuditTime(f[0], p.opts.loc())
	if err != nil {
		return false, err
	}
	var object, retcode string
	if strings.HasPrefix(s, "'") {
		obj, rest, err := unquoteAudit(s)
		if err != nil {
			return false, err
		}
		if !strings.HasPrefix(rest, ",") {
			return false, errors.New("server_audit object: text after closing quote")
		}
		object, retcode = obj, rest[1:]
	} else {
		j := strings.LastIndexByte(s, ',')
		if j < 0 {
			return false, errors.New("server_audit record has no retcode field")
		}
		object, retcode = s[:j], s[j+1:]
	}
	newEvent(ev, p.Source(), at)
	ev.Time, ev.Host, ev.Program = ts, f[1], "mariadb"
	ev.Actor, ev.Client, ev.Database = f[2], f[3], f[7]
	ev.Success = retcode == "" || retcode == "0"
	setField(ev, "connection_id", f[4])
	setField(ev, "query_id", f[5])
	setField(ev, "operation", f[6])
	setField(ev, "retcode", retcode)
	switch op := f[6]; op {
	case "CONNECT", "CHANGEUSER":
		ev.Action, ev.Class = "CONNECT", "AUTH"
		if !ev.Success {
			ev.Action = "LOGIN_FAILED"
		}
	case "FAILED_CONNECT":
		ev.Action, ev.Class, ev.Success = "LOGIN_FAILED", "AUTH", false
	case "DISCONNECT":
		ev.Action, ev.Class = "DISCONNECT", "AUTH"
	case "QUERY", "QUERY_DDL", "QUERY_DML", "QUERY_DCL", "QUERY_DML_NO_SELECT":
		applyStatement(ev, object, sqlfp.MySQL)
		if ev.Object != "" && ev.Database != "" && ev.Object != "*.*" && !strings.Contains(ev.Object, ".") && ev.Class != "ROLE" {
			ev.Object = ev.Database + "." + ev.Object
		}
	case "READ", "WRITE", "CREATE", "ALTER", "DROP", "RENAME":
		ev.Action = "TABLE_" + op
		switch op {
		case "READ":
			ev.Class = "READ"
		case "WRITE":
			ev.Class = "WRITE"
		default:
			ev.Class = "DDL"
		}
		ev.Object = object
		if ev.Database != "" {
			ev.Object = ev.Database + "." + object
		}
	default:
		return false, fmt.Errorf("server_audit operation %q unknown", truncate(op, 32))
	}
	return true, nil
}

// parseAuditTime reads server_audit's "20061225 15:04:05".
func parseAuditTime(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("20060102 15:04:05", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("server_audit timestamp %q", truncate(s, 32))
	}
	return t.UTC(), nil
}

// unquoteAudit reads a '…' object with backslash escapes from the start of
// s and returns it with the rest of s.
func unquoteAudit(s string) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return "", "", errUnclosedQuote
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		case '\'':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errUnclosedQuote
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
