package catalog

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/shuan-dev/shuan"
)

// Sheet names of the forms.
const (
	SheetCatalog = "重要数据和核心数据目录"
	SheetRollup  = "目录汇总"
	SheetAbout   = "备案信息"
)

// WriteXLSX writes a catalog version as the filing form: Chinese headers in
// the form's field order, one row per entry, and a sheet of filing details.
func WriteXLSX(w io.Writer, v Version, about [][2]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetCatalog); err != nil {
		return err
	}
	rows := [][]string{header()}
	for _, e := range v.Entries {
		rows = append(rows, entryRow(e))
	}
	if err := writeSheet(f, SheetCatalog, rows); err != nil {
		return err
	}
	info := [][]string{{"项目", "内容"}, {"目录版本", fmt.Sprint(v.Seq)}, {"状态", StatusName(v.Status)},
		{"审批人", v.Approver}, {"SM3", v.SM3}}
	for _, a := range about {
		info = append(info, []string{a[0], a[1]})
	}
	if _, err := f.NewSheet(SheetAbout); err != nil {
		return err
	}
	if err := writeSheet(f, SheetAbout, info); err != nil {
		return err
	}
	return f.Write(w)
}

// WriteRollupXLSX writes a province's or the ministry's roll-up: one row per
// entry of every accepted filing, led by the enterprise's identity.
func WriteRollupXLSX(w io.Writer, filings []Filing) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetRollup); err != nil {
		return err
	}
	rows := [][]string{append([]string{"企业名称", "统一社会信用代码", "地区", "行业", "备案编号", "目录版本", "备案状态"}, header()...)}
	for _, fl := range filings {
		for _, e := range fl.Version.Entries {
			lead := []string{fl.EnterpriseName, fl.USCC, shuan.ProvinceName(fl.Region) + " " + fl.Region,
				shuan.IndustryName(fl.Industry) + " " + fl.Industry, fl.ID, fmt.Sprint(fl.Seq), StatusName(fl.Status)}
			rows = append(rows, append(lead, entryRow(e)...))
		}
	}
	if err := writeSheet(f, SheetRollup, rows); err != nil {
		return err
	}
	return f.Write(w)
}

func header() []string {
	h := make([]string, len(Fields))
	for i, fd := range Fields {
		h[i] = fd.ZH
	}
	return h
}

func entryRow(e Entry) []string {
	row := make([]string, len(Fields))
	for i, fd := range Fields {
		row[i] = e.Get(fd.Key)
		if fd.Key == "level" {
			row[i] = LevelName(e.Level)
		}
	}
	return row
}

func writeSheet(f *excelize.File, sheet string, rows [][]string) error {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, row := range rows {
		cells := make([]any, len(row))
		for k, v := range row {
			if i == 0 {
				cells[k] = excelize.Cell{Value: v, StyleID: bold}
			} else {
				cells[k] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// RowError is a problem with one row (1-based, as Excel numbers them) of an
// imported sheet.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"` // header of the bad cell
	Message string `json:"message"`
}

func (e RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("row %d, %s: %s", e.Row, e.Column, e.Message)
	}
	return fmt.Sprintf("row %d: %s", e.Row, e.Message)
}

// ImportError lists every bad row of an import; nothing was imported.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	s := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		s[i] = r.Error()
	}
	return "import refused, nothing imported: " + strings.Join(s, "; ")
}

// ReadXLSX reads entries from the first sheet of a workbook in the layout
// WriteXLSX writes. Every row is checked; if any is bad the result is an
// *ImportError and no entries.
func ReadXLSX(r io.Reader) ([]Entry, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, shuan.Errorf(shuan.EINVALID, "not an xlsx workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, shuan.Errorf(shuan.EINVALID, "workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, shuan.Errorf(shuan.EINVALID, "read sheet %s: %v", sheets[0], err)
	}
	if len(rows) == 0 {
		return nil, shuan.Errorf(shuan.EINVALID, "sheet %s is empty", sheets[0])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	var bad []RowError
	for _, fd := range Fields {
		if _, ok := col[fd.ZH]; !ok && fd.Key != "destroyed" && fd.Key != "findings" {
			bad = append(bad, RowError{Row: 1, Column: fd.ZH, Message: "header missing"})
		}
	}
	if len(bad) > 0 {
		return nil, &ImportError{Rows: bad}
	}
	var out []Entry
	seen := map[string]int{}
	for i, row := range rows[1:] {
		n := i + 2
		if blank(row) {
			continue
		}
		var e Entry
		for _, fd := range Fields {
			k, ok := col[fd.ZH]
			if !ok || k >= len(row) {
				continue
			}
			if err := e.Set(fd.Key, row[k]); err != nil {
				bad = append(bad, RowError{Row: n, Column: fd.ZH, Message: err.Error()})
			}
		}
		for _, p := range e.Problems(false) {
			bad = append(bad, RowError{Row: n, Message: p})
		}
		if first, dup := seen[e.ID]; dup && e.ID != "" {
			bad = append(bad, RowError{Row: n, Column: "数据标识", Message: fmt.Sprintf("id %s already used in row %d", e.ID, first)})
		}
		seen[e.ID] = n
		out = append(out, e)
	}
	if len(bad) > 0 {
		return nil, &ImportError{Rows: bad}
	}
	if len(out) == 0 {
		return nil, shuan.Errorf(shuan.EINVALID, "sheet %s has no entries", sheets[0])
	}
	return out, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
