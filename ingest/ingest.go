// Package ingest reads database audit logs, syslog and NDJSON into
// normalised shuan.Event batches: parsers per log format, file tailing with
// persisted positions, a syslog listener and an HTTP handler.
//
// Statements become fingerprints (package sqlfp): literals are replaced by
// ?, so no value from a statement is kept. What a statement reveals beyond
// Action, Class and Object goes into Event.Fields:
//
//	command     command tag, e.g. "CREATE TABLE", "CREATE ROLE"
//	export      "program" (COPY … TO/FROM PROGRAM), "file" (COPY … TO 'file'),
//	            "outfile", "dumpfile" (SELECT … INTO OUTFILE/DUMPFILE)
//	privileged  "superuser" (ROLE … SUPERUSER), "all_privileges" (GRANT ALL
//	            ON *.*), "super", "grant_option", "server_files"
//	            (pg_execute_server_program and friends)
//
// Sources add their own keys: pid, client_port, statement_id, sqlstate
// (pgaudit); connection_id, query_id, operation, retcode (mariadb_audit);
// facility, procid, msgid, sd.ID.NAME, peer (syslog).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
)

// Sink receives batches of events. It blocks while it cannot take more,
// which holds the input back; it must not keep the slice after returning.
type Sink func(ctx context.Context, events []shuan.Event) error

// Input is a running source of events.
type Input interface {
	// Run pushes batches to sink until ctx ends or the input is exhausted.
	Run(ctx context.Context, sink Sink) error
}

// Position says where a record was read, for its event ID and for reports.
type Position struct {
	Origin string // file path or listener address
	Key    string // file generation and offset, or peer and message
	Line   int64  // 1-based line number in the file; 0 when unknown
}

// ID returns the stable event ID of a record: the SM3 hex of source, origin
// and position key, so reading the same record again yields the same ID.
func ID(source string, at Position) string {
	b := make([]byte, 0, len(source)+len(at.Origin)+len(at.Key)+2)
	b = append(b, source...)
	b = append(b, 0)
	b = append(b, at.Origin...)
	b = append(b, 0)
	b = append(b, at.Key...)
	return gm.HexSum(b)
}

// fileKey is the position key of a record at offset of a file generation.
func fileKey(gen string, offset int64) string {
	return gen + ":" + strconv.FormatInt(offset, 10)
}

// Parser turns the records of one log format into events. A parser may keep
// state between records (pgaudit pairs ERROR with STATEMENT lines), so each
// input uses its own.
type Parser interface {
	// Source names the events' source, e.g. "pgaudit".
	Source() string
	// Continues reports whether line belongs to rec, the record being
	// assembled (a tab continuation, an open CSV quote).
	Continues(rec, line []byte) bool
	// Parse parses one record; ok is false for records that carry no
	// event. An error marks the record malformed.
	Parse(rec []byte, at Position, ev *shuan.Event) (ok bool, err error)
}

// Options configure parsers.
type Options struct {
	// Location is the zone of timestamps that carry none (server_audit,
	// RFC 3164) or only an abbreviation other than UTC/GMT; nil means UTC.
	Location *time.Location
	// Now is the clock for RFC 3164 years and syslog lines without time.
	Now func() time.Time
	// Prefix is PostgreSQL's log_line_prefix for the pgaudit format.
	Prefix string
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// DefaultPrefix is the log_line_prefix the pgaudit format assumes.
const DefaultPrefix = "%m [%p] %q%u@%d %r "

// formats registers the parser constructors by format name.
var formats = map[string]func(Options) (Parser, error){
	"pgaudit":       func(o Options) (Parser, error) { return NewPgaudit(o) },
	"pgaudit_csv":   func(o Options) (Parser, error) { return NewPgauditCSV(o), nil },
	"mariadb_audit": func(o Options) (Parser, error) { return NewMariaDB(o), nil },
	"syslog":        func(o Options) (Parser, error) { return NewSyslog(o), nil },
	"ndjson":        func(o Options) (Parser, error) { return NewNDJSON(o), nil },
}

// Formats lists the format names NewParser accepts.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewParser returns a parser for a format named in Formats.
func NewParser(format string, o Options) (Parser, error) {
	f, ok := formats[format]
	if !ok {
		return nil, fmt.Errorf("unknown log format %q (known: %v)", format, Formats())
	}
	return f(o)
}

// MaxExamples is how many malformed records each origin keeps as examples.
const MaxExamples = 5

// Malformed is one example of a record that did not parse.
type Malformed struct {
	Line   int64  `json:"line,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	Error  string `json:"error"`
}

// Counts are the record counts of one origin.
type Counts struct {
	Source    string      `json:"source"`
	Origin    string      `json:"origin"`
	Records   int64       `json:"records"`
	Events    int64       `json:"events"`
	Skipped   int64       `json:"skipped"` // records that carry no event (checkpoint lines…)
	Malformed int64       `json:"malformed"`
	Examples  []Malformed `json:"examples,omitempty"`
}

// Stats counts records per origin; it is safe for concurrent use.
type Stats struct {
	mu sync.Mutex
	m  map[string]*Counts
}

func (s *Stats) counts(source, origin string) *Counts {
	if s.m == nil {
		s.m = make(map[string]*Counts)
	}
	k := source + "\x00" + origin
	c := s.m[k]
	if c == nil {
		c = &Counts{Source: source, Origin: origin}
		s.m[k] = c
	}
	return c
}

// add records the outcome of parsing one record.
func (s *Stats) add(source string, at Position, offset int64, ok bool, err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts(source, at.Origin)
	c.Records++
	switch {
	case err != nil:
		c.Malformed++
		if len(c.Examples) < MaxExamples {
			c.Examples = append(c.Examples, Malformed{Line: at.Line, Offset: offset, Error: err.Error()})
		}
	case ok:
		c.Events++
	default:
		c.Skipped++
	}
}

// Snapshot returns a copy of the counts, sorted by source and origin.
func (s *Stats) Snapshot() []Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Counts, 0, len(s.m))
	for _, c := range s.m {
		cc := *c
		cc.Examples = append([]Malformed(nil), c.Examples...)
		out = append(out, cc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Origin < out[j].Origin
	})
	return out
}

// Pipeline runs inputs concurrently into one sink, one batch at a time, so
// the sink need not be safe for concurrent use.
type Pipeline struct {
	Inputs []Input
	Sink   Sink
}

// Run runs every input until ctx ends or all inputs finish; it returns the
// first input error other than a context cancellation.
func (p *Pipeline) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	serial := func(ctx context.Context, evs []shuan.Event) error {
		mu.Lock()
		defer mu.Unlock()
		return p.Sink(ctx, evs)
	}
	errs := make(chan error, len(p.Inputs))
	for _, in := range p.Inputs {
		go func() { errs <- in.Run(ctx, serial) }()
	}
	var first error
	for range p.Inputs {
		if err := <-errs; err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// newEvent resets ev for a record of source.
func newEvent(ev *shuan.Event, source string, at Position) {
	*ev = shuan.Event{ID: ID(source, at), Source: source, Origin: at.Origin, Rows: -1}
}

// setField sets a field, creating the map on first use.
func setField(ev *shuan.Event, k, v string) {
	if v == "" {
		return
	}
	if ev.Fields == nil {
		ev.Fields = make(map[string]string, 4)
	}
	ev.Fields[k] = v
}
