package files

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/shuan-dev/shuan/source"
)

// sampleBudget is the size up to which a line-based file (CSV, TSV, NDJSON,
// plain text) is read whole for a sample: every row is parsed and a seeded
// reservoir of Limit rows is kept. Larger files are sampled by seeking to
// spread-out offsets (see spread).
const sampleBudget = 4 << 20

// parseBudget is the size up to which a JSON array or a workbook, which can
// only be parsed from its start, is parsed whole for a reservoir sample;
// larger ones give their first Limit rows.
const parseBudget = 64 << 20

// rowsPerProbe is how many rows each seek into a large file should yield.
const rowsPerProbe = 8

// maxProbes bounds the seeks into one file.
const maxProbes = 256

// sampling says how a read that is not Full picks its rows.
type sampling struct {
	// reservoir samples the whole stream; otherwise the first rows are taken.
	reservoir bool
	seed      uint64
}

// seedFor derives a file's sampling seed from its base name, sheet and size,
// so that a rescan of an unchanged file, wherever the scan is rooted, draws
// the same rows.
func seedFor(path, sub string, size int64) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%d", filepath.Base(path), sub, size)
	return h.Sum64()
}

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// reservoir keeps a uniform random sample of k items of a stream
// (Algorithm R) and returns them in stream order.
type reservoir[T any] struct {
	k    int
	seen int64
	rng  *rand.Rand
	keep []kept[T]
}

type kept[T any] struct {
	at int64
	v  T
}

func (r *reservoir[T]) offer(v T) {
	r.seen++
	if len(r.keep) < r.k {
		r.keep = append(r.keep, kept[T]{r.seen, v})
		return
	}
	if j := r.rng.Int64N(r.seen); j < int64(r.k) {
		r.keep[j] = kept[T]{r.seen, v}
	}
}

func (r *reservoir[T]) items() []T {
	slices.SortFunc(r.keep, func(a, b kept[T]) int { return int(a.at - b.at) })
	out := make([]T, len(r.keep))
	for i, k := range r.keep {
		out[i] = k.v
	}
	return out
}

// picker passes the rows of a sequential read to add: every row with Full,
// otherwise the first Limit rows or, when sampling a reservoir, a seeded
// sample of Limit rows that done passes on in file order.
type picker[T any] struct {
	o    source.ReadOptions
	add  func(T) error
	res  *reservoir[T]
	seen int64 // rows taken, kept or not
}

func newPicker[T any](o source.ReadOptions, s sampling, add func(T) error) *picker[T] {
	p := &picker[T]{o: o, add: add}
	if !o.Full && s.reservoir {
		p.res = &reservoir[T]{k: o.Limit, rng: newRand(s.seed)}
	}
	return p
}

// take offers one row; it returns false once the first Limit rows are in,
// when the rest of the file need not be read.
func (p *picker[T]) take(v T) (bool, error) {
	p.seen++
	if p.res != nil {
		p.res.offer(v)
		return true, nil
	}
	if err := p.add(v); err != nil {
		return false, err
	}
	return p.o.Full || p.seen < int64(p.o.Limit), nil
}

// done passes on a reservoir's rows.
func (p *picker[T]) done() error {
	if p.res == nil {
		return nil
	}
	for _, v := range p.res.items() {
		if err := p.add(v); err != nil {
			return err
		}
	}
	return nil
}

// probeStats counts what probes parsed, for the row-count estimate.
type probeStats struct {
	rows  int64 // rows parsed
	bytes int64 // decoded bytes they took
}

// probeFunc reads at most want rows from one section of a file, decoded to
// UTF-8 and starting at a line start. ok is false when the section does not
// parse as whole rows (a seek landed inside a multi-line record).
type probeFunc[T any] func(r io.Reader, want int) (rows []T, st probeStats, ok bool)

