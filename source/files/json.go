package files

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/shuan-dev/shuan/source"
)

// maxDepth and maxColumns bound the flattening of hostile documents.
const (
	maxDepth   = 32
	maxColumns = 2000
)

// Flatten turns a decoded JSON value into (column, value) pairs: object keys
// are joined with ".", array elements share the key with "[]" appended, and
// a scalar at the top is the column "value". Nulls are dropped.
func Flatten(v any, yield func(key, typ, value string)) {
	flatten("", v, 0, yield)
}

func flatten(key string, v any, depth int, yield func(key, typ, value string)) {
	if depth > maxDepth {
		return
	}
	name := key
	if name == "" {
		name = "value"
	}
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			sub := k
			if key != "" {
				sub = key + "." + k
			}
			flatten(sub, vv, depth+1, yield)
		}
	case []any:
		for _, vv := range x {
			flatten(key+"[]", vv, depth+1, yield)
		}
	case string:
		yield(name, "string", x)
	case json.Number:
		yield(name, "number", x.String())
	case bool:
		yield(name, "boolean", fmt.Sprint(x))
	case float64:
		yield(name, "number", fmt.Sprint(x))
	}
}

// jsonFormat reads a JSON document: an array of records, or one record.
type jsonFormat struct{}

// ndjsonFormat reads one JSON value per line.
type ndjsonFormat struct{}

func init() {
	registerFormat(jsonFormat{}, ".json")
	registerFormat(ndjsonFormat{}, ".ndjson", ".jsonl")
}

func (jsonFormat) tables(p string) ([]entry, error)   { return []entry{{path: p, rows: -1}}, nil }
func (ndjsonFormat) tables(p string) ([]entry, error) { return []entry{{path: p, rows: -1}}, nil }

// record adds one flattened record to the batcher.
func record(b *source.Batcher, v any) error {
	Flatten(v, func(key, typ, value string) {
		if len(b.Columns()) >= maxColumns {
			if _, ok := b.Index(key); !ok {
				return
			}
		}
		b.Set(b.Column(source.Column{Name: key, Type: typ}), value)
	})
	return b.EndRow()
}

func (jsonFormat) read(ctx context.Context, e entry, o source.ReadOptions, emit func(source.Batch) error) error {
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	return readJSON(ctx, f, o, sampling{reservoir: size <= parseBudget, seed: seedFor(e.path, "", size)}, emit)
}

func readJSON(ctx context.Context, r io.Reader, o source.ReadOptions, s sampling, emit func(source.Batch) error) error {
	dr, _, err := Decode(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(dr)
	dec.UseNumber()
	b := source.NewBatcher(nil, o.Limit, emit)
	tok, err := dec.Token()
	if err == io.EOF {
		return emit(source.Batch{})
	}
	if err != nil {
		return jsonErr(dec, err)
	}
	if d, ok := tok.(json.Delim); ok && d == '[' {
		p := newPicker(o, s, func(v any) error { return record(b, v) })
		more := true
		for more && dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				return jsonErr(dec, err)
			}
			if more, err = p.take(v); err != nil {
				return err
			}
			if p.seen%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if err := p.done(); err != nil {
			return err
		}
		rows := int64(-1)
		if more {
			rows = p.seen
		}
		return b.FlushWith(rows)
	}
	// One record: rebuild it from the first token and the rest.
	var v any
	if d, ok := tok.(json.Delim); ok && d == '{' {
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return jsonErr(dec, err)
			}
			k, _ := kt.(string)
			var vv any
			if err := dec.Decode(&vv); err != nil {
				return jsonErr(dec, err)
			}
			m[k] = vv
		}
		v = m
	} else {
		v = tok
	}
	if err := record(b, v); err != nil {
		return err
	}
	return b.FlushWith(1)
}

func jsonErr(dec *json.Decoder, err error) error {
	return fmt.Errorf("offset %d: %w", dec.InputOffset(), err)
}

func (ndjsonFormat) read(ctx context.Context, e entry, o source.ReadOptions, emit func(source.Batch) error) error {
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	s := sampling{reservoir: size <= sampleBudget, seed: seedFor(e.path, "", size)}
	if !o.Full && !s.reservoir {
		if done, err := spreadNDJSON(ctx, f, size, o.Limit, s.seed, emit); done || err != nil {
			return err
		}
		// Most probes met a line that is not JSON: read from the start, which
		// reports the first such line.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	return readNDJSON(ctx, f, o, s, emit, sizeEstimator(size))
}

// parseLine decodes one NDJSON line.
func parseLine(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func readNDJSON(ctx context.Context, r io.Reader, o source.ReadOptions, s sampling, emit func(source.Batch) error, estimate estimator) error {
	dr, _, err := Decode(r)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(dr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	b := source.NewBatcher(nil, o.Limit, emit)
	p := newPicker(o, s, func(v any) error { return record(b, v) })
	line := int64(0)
	more := true
	var consumed int64
	for more && sc.Scan() {
		line++
		consumed += int64(len(sc.Bytes())) + 1
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		v, err := parseLine(raw)
		if err != nil {
			return lineErr(line, err)
		}
		if more, err = p.take(v); err != nil {
			return err
		}
		if line%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return lineErr(line+1, err)
		}
		return err
	}
	if err := p.done(); err != nil {
		return err
	}
	return b.FlushWith(estimate(p.seen, consumed, more))
}

// spreadNDJSON samples a large NDJSON file by seeking (see spread); done is
// false when the probes failed and the caller should read the first rows.
// A probe fails on a line that is not JSON.
func spreadNDJSON(ctx context.Context, f io.ReaderAt, size int64, limit int, seed uint64, emit func(source.Batch) error) (done bool, err error) {
	enc, err := detectAt(f)
	if err != nil {
		return false, err
	}
	rows, st, ok, err := spread(ctx, f, size, bomLen(f), enc, limit, seed, func(r io.Reader, want int) ([]any, probeStats, bool) {
		var rows []any
		var st probeStats
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 16<<20)
		for len(rows) < want && sc.Scan() {
			st.bytes += int64(len(sc.Bytes())) + 1
			raw := bytes.TrimSpace(sc.Bytes())
			if len(raw) == 0 {
				continue
			}
			v, err := parseLine(raw)
			if err != nil {
				return nil, st, false
			}
			st.rows++
			rows = append(rows, v)
		}
		return rows, st, sc.Err() == nil
	})
	if !ok || err != nil {
		return false, err
	}
	b := source.NewBatcher(nil, limit, emit)
	for _, v := range rows {
		if err := record(b, v); err != nil {
			return true, err
		}
	}
	return true, b.FlushWith(sizeEstimator(size)(st.rows, st.bytes, false))
}
