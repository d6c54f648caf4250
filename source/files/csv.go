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
	return readCSV(ctx, f, prefer, o, emit, sizeEstimator(st.Size()))
}

// readCSV decodes, sniffs and reads delimited text into batches.
func readCSV(ctx context.Context, r io.Reader, prefer rune, o source.ReadOptions, emit func(source.Batch) error, estimate estimator) error {
	dr, enc, err := Decode(r)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(dr, sniffSize)
	sample, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return fmt.Errorf("decode %s: %w", enc, err)
	}
	cr := csv.NewReader(br)
	cr.Comma = SniffDelimiter(sample, prefer)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	first, err := cr.Read()
	if err == io.EOF {
		return emit(source.Batch{})
	}
	if err != nil {
		return csvErr(err)
	}
	var cols []source.Column
	header := LooksLikeHeader(first)
	if header {
		seen := map[string]bool{}
		for i, h := range first {
			h = strings.TrimSpace(h)
			if seen[h] {
				h = fmt.Sprintf("%s_%d", h, i+1)
			}
			seen[h] = true
			cols = append(cols, source.Column{Name: h, Type: "text"})
		}
	}
	b := source.NewBatcher(cols, o.Limit, emit)
	add := func(rec []string) error {
		for i, v := range rec {
			for i >= len(cols) {
				cols = append(cols, source.Column{Name: fmt.Sprintf("column_%d", len(cols)+1), Type: "text"})
				b.Column(cols[len(cols)-1])
			}
			b.Set(i, strings.TrimSpace(v))
		}
		return b.EndRow()
	}
	if !header {
		if err := add(first); err != nil {
			return err
		}
	}
	eof := true
	for {
		if !o.Full && b.Rows() >= int64(o.Limit) {
			eof = false
			break
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvErr(err)
		}
		if err := add(rec); err != nil {
			return err
		}
		if b.Rows()%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return b.FlushWith(estimate(b.Rows(), cr.InputOffset(), eof))
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lineErr(int64(pe.Line), pe.Err)
	}
	return err
}