// spread samples limit rows of a large line-based file without reading it
// all. It cuts [from, size) into strata, seeks to a seeded random offset in
// each, resynchronises at the next line start and lets take read rows from
// there up to the next probe's start, so that no row is read twice. Each
// probe is asked for twice its share, and the extra rows make up for probes
// that failed or came up short. ok is false when more than half the probes
// failed, or none found a row.
func spread[T any](ctx context.Context, f io.ReaderAt, size, from int64, enc string, limit int, seed uint64, take probeFunc[T]) (rows []T, st probeStats, ok bool, err error) {
	n := min(max((limit+rowsPerProbe-1)/rowsPerProbe, 1), maxProbes)
	starts, err := probeStarts(f, size, from, enc, n, newRand(seed))
	if err != nil {
		return nil, st, false, err
	}
	got := make([][]T, n)  // rows read by each probe
	keep := make([]int, n) // how many of them are kept
	kept, failed := 0, 0
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, st, false, err
		}
		want := (limit - kept + n - i - 1) / (n - i)
		sec := io.NewSectionReader(f, starts[i], starts[i+1]-starts[i])
		rs, ps, good := take(decodeAs(sec, enc), 2*want)
		if !good {
			failed++
			continue
		}
		st.rows += ps.rows
		st.bytes += ps.bytes
		got[i], keep[i] = rs, min(want, len(rs))
		kept += keep[i]
	}
	for more := true; more && kept < limit; {
		more = false
		for i := range n {
			if kept < limit && keep[i] < len(got[i]) {
				keep[i]++
				kept++
				more = true
			}
		}
	}
	for i := range n {
		rows = append(rows, got[i][:keep[i]]...)
	}
	return rows, st, failed*2 <= n && len(rows) > 0, nil
}

// probeStarts returns n+1 offsets: the line start following a seeded random
// offset in each of n equal strata of [from, size), then size.
func probeStarts(f io.ReaderAt, size, from int64, enc string, n int, rng *rand.Rand) ([]int64, error) {
	_, w := newline(enc)
	starts := make([]int64, n+1)
	starts[n] = size
	prev := from
	for i := range n {
		o := from + int64((float64(i)+rng.Float64())*float64(size-from)/float64(n))
		o -= o % int64(w)
		if o > prev {
			// Look from one character back, so that an offset already at a
			// line start keeps that line.
			s, err := lineAfter(f, o-int64(w), size, enc)
			if err != nil {
				return nil, err
			}
			prev = s
		}
		starts[i] = prev
	}
	return starts, nil
}

// newline returns the bytes of a line feed in an encoding and their width.
// In UTF-8 and GB18030 the byte 0x0A never occurs inside a multi-byte
// character, so a line start found in raw bytes is a character boundary.
func newline(enc string) ([]byte, int) {
	switch enc {
	case UTF16LE:
		return []byte{'\n', 0}, 2
	case UTF16BE:
		return []byte{0, '\n'}, 2
	}
	return []byte{'\n'}, 1
}

// lineAfter returns the offset just past the first line feed at or after
// off (which is aligned to the encoding's code units), or size if none.
func lineAfter(f io.ReaderAt, off, size int64, enc string) (int64, error) {
	nl, w := newline(enc)
	buf := make([]byte, 8<<10)
	for off < size {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for i := 0; i < n; {
			j := bytes.Index(buf[i:n], nl)
			if j < 0 {
				break
			}
			if (i+j)%w == 0 {
				return off + int64(i+j+w), nil
			}
			i += j + 1
		}
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return 0, err
		}
		off += int64(n)
	}
	return size, nil
}

// bomLen returns the length of a byte-order mark at the start of f.
func bomLen(f io.ReaderAt) int64 {
	p := make([]byte, 3)
	n, _ := f.ReadAt(p, 0)
	p = p[:n]
	switch {
	case bytes.HasPrefix(p, []byte{0xEF, 0xBB, 0xBF}):
		return 3
	case bytes.HasPrefix(p, []byte{0xFF, 0xFE}), bytes.HasPrefix(p, []byte{0xFE, 0xFF}):
		return 2
	}
	return 0
}
