package files

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/shuan-dev/shuan/source"
)

// parquetFormat reads Parquet files; nested fields become dotted columns.
type parquetFormat struct{}

func init() { registerFormat(parquetFormat{}, ".parquet") }

func openParquet(p string) (*os.File, *parquet.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, pf, nil
}

func parquetColumns(pf *parquet.File) []source.Column {
	s := pf.Schema()
	var cols []source.Column
	for _, path := range s.Columns() {
		col := source.Column{Name: strings.Join(path, ".")}
		if leaf, ok := s.Lookup(path...); ok && leaf.Node != nil {
			col.Type = leaf.Node.Type().String()
		}
		cols = append(cols, col)
	}
	return cols
}

func (parquetFormat) tables(p string) (out []entry, err error) {
	defer recoverTo(&err)
	f, pf, err := openParquet(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return []entry{{path: p, rows: pf.NumRows(), columns: parquetColumns(pf)}}, nil
}

func (parquetFormat) read(ctx context.Context, e entry, o source.ReadOptions, emit func(source.Batch) error) (err error) {
	defer recoverTo(&err)
	f, pf, err := openParquet(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	return readParquet(ctx, pf, o, seedFor(e.path, "", pf.Size()), emit)
}

// parquetRuns is how many runs of consecutive rows a sample of a larger
// Parquet file is made of.
const parquetRuns = 32

// readParquet reads every row with o.Full or when there are at most Limit.
// Otherwise it samples Limit rows in runs of consecutive rows, one run at a
// seeded random row of each of parquetRuns equal strata of the file:
// SeekToRow uses the page index where the file has one, so only the pages
// holding those rows are decoded.
func readParquet(ctx context.Context, pf *parquet.File, o source.ReadOptions, seed uint64, emit func(source.Batch) error) error {
	cols := parquetColumns(pf)
	b := source.NewBatcher(cols, o.Limit, emit)
	add := func(row parquet.Row) error {
		for _, v := range row {
			if c := v.Column(); !v.IsNull() && c >= 0 && c < len(cols) {
				b.Set(c, v.String())
			}
		}
		return b.EndRow()
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	total := pf.NumRows()
	if o.Full || total <= int64(o.Limit) {
		if _, err := readRows(ctx, r, -1, add); err != nil {
			return err
		}
		return b.FlushWith(total)
	}
	rng := newRand(seed)
	runs := int64(min(o.Limit, parquetRuns))
	var got int64
	for i := range runs {
		lo, hi := stratum(i, runs, total), stratum(i+1, runs, total)
		want := min((int64(o.Limit)-got+runs-i-1)/(runs-i), hi-lo)
		start := lo + rng.Int64N(hi-lo-want+1)
		if err := r.SeekToRow(start); err != nil {
			return err
		}
		n, err := readRows(ctx, r, want, add)
		if err != nil {
			return err
		}
		got += n
	}
	return b.FlushWith(total)
}

// stratum returns where the i-th of n near-equal parts of total starts.
func stratum(i, n, total int64) int64 {
	return i*(total/n) + min(i, total%n)
}

// readRows passes up to n rows of r (all with n < 0) to add.
func readRows(ctx context.Context, r *parquet.Reader, n int64, add func(parquet.Row) error) (int64, error) {
	buf := make([]parquet.Row, 256)
	var got int64
	for n < 0 || got < n {
		k := len(buf)
		if n >= 0 {
			k = int(min(int64(k), n-got))
		}
		m, err := r.ReadRows(buf[:k])
		for _, row := range buf[:m] {
			if err := add(row); err != nil {
				return got, err
			}
			got++
		}
		if errors.Is(err, io.EOF) || (err == nil && m == 0) {
			break
		}
		if err != nil {
			return got, err
		}
		if ctx.Err() != nil {
			return got, ctx.Err()
		}
	}
	return got, nil
}
