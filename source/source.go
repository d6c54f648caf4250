// Package source reads tables — schema, comments, row estimates and sampled
// values — from databases and files through connectors registered by engine.
//
// A connector lives in its own sub-package (source/postgres, source/mysql,
// source/sqlite, source/files) and registers itself from init; importing
// source/all brings in every connector.
package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Column is the metadata of one column as the engine keeps it.
type Column struct {
	Name    string
	Type    string
	Comment string
}

// Table is one data set of a source: a database table, a file or a sheet.
type Table struct {
	// Name is unique within the source (schema.table, or a path relative to
	// the scanned directory, with "#sheet" for workbooks).
	Name    string
	Comment string
	// Rows is the row count: exact where cheap, otherwise the engine's
	// estimate; -1 when unknown until the table is read.
	Rows int64
	// Columns may be empty for files, whose columns are known once read.
	Columns []Column
}

// Info names a source without its secrets.
type Info struct {
	Kind     string `json:"kind"`
	Location string `json:"location"`
}

// ReadOptions say how much of a table to read.
type ReadOptions struct {
	// Limit is the number of rows sampled, and the batch size of a full pass.
	Limit int
	// Full reads every row, emitting batches of at most Limit rows.
	Full bool
}

// Batch is a column-wise slice of rows read from one table.
type Batch struct {
	// Columns are the table's columns; they may grow from batch to batch for
	// schemaless formats (NDJSON), so consumers merge them by name.
	Columns []Column
	// Values holds, for each column, the non-empty values of the batch's rows.
	Values [][]string
	// Rows is the number of rows in the batch.
	Rows int
	// TableRows, when positive, is a better row count than Table.Rows,
	// learnt while reading (an exact count, or an estimate from file size).
	TableRows int64
}

// Conn is an open, read-only connection to a source.
type Conn interface {
	// Info describes the source with secrets removed.
	Info() Info
	// Tables lists the data sets of the source.
	Tables(ctx context.Context) ([]Table, error)
	// Read samples (or, with o.Full, streams) the rows of t, calling emit once
	// per batch.
	Read(ctx context.Context, t Table, o ReadOptions, emit func(Batch) error) error
	// Close releases the connection.
	Close() error
}

// Skip records a data set a connector listed but did not read, and why.
type Skip struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Options configure how a source is opened.
type Options struct {
	// Password overrides any password in the location; it is never echoed.
	Password string
	// Timeout bounds each statement the connector runs (0: none).
	Timeout time.Duration
	// Conns is the number of concurrent connections a database pool may hold.
	Conns int
	// Include and Exclude are glob patterns for file paths (relative, with
	// forward slashes) or file names; empty Include means everything.
	Include, Exclude []string
	// MaxFileSize skips larger files (0: no limit).
	MaxFileSize int64
}

// Driver is a registered connector.
type Driver struct {
	// Name is the source kind, as reported in Info.Kind.
	Name string
	// Match reports whether a location is for this driver.
	Match func(location string) bool
	// Open connects to the location.
	Open func(ctx context.Context, location string, o Options) (Conn, error)
	// Fallback drivers are tried only when no other driver matches.
	Fallback bool
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Driver{}
)

// Register adds a connector; sub-packages call it from init.
func Register(d Driver) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if d.Name == "" || d.Match == nil || d.Open == nil {
		panic("source: incomplete driver " + d.Name)
	}
	if _, dup := registry[d.Name]; dup {
		panic("source: duplicate driver " + d.Name)
	}
	registry[d.Name] = d
}

// Drivers returns the names of the registered connectors, sorted.
func Drivers() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrNoDriver is returned when no registered connector accepts a location.
var ErrNoDriver = errors.New("no connector for this source")

// Open connects to a location with the first connector that accepts it.
func Open(ctx context.Context, location string, o Options) (Conn, error) {
	d, ok := lookup(location)
	if !ok {
		return nil, fmt.Errorf("open source %q: %w", Redact(location), ErrNoDriver)
	}
	c, err := d.Open(ctx, location, o)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", Redact(location), err)
	}
	return c, nil
}

