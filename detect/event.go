package detect

import (
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
)

// View returns the map view of ev that Sigma rules are written against: the
// Event's JSON field names (time as RFC 3339, rows and severity as int,
// success as bool), "fields.<key>" for each entry of ev.Fields and, when
// dataLevel is not empty, "data_level".
func View(ev *shuan.Event, dataLevel string) map[string]any {
	m := make(map[string]any, 18+len(ev.Fields))
	m["id"] = ev.ID
	m["time"] = ev.Time.UTC().Format(time.RFC3339Nano)
	m["source"] = ev.Source
	m["origin"] = ev.Origin
	m["host"] = ev.Host
	m["program"] = ev.Program
	m["actor"] = ev.Actor
	m["client"] = ev.Client
	m["database"] = ev.Database
	m["object"] = ev.Object
	m["action"] = ev.Action
	m["class"] = ev.Class
	m["rows"] = int(ev.Rows)
	m["statement"] = ev.Statement
	m["success"] = ev.Success
	m["severity"] = ev.Severity
	m["message"] = ev.Message
	if dataLevel != "" {
		m["data_level"] = dataLevel
	}
	for k, v := range ev.Fields {
		m["fields."+k] = v
	}
	return m
}

// field identifies one value of the map view.
type field int

const (
	fID field = iota
	fTime
	fSource
	fOrigin
	fHost
	fProgram
	fActor
	fClient
	fDatabase
	fObject
	fAction
	fClass
	fRows
	fStatement
	fSuccess
	fSeverity
	fMessage
	fDataLevel
	nFields
	fExtra // fields.<key>
)

var fieldNames = [nFields]string{"id", "time", "source", "origin", "host", "program", "actor", "client",
	"database", "object", "action", "class", "rows", "statement", "success", "severity", "message", "data_level"}

// fieldByName resolves a Sigma field name; extra is the key under "fields.".
func fieldByName(name string) (f field, extra string, ok bool) {
	if k, found := strings.CutPrefix(name, "fields."); found && k != "" {
		return fExtra, k, true
	}
	for i, n := range fieldNames {
		if n == name {
			return field(i), "", true
		}
	}
	return 0, "", false
}

// evalCtx is one event under evaluation with lazily computed string values.
type evalCtx struct {
	ev    *shuan.Event
	level string
	have  [nFields]bool
	val   [nFields]string
	lower [nFields]string
	haveL [nFields]bool
	// statement keyword hits (keywords.go)
	kw     *keywords
	kwDone bool
	gen    uint32
	stamp  []uint32
	kwBuf  []byte
}

func (c *evalCtx) reset(ev *shuan.Event, level string) {
	c.ev, c.level = ev, level
	c.have = [nFields]bool{}
	c.haveL = [nFields]bool{}
	c.kwDone = false
}

// str returns the string form of a field as the map view would show it.
func (c *evalCtx) str(f field) string {
	if c.have[f] {
		return c.val[f]
	}
	ev := c.ev
	var s string
	switch f {
	case fID:
		s = ev.ID
	case fTime:
		s = ev.Time.UTC().Format(time.RFC3339Nano)
	case fSource:
		s = ev.Source
	case fOrigin:
		s = ev.Origin
	case fHost:
		s = ev.Host
	case fProgram:
		s = ev.Program
	case fActor:
		s = ev.Actor
	case fClient:
		s = ev.Client
	case fDatabase:
		s = ev.Database
	case fObject:
		s = ev.Object
	case fAction:
		s = ev.Action
	case fClass:
		s = ev.Class
	case fRows:
		s = strconv.FormatInt(ev.Rows, 10)
	case fStatement:
		s = ev.Statement
	case fSuccess:
		s = strconv.FormatBool(ev.Success)
	case fSeverity:
		s = strconv.Itoa(ev.Severity)
	case fMessage:
		s = ev.Message
	case fDataLevel:
		s = c.level
	}
	c.val[f], c.have[f] = s, true
	return s
}

// low returns the lower-cased string form of a field, computed once per event.
func (c *evalCtx) low(f field) string {
	if c.haveL[f] {
		return c.lower[f]
	}
	s := lowerASCII(c.str(f))
	c.lower[f], c.haveL[f] = s, true
	return s
}

// num returns a numeric field's value.
func (c *evalCtx) num(f field) (float64, bool) {
	switch f {
	case fRows:
		return float64(c.ev.Rows), true
	case fSeverity:
		return float64(c.ev.Severity), true
	}
	v, err := strconv.ParseFloat(c.str(f), 64)
	return v, err == nil
}

// lowerASCII lower-cases s, allocating only when s has upper-case letters.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x80 {
			return strings.ToLower(s)
		}
		if 'A' <= b && b <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
