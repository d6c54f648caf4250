package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ingest/sqlfp"
)

// NDJSON parses one JSON object per line holding shuan.Event fields. The
// statement is fingerprinted again (dialect from fields.dialect, "mysql"
// or PostgreSQL by default): a sender's statement is never kept as sent.
type NDJSON struct {
	opts Options
}

// NewNDJSON returns an NDJSON event parser.
func NewNDJSON(o Options) *NDJSON { return &NDJSON{opts: o} }

// Source implements Parser.
func (p *NDJSON) Source() string { return "ndjson" }

// Continues implements Parser.
func (p *NDJSON) Continues(rec, line []byte) bool { return false }

// Parse implements Parser. A sender's id identifies the event wherever it
// is read; without one the position does.
func (p *NDJSON) Parse(rec []byte, at Position, ev *shuan.Event) (bool, error) {
	rec = bytes.TrimSpace(rec)
	if len(rec) == 0 {
		return false, nil
	}
	if rec[0] != '{' {
		return false, errors.New("ndjson: not a JSON object")
	}
	*ev = shuan.Event{Rows: -1}
	if err := json.Unmarshal(rec, ev); err != nil {
		return false, fmt.Errorf("ndjson: %v", truncate(err.Error(), 120))
	}
	if ev.Time.IsZero() {
		return false, errors.New("ndjson: no time")
	}
	if ev.Action == "" {
		return false, errors.New("ndjson: no action")
	}
	ev.Time = ev.Time.UTC()
	if ev.Source == "" {
		ev.Source = p.Source()
	}
	key := at
	if ev.ID != "" {
		key.Key = "id:" + ev.ID
	}
	ev.ID = ID(p.Source(), key)
	ev.Origin = at.Origin
	if ev.Statement != "" {
		d := sqlfp.Postgres
		if ev.Fields["dialect"] == "mysql" {
			d = sqlfp.MySQL
		}
		ev.Statement = sqlfp.Fingerprint(ev.Statement, d)
	}
	ev.Message = clean(ev.Message)
	if len(ev.Fields) > 64 {
		return false, errors.New("ndjson: more than 64 fields")
	}
	return true, nil
}
