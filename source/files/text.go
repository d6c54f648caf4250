package files

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/shuan-dev/shuan/source"
)

// sniffSize is how much of a file encoding and delimiter detection look at.
const sniffSize = 64 << 10

// Encoding names returned by DetectEncoding.
const (
	UTF8    = "utf-8"
	UTF16LE = "utf-16le"
	UTF16BE = "utf-16be"
	GB18030 = "gb18030"
)

// DetectEncoding guesses the encoding of a text prefix: a BOM wins, valid
// UTF-8 is UTF-8, anything else is taken as GB18030 (a superset of GBK and
// GB2312, the usual encodings of Chinese Windows exports).
func DetectEncoding(prefix []byte) string {
	switch {
	case bytes.HasPrefix(prefix, []byte{0xEF, 0xBB, 0xBF}):
		return UTF8
	case bytes.HasPrefix(prefix, []byte{0xFF, 0xFE}):
		return UTF16LE
	case bytes.HasPrefix(prefix, []byte{0xFE, 0xFF}):
		return UTF16BE
	}
	p := prefix
	// A multi-byte rune may be cut at the end of the prefix.
	for i := 0; i < utf8.UTFMax && len(p) > 0; i++ {
		r, size := utf8.DecodeLastRune(p)
		if r != utf8.RuneError || size != 1 {
			break
		}
		if utf8.Valid(p) {
			break
		}
		p = p[:len(p)-1]
	}
	if utf8.Valid(p) {
		return UTF8
	}
	return GB18030
}

// Decode returns a UTF-8 reader over r after detecting its encoding; BOMs are
// removed.
func Decode(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	prefix, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", err
	}
	enc := DetectEncoding(prefix)
	if enc == UTF8 && bytes.HasPrefix(prefix, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return decodeAs(br, enc), enc, nil
}

// decodeAs returns a UTF-8 reader over text in enc that starts at a
// character boundary. Sequential reads and probes into a file decode alike.
func decodeAs(r io.Reader, enc string) io.Reader {
	switch enc {
	case UTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case UTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
	case GB18030:
		return transform.NewReader(r, simplifiedchinese.GB18030.NewDecoder())
	}
	return r
}

// estimator extrapolates a file's row count from the rows read and the
// decoded bytes they took; eof means the count is exact.
type estimator func(rows, consumed int64, eof bool) int64

// sizeEstimator estimates against a file size. Decoded GBK text is longer
// than its raw bytes, so the estimate is low by up to a third for such files.
func sizeEstimator(size int64) estimator {
	return func(rows, consumed int64, eof bool) int64 {
		if eof || consumed <= 0 || consumed >= size {
			return rows
		}
		return max(rows, int64(float64(rows)*float64(size)/float64(consumed)))
	}
}

// textFormat reads plain text as one column of lines, for content detectors.
type textFormat struct{}

func init() { registerFormat(textFormat{}, ".txt", ".log", ".text") }

func (textFormat) tables(p string) ([]entry, error) {
	return []entry{{path: p, rows: -1, columns: []source.Column{{Name: "line", Type: "text"}}}}, nil
}

func (textFormat) read(ctx context.Context, e entry, o source.ReadOptions, emit func(source.Batch) error) error {
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
		if done, err := spreadLines(ctx, f, size, o.Limit, s.seed, emit); done || err != nil {
			return err
		}
		// Too few probes found rows: take the first rows instead.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	return readLines(ctx, f, o, s, emit, sizeEstimator(size))
}

func lineColumn() []source.Column { return []source.Column{{Name: "line", Type: "text"}} }

// addLine adds one line as a row; blank lines are rows without a value.
func addLine(b *source.Batcher, line string) error {
	if line != "" {
		b.Set(0, line)
	}
	return b.EndRow()
}

func readLines(ctx context.Context, r io.Reader, o source.ReadOptions, s sampling, emit func(source.Batch) error, estimate estimator) error {
	dr, _, err := Decode(r)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(dr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	b := source.NewBatcher(lineColumn(), o.Limit, emit)
	p := newPicker(o, s, func(line string) error { return addLine(b, line) })
	eof := true
	var consumed int64
	for sc.Scan() {
		consumed += int64(len(sc.Bytes())) + 1
		more, err := p.take(strings.TrimSpace(sc.Text()))
		if err != nil {
			return err
		}
		if !more {
			eof = false
			break
		}
		if p.seen%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		return lineErr(p.seen+1, err)
	}
	if err := p.done(); err != nil {
		return err
	}
	return b.FlushWith(estimate(p.seen, consumed, eof))
}

// spreadLines samples a large text file by seeking (see spread); done is
// false when the probes failed and the caller should read the first rows.
func spreadLines(ctx context.Context, f io.ReaderAt, size int64, limit int, seed uint64, emit func(source.Batch) error) (done bool, err error) {
	enc, err := detectAt(f)
	if err != nil {
		return false, err
	}
	rows, st, ok, err := spread(ctx, f, size, bomLen(f), enc, limit, seed, func(r io.Reader, want int) ([]string, probeStats, bool) {
		var rows []string
		var st probeStats
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 16<<20)
		for len(rows) < want && sc.Scan() {
			st.rows++
			st.bytes += int64(len(sc.Bytes())) + 1
			rows = append(rows, strings.TrimSpace(sc.Text()))
		}
		return rows, st, sc.Err() == nil
	})
	if !ok || err != nil {
		return false, err
	}
	b := source.NewBatcher(lineColumn(), limit, emit)
	for _, line := range rows {
		if err := addLine(b, line); err != nil {
			return true, err
		}
	}
	return true, b.FlushWith(sizeEstimator(size)(st.rows, st.bytes, false))
}

// detectAt detects the encoding of a file from its first bytes, as Decode does.
func detectAt(f io.ReaderAt) (string, error) {
	prefix := make([]byte, sniffSize)
	n, err := f.ReadAt(prefix, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	return DetectEncoding(prefix[:n]), nil
}
