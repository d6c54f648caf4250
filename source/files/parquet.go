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
	return readParquet(ctx, pf, o, emit)
}

func readParquet(ctx context.Context, pf *parquet.File, o source.ReadOptions, emit func(source.Batch) error) error {
	cols := parquetColumns(pf)
	b := source.NewBatcher(cols, o.Limit, emit)
	r := parquet.NewReader(pf)
	defer r.Close()
	buf := make([]parquet.Row, 256)
	for {
		if !o.Full && b.Rows() >= int64(o.Limit) {
			break
		}
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			if !o.Full && b.Rows() >= int64(o.Limit) {
				break
			}
			for _, v := range row {
				if c := v.Column(); !v.IsNull() && c >= 0 && c < len(cols) {
					b.Set(c, v.String())
				}
			}
			if err := b.EndRow(); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return b.FlushWith(pf.NumRows())
}