func lookup(location string) (Driver, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, fallback := range []bool{false, true} {
		for _, n := range names {
			d := registry[n]
			if d.Fallback == fallback && d.Match(location) {
				return d, true
			}
		}
	}
	return Driver{}, false
}

// Redact returns a location with any password replaced, for display.
func Redact(location string) string {
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return location
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	changed := false
	for k := range q {
		lk := strings.ToLower(k)
		if lk == "password" || lk == "passwd" || lk == "pass" || lk == "sslpassword" {
			q.Del(k)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// MaxValueLen caps the bytes kept of one value; detectors need no more.
const MaxValueLen = 512

// Clip returns v cut to MaxValueLen bytes on a rune boundary, with invalid
// UTF-8 replaced.
func Clip(v string) string {
	if len(v) > MaxValueLen {
		i := MaxValueLen
		for i > 0 && !utf8.RuneStart(v[i]) {
			i--
		}
		v = v[:i]
	}
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	return v
}

// Batcher gathers rows into column-wise batches and emits them when full.
// Columns may be added while rows are added (schemaless formats).
type Batcher struct {
	size    int
	emit    func(Batch) error
	cols    []Column
	index   map[string]int
	values  [][]string
	rows    int
	total   int64
	emitted bool
}

// NewBatcher returns a Batcher emitting batches of at most size rows.
func NewBatcher(cols []Column, size int, emit func(Batch) error) *Batcher {
	if size <= 0 {
		size = 1000
	}
	b := &Batcher{size: size, emit: emit, index: map[string]int{}}
	for _, c := range cols {
		b.Column(c)
	}
	return b
}

// Column returns the index of a column, adding it if new.
func (b *Batcher) Column(c Column) int {
	if i, ok := b.index[c.Name]; ok {
		return i
	}
	b.index[c.Name] = len(b.cols)
	b.cols = append(b.cols, c)
	b.values = append(b.values, nil)
	return len(b.cols) - 1
}

// Set records a value for column i of the current row; empty values are dropped.
func (b *Batcher) Set(i int, v string) {
	if v == "" {
		return
	}
	b.values[i] = append(b.values[i], Clip(v))
}

// Add records a whole row positionally; extra fields are ignored.
func (b *Batcher) Add(row []string) error {
	for i, v := range row {
		if i < len(b.cols) {
			b.Set(i, v)
		}
	}
	return b.EndRow()
}

// EndRow closes the current row, emitting a batch when full.
func (b *Batcher) EndRow() error {
	b.rows++
	b.total++
	if b.rows >= b.size {
		return b.Flush()
	}
	return nil
}

// Rows returns the number of rows added so far.
func (b *Batcher) Rows() int64 { return b.total }

// Flush emits the pending rows; it emits an empty batch once if no row was
// ever added, so consumers still learn the columns.
func (b *Batcher) Flush() error { return b.FlushWith(0) }

// FlushWith is Flush with a row count learnt while reading.
func (b *Batcher) FlushWith(tableRows int64) error {
	if b.rows == 0 && b.emitted && tableRows <= 0 {
		return nil
	}
	batch := Batch{Columns: append([]Column(nil), b.cols...), Values: b.values, Rows: b.rows, TableRows: tableRows}
	for len(batch.Values) < len(batch.Columns) {
		batch.Values = append(batch.Values, nil)
	}
	b.values = make([][]string, len(b.cols))
	b.rows = 0
	b.emitted = true
	return b.emit(batch)
}

// Columns returns the columns known so far.
func (b *Batcher) Columns() []Column { return b.cols }

// Index returns the index of a named column, if known.
func (b *Batcher) Index(name string) (int, bool) {
	i, ok := b.index[name]
	return i, ok
}
