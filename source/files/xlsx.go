package files

import (
	"context"
	"fmt"
	"os"
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
	st, err := os.Stat(e.path)
	if err != nil {
		return err
	}
	f, err := openWorkbook(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	s := sampling{reservoir: st.Size() <= parseBudget, seed: seedFor(e.path, e.sub, st.Size())}
	return readSheet(ctx, f, e.sub, o, s, emit)
}

func readSheet(ctx context.Context, f *excelize.File, sheet string, o source.ReadOptions, s sampling, emit func(source.Batch) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return err
	}
	defer rows.Close()
	var b *source.Batcher
	var p *picker[[]string]
	line := 0
	more := true
	for more && rows.Next() {
		line++
		rec, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("sheet %q row %d: %w", sheet, line, err)
		}
		if b == nil {
			if len(rec) == 0 {
				continue
			}
			var cols []source.Column
			header := LooksLikeHeader(rec)
			if header {
				for _, h := range rec {
					cols = append(cols, source.Column{Name: strings.TrimSpace(h), Type: "cell"})
				}
			}
			b = source.NewBatcher(cols, o.Limit, emit)
			p = newPicker(o, s, func(rec []string) error { return addFields(b, rec, "cell") })
			if header {
				continue
			}
		}
		if more, err = p.take(rec); err != nil {
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
	if err := p.done(); err != nil {
		return err
	}
	total := int64(-1)
	if more {
		total = p.seen
	}
	return b.FlushWith(total)
}

// recoverTo turns a panic in a third-party parser fed a malformed file into an error.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("malformed file: %v", r)
	}
}
