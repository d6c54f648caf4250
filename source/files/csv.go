package files

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shuan-dev/shuan/source"
)

// csvFormat reads delimiter-separated text with a header row.
type csvFormat struct{}

func init() { registerFormat(csvFormat{}, ".csv", ".tsv") }

func (csvFormat) tables(p string) ([]entry, error) {
	return []entry{{path: p, rows: -1}}, nil
}

func lineErr(line int64, err error) error {
	return fmt.Errorf("line %d: %w", line, err)
}

// SniffDelimiter picks the delimiter among , TAB ; | that splits the first
// lines of a sample into the same number (>1) of fields most often; prefer
// is returned when it is consistent or nothing is.
func SniffDelimiter(sample []byte, prefer rune) rune {
	lines := bytes.SplitN(sample, []byte("\n"), 22)
	if len(lines) > 21 {
		lines = lines[:21]
	}
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last line may be cut
	}
	best, bestScore := prefer, -1.0
	for _, d := range []rune{prefer, ',', '\t', ';', '|'} {
		r := csv.NewReader(bytes.NewReader(bytes.Join(lines, []byte("\n"))))
		r.Comma = d
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		counts := map[int]int{}
		n := 0
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			counts[len(rec)]++
			n++
		}
		mode, freq := 0, 0
		for k, v := range counts {
			if v > freq || (v == freq && k > mode) {
				mode, freq = k, v
			}
		}
		if mode < 2 || n == 0 {
			continue
		}
		score := float64(freq)/float64(n) + float64(mode)/1000
		if d == prefer && freq == n {
			return d
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// LooksLikeHeader reports whether a first record reads as column names:
// every field non-empty, distinct, and none a number or long digit string.
func LooksLikeHeader(rec []string) bool {
	seen := map[string]bool{}
	for _, f := range rec {
		f = strings.TrimSpace(f)
		if f == "" || seen[f] {
			return false
		}
		seen[f] = true
		if _, err := strconv.ParseFloat(f, 64); err == nil {
			return false
		}
		digits := 0
		for _, r := range f {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits >= 6 {
			return false
		}
	}
	return len(rec) > 0
}

func (csvFormat) read(ctx context.Context, e entry, o source.ReadOptions, emit func(source.Batch) error) error {
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	prefer := ','
	if strings.EqualFold(filepath.Ext(e.path), ".tsv") {
		prefer = '\t'
	}
	size := st.Size()
	s := sampling{reservoir: size <= sampleBudget, seed: seedFor(e.path, "", size)}
	if !o.Full && !s.reservoir {
		if done, err := spreadCSV(ctx, f, size, prefer, o.Limit, s.seed, emit); done || err != nil {
			return err
		}
		// Too many probes landed in multi-line records (or the records are
		// ragged): take the first rows instead.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	return readCSV(ctx, f, prefer, o, s, emit, sizeEstimator(size))
}

// csvHead is the start of delimited text: its encoding, delimiter and first
// record, and the columns that record names if it is a header.
type csvHead struct {
	cr     *csv.Reader
	enc    string
	first  []string // nil for empty input
	header bool
	cols   []source.Column
}

// readCSVHead decodes r, sniffs the delimiter and reads the first record.
func readCSVHead(r io.Reader, prefer rune) (*csvHead, error) {
	dr, enc, err := Decode(r)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(dr, sniffSize)
	sample, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("decode %s: %w", enc, err)
	}
	cr := csv.NewReader(br)
	cr.Comma = SniffDelimiter(sample, prefer)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	h := &csvHead{cr: cr, enc: enc}
	h.first, err = cr.Read()
	if err == io.EOF {
		return h, nil
	}
	if err != nil {
		return nil, csvErr(err)
	}
	h.header = LooksLikeHeader(h.first)
	if h.header {
		seen := map[string]bool{}
		for i, name := range h.first {
			name = strings.TrimSpace(name)
			if seen[name] {
				name = fmt.Sprintf("%s_%d", name, i+1)
			}
			seen[name] = true
			h.cols = append(h.cols, source.Column{Name: name, Type: "text"})
		}
	}
	return h, nil
}

// addFields adds one record as a row, naming fields beyond the known
// columns column_N.
func addFields(b *source.Batcher, rec []string, typ string) error {
	for i, v := range rec {
		for i >= len(b.Columns()) {
			name := fmt.Sprintf("column_%d", len(b.Columns())+1)
			for _, taken := b.Index(name); taken; _, taken = b.Index(name) {
				name += "_"
			}
			b.Column(source.Column{Name: name, Type: typ})
		}
		b.Set(i, strings.TrimSpace(v))
	}
	return b.EndRow()
}

// readCSV decodes, sniffs and reads delimited text into batches.
func readCSV(ctx context.Context, r io.Reader, prefer rune, o source.ReadOptions, s sampling, emit func(source.Batch) error, estimate estimator) error {
	h, err := readCSVHead(r, prefer)
	if err != nil {
		return err
	}
	if h.first == nil {
		return emit(source.Batch{})
	}
	cr := h.cr
	// A reservoir keeps records, so they must not share memory.
	cr.ReuseRecord = o.Full || !s.reservoir
	b := source.NewBatcher(h.cols, o.Limit, emit)
	p := newPicker(o, s, func(rec []string) error { return addFields(b, rec, "text") })
	more := true
	if !h.header {
		if more, err = p.take(h.first); err != nil {
			return err
		}
	}
	for more {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvErr(err)
		}
		if more, err = p.take(rec); err != nil {
			return err
		}
		if p.seen%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := p.done(); err != nil {
		return err
	}
	return b.FlushWith(estimate(p.seen, cr.InputOffset(), more))
}

// spreadCSV samples a large delimited file by seeking (see spread); done is
// false when the probes failed and the caller should read the first rows.
//
// A seek can land inside a quoted multi-line field. Probes therefore parse
// strictly (no lazy quotes) and a probe is dropped whole when any record in
// it fails to parse or has another field count than the first record: the
// tail of a quoted field read as unquoted text almost always holds a bare
// quote, or starts an inverted quote that soon breaks. The last record of a
// section may run on into the next one and is never kept; a probe reads one
// record beyond its share to check the ones it keeps.
func spreadCSV(ctx context.Context, f io.ReaderAt, size int64, prefer rune, limit int, seed uint64, emit func(source.Batch) error) (done bool, err error) {
	h, err := readCSVHead(io.NewSectionReader(f, 0, size), prefer)
	if err != nil || h.first == nil {
		return false, err
	}
	from, err := lineAfter(f, bomLen(f), size, h.enc)
	if err != nil {
		return false, err
	}
	fields, comma := len(h.first), h.cr.Comma
	rows, st, ok, err := spread(ctx, f, size, from, h.enc, limit, seed, func(r io.Reader, want int) ([][]string, probeStats, bool) {
		cr := csv.NewReader(r)
		cr.Comma = comma
		cr.FieldsPerRecord = -1
		var rows [][]string
		var parsed int64
		for len(rows) <= want {
			rec, err := cr.Read()
			if err == io.EOF {
				if k := len(rows); k > 0 {
					if spansLines(rows[k-1]) {
						return nil, probeStats{}, false
					}
					rows = rows[:k-1]
				}
				break
			}
			if err != nil || len(rec) != fields {
				return nil, probeStats{}, false
			}
			rows = append(rows, rec)
			parsed++
		}
		st := probeStats{rows: parsed, bytes: cr.InputOffset()}
		return rows[:min(len(rows), want)], st, true
	})
	if !ok || err != nil {
		return false, err
	}
	b := source.NewBatcher(h.cols, limit, emit)
	for _, rec := range rows {
		if err := addFields(b, rec, "text"); err != nil {
			return true, err
		}
	}
	return true, b.FlushWith(sizeEstimator(size)(st.rows, st.bytes, false))
}

// spansLines reports whether a record has a field with a line break.
func spansLines(rec []string) bool {
	for _, v := range rec {
		if strings.ContainsAny(v, "\r\n") {
			return true
		}
	}
	return false
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lineErr(int64(pe.Line), pe.Err)
	}
	return err
}
