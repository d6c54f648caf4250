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
	switch enc {
	case UTF16LE:
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()), enc, nil
	case UTF16BE:
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()), enc, nil
	case GB18030:
		return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), enc, nil
	}
	if bytes.HasPrefix(prefix, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return br, enc, nil
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
	return readLines(ctx, f, o, emit, sizeEstimator(st.Size()))
}

func readLines(ctx context.Context, r io.Reader, o source.ReadOptions, emit func(source.Batch) error, estimate estimator) error {
	dr, _, err := Decode(r)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(dr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	b := source.NewBatcher([]source.Column{{Name: "line", Type: "text"}}, o.Limit, emit)
	eof := true
	var consumed int64
	for sc.Scan() {
		consumed += int64(len(sc.Bytes())) + 1
		if line := strings.TrimSpace(sc.Text()); line != "" {
			b.Set(0, line)
		}
		if err := b.EndRow(); err != nil {
			return err
		}
		if !o.Full && b.Rows() >= int64(o.Limit) {
			eof = false
			break
		}
		if b.Rows()%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		return lineErr(b.Rows()+1, err)
	}
	return b.FlushWith(estimate(b.Rows(), consumed, eof))
}
