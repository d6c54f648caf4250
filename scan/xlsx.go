package scan

import (
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX report.
const (
	SheetInventory = "数据分类分级清单"
	SheetCatalog   = "重要数据目录（草稿）"
	SheetAbout     = "扫描信息"
)

var catalogHeader = [][2]string{
	{"序号", "no."}, {"数据名称", "data set"}, {"数据描述", "description"}, {"数据类别", "category"},
	{"数据级别", "level"}, {"数据规模（行）", "rows"}, {"包含个人信息类型", "PI types"},
	{"敏感个人信息", "sensitive PI"}, {"数据载体", "carrier"}, {"识别依据", "evidence"}, {"状态", "status"},
}

// writeXLSX writes the enterprise inventory (one row per column), a draft
// important-data catalog (tables graded important or core) and scan details.
func writeXLSX(w io.Writer, r *Result, o WriteOptions) error {
	l := lang(o.Lang)
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetInventory); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	write := func(sheet string, rows [][]string) error {
		sw, err := f.NewStreamWriter(sheet)
		if err != nil {
			return err
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
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
	if err := write(SheetInventory, inventory(r, l)); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetCatalog); err != nil {
		return err
	}
	cat := [][]string{make([]string, len(catalogHeader))}
	for i, h := range catalogHeader {
		cat[0][i] = h[l]
	}
	for i, t := range catalogTables(r) {
		pis, sens := tablePI(t, l)
		s := msg("no", l)
		if sens {
			s = msg("yes", l)
		}
		cat = append(cat, []string{strconv.Itoa(i + 1), t.Name, t.Comment, codeName(categoryNames, t.Category, l),
			levelText(t.Level, t.SubLevel, l), strconv.FormatInt(t.Rows, 10), pis, s,
			r.Source.Kind + " " + r.Source.Location, evidenceText(t.Evidence, 3), msg("draft_pending", l)})
	}
	if err := write(SheetCatalog, cat); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetAbout); err != nil {
		return err
	}
	about := [][]string{
		{msg("source", l), r.Source.Kind + " " + r.Source.Location},
		{msg("scanned_at", l), r.ScannedAt.Format("2006-01-02 15:04:05 MST")},
		{msg("rule_pack", l), r.RulePack.Name + " " + r.RulePack.Version},
		{"SM3", r.RulePack.SM3},
		{msg("tables", l), strconv.Itoa(r.Summary.Tables)},
		{msg("columns", l), strconv.Itoa(r.Summary.Columns)},
		{msg("caveat", l), r.Caveat},
	}
	if err := write(SheetAbout, about); err != nil {
		return err
	}
	return f.Write(w)
}
