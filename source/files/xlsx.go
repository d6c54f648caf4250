package files

import (
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/shuan-dev/shuan/source"
)

// xlsxFormat reads each sheet of a workbook as a table with a header row.
type xlsxFormat struct{}

func init() { registerFormat(xlsxFormat{}, ".xlsx", ".xlsm") }

func openWorkbook(p string) (*excelize.File, error) {
	return excelize.OpenFile(p, excelize.Options{UnzipSizeLimit: 4 << 30, UnzipXMLSizeLimit: 256 << 20})
}

func (xlsxFormat) tables(p string) (out []entry, err error) {
	defer recoverTo(&err)
	f, err := openWorkbook(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows := int64(-1)
		if dim, err := f.GetSheetDimension(sheet); err == nil && dim != "" {
			_, last, _ := strings.Cut(dim, ":")
			if _, r, err := excelize.CellNameToCoordinates(last); err == nil {
				rows = max(int64(r)-1, 0)
			}
		}
		out = append(out, entry{path: p, sub: sheet, rows: rows})
	}
	return out, nil
}

func (xlsxFormat) read(ctx context.Context, e entry, o source.ReadOptions, emit func(source.Batch) error) (err error) {
	defer recoverTo(&err)
	f, err := openWorkbook(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	return readSheet(ctx, f, e.sub, o, emit)
}

func readSheet(ctx context.Context, f *excelize.File, sheet string, o source.ReadOptions, emit func(source.Batch) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cols []source.Column
	var b *source.Batcher
	line := 0
	eof := true
	for rows.Next() {
		line++
		rec, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("sheet %q row %d: %w", sheet, line, err)
		}
		if b == nil {
			if len(rec) == 0 {
				continue
			}
			if LooksLikeHeader(rec) {
				for _, h := range rec {
					cols = append(cols, source.Column{Name: strings.TrimSpace(h), Type: "cell"})
				}
				b = source.NewBatcher(cols, o.Limit, emit)
				continue
			}
			b = source.NewBatcher(nil, o.Limit, emit)
		}
		if !o.Full && b.Rows() >= int64(o.Limit) {
			eof = false
			break
		}
		for i, v := range rec {
			for i >= len(cols) {
				cols = append(cols, source.Column{Name: fmt.Sprintf("column_%d", len(cols)+1), Type: "cell"})
				b.Column(cols[len(cols)-1])
			}
			b.Set(i, strings.TrimSpace(v))
		}
		if err := b.EndRow(); err != nil {
			return err
		}
		if line%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("sheet %q: %w", sheet, err)
	}
	if b == nil {
		return emit(source.Batch{})
	}
	total := int64(-1)
	if eof {
		total = b.Rows()
	}
	return b.FlushWith(total)
}

// recoverTo turns a panic in a third-party parser fed a malformed file into an error.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("malformed file: %v", r)
	}
}
