package scan

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/rivo/uniseg"
)

// WriteOptions tune the human formats.
type WriteOptions struct {
	// Lang is "zh" (default) or "en" for headers and names.
	Lang string
}

// writer writes a result in one format.
type writer func(w io.Writer, r *Result, o WriteOptions) error

// writers is the registry of output formats.
var writers = map[string]writer{
	"json":  writeJSON,
	"table": writeTable,
	"csv":   writeCSV,
	"xlsx":  writeXLSX,
	"html":  writeHTML,
}

// Formats returns the output format names, sorted.
func Formats() []string {
	out := make([]string, 0, len(writers))
	for k := range writers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Binary reports whether a format must go to a file rather than a terminal.
func Binary(format string) bool { return format == "xlsx" }

// Write writes the result in the named format.
func Write(w io.Writer, r *Result, format string, o WriteOptions) error {
	fn, ok := writers[format]
	if !ok {
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return fn(w, r, o)
}

func writeJSON(w io.Writer, r *Result, _ WriteOptions) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// evidenceText renders evidence compactly for one cell.
func evidenceText(ev []Evidence, limit int) string {
	var parts []string
	for i, e := range ev {
		if limit > 0 && i >= limit {
			parts = append(parts, fmt.Sprintf("…(+%d)", len(ev)-limit))
			break
		}
		s := e.Kind + ":" + e.Rule
		if e.Detail != "" {
			s += " " + e.Detail
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func levelText(level string, sub int, l int) string {
	s := nameOf(levelNames, level, l)
	if sub > 0 {
		s += " " + strconv.Itoa(sub)
	}
	return s
}

func codeName(m map[string][2]string, code string, l int) string {
	if code == "" {
		return ""
	}
	return nameOf(m, code, l) + " (" + code + ")"
}

// inventoryHeader is the header of the per-column inventory (CSV, XLSX).
var inventoryHeader = [][2]string{
	{"表名", "table"}, {"表注释", "table comment"}, {"行数", "rows"}, {"抽样行数", "sampled rows"},
	{"表分类", "table category"}, {"表级别", "table level"}, {"列名", "column"}, {"类型", "type"},
	{"列注释", "column comment"}, {"分类代码", "category code"}, {"分类名称", "category"},
	{"个人信息类型", "PI type"}, {"敏感个人信息", "sensitive PI"}, {"级别", "level"},
	{"置信度", "confidence"}, {"依据", "evidence"}, {"人工确认", "confirmed"},
}

func inventory(r *Result, l int) [][]string {
	head := make([]string, len(inventoryHeader))
	for i, h := range inventoryHeader {
		head[i] = h[l]
	}
	rows := [][]string{head}
	yes := func(b bool) string {
		if b {
			return msg("yes", l)
		}
		return msg("no", l)
	}
	for _, t := range r.Tables {
		for _, c := range t.Columns {
			confirmed := ""
			if c.Confirmed {
				confirmed = strings.TrimSpace(c.ConfirmedBy + " " + c.Reason)
				if confirmed == "" {
					confirmed = msg("yes", l)
				}
			}
			rows = append(rows, []string{
				t.Name, t.Comment, strconv.FormatInt(t.Rows, 10), strconv.FormatInt(t.SampledRows, 10),
				codeName(categoryNames, t.Category, l), levelText(t.Level, t.SubLevel, l),
				c.Name, c.Type, c.Comment, c.Category, nameOf(categoryNames, c.Category, l),
				codeName(piNames, c.PIType(), l), yes(c.SensitivePI), levelText(c.Level, c.SubLevel, l),
				strconv.FormatFloat(c.Confidence, 'f', 2, 64), evidenceText(c.Evidence, 0), confirmed,
			})
		}
	}
	return rows
}

// writeCSV writes one row per column, UTF-8 with a BOM so that spreadsheet
// programs on Chinese Windows read it correctly.
func writeCSV(w io.Writer, r *Result, o WriteOptions) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(inventory(r, lang(o.Lang))); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// pad pads s with spaces to a display width (CJK characters count double).
func pad(s string, width int) string {
	if n := uniseg.StringWidth(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

func truncate(s string, width int) string {
	if uniseg.StringWidth(s) <= width {
		return s
	}
	var b strings.Builder
	w := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if w+cw > width-1 {
			break
		}
		b.WriteString(g.Str())
		w += cw
	}
	return b.String() + "…"
}

// grid writes aligned columns separated by two spaces.
func grid(w io.Writer, indent string, rows [][]string, maxWidth []int) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			if maxWidth != nil && maxWidth[i] > 0 {
				cell = truncate(cell, maxWidth[i])
				row[i] = cell
			}
			widths[i] = max(widths[i], uniseg.StringWidth(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, cell := range row {
			if i == len(row)-1 {
				b.WriteString(cell)
			} else {
				b.WriteString(pad(cell, widths[i]) + "  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func writeTable(w io.Writer, r *Result, o WriteOptions) error {
	l := lang(o.Lang)
	fmt.Fprintf(w, "%s: %s %s\n", msg("source", l), r.Source.Kind, r.Source.Location)
	fmt.Fprintf(w, "%s: %s\n", msg("scanned_at", l), r.ScannedAt.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "%s: %s %s (SM3 %s)\n", msg("rule_pack", l), r.RulePack.Name, r.RulePack.Version, short(r.RulePack.SM3))
	if r.Sampling.Full {
		fmt.Fprintf(w, "%s: "+msg("full", l)+"\n", msg("sampling", l), r.Sampling.Rows)
	} else {
		fmt.Fprintf(w, "%s: "+msg("per_table", l)+"\n", msg("sampling", l), r.Sampling.Rows)
	}
	head := [][2]string{{"列名", "column"}, {"类型", "type"}, {"注释", "comment"}, {"分类", "category"}, {"个人信息", "PI"}, {"敏感", "sensitive"}, {"级别", "level"}, {"置信度", "conf."}, {"依据", "evidence"}}
	for _, t := range r.Tables {
		fmt.Fprintln(w)
		name := t.Name
		if t.Comment != "" {
			name += "「" + t.Comment + "」"
		}
		fmt.Fprintf(w, "%s %s  %s %d  %s %d  %s %s  %s %s", msg("table", l), name, msg("rows", l), t.Rows,
			msg("sampled", l), t.SampledRows, msg("category", l), codeName(categoryNames, t.Category, l),
			msg("level", l), levelText(t.Level, t.SubLevel, l))
		if t.Unchanged {
			fmt.Fprintf(w, "  [%s]", msg("unchanged", l))
		}
		if t.Confirmed {
			fmt.Fprintf(w, "  [%s]", msg("confirmed", l))
		}
		fmt.Fprintln(w)
		rows := [][]string{make([]string, len(head))}
		for i, h := range head {
			rows[0][i] = h[l]
		}
		for _, c := range t.Columns {
			sens := ""
			if c.SensitivePI {
				sens = msg("yes", l)
			}
			pi := nameOf(piNames, c.PIType(), l)
			if c.Confirmed {
				sens += " ✓"
			}
			rows = append(rows, []string{c.Name, c.Type, c.Comment, nameOf(categoryNames, c.Category, l), pi, strings.TrimSpace(sens),
				levelText(c.Level, c.SubLevel, l), strconv.FormatFloat(c.Confidence, 'f', 2, 64), evidenceText(c.Evidence, 2)})
		}
		grid(w, "  ", rows, []int{28, 16, 20, 22, 14, 9, 12, 6, 72})
	}
	fmt.Fprintln(w)
	s := r.Summary
	fmt.Fprintf(w, "%s: %d %s, %d %s, %d %s, %d %s\n", msg("summary", l), s.Tables, msg("tables", l), s.Columns, msg("columns", l),
		len(piColumns(r)), msg("pi_columns", l), s.SensitivePI, msg("sensitive", l))
	var lv []string
	for _, k := range []string{"core", "important", "general"} {
		if n := s.TablesByLevel[k]; n > 0 {
			lv = append(lv, fmt.Sprintf("%s %d", nameOf(levelNames, k, l), n))
		}
	}
	if len(lv) > 0 {
		fmt.Fprintf(w, "  %s: %s\n", msg("by_level", l), strings.Join(lv, ", "))
	}
	if len(s.ColumnsByPI) > 0 {
		var ps []string
		for _, k := range sortedKeys(s.ColumnsByPI) {
			ps = append(ps, fmt.Sprintf("%s %d", nameOf(piNames, k, l), s.ColumnsByPI[k]))
		}
		fmt.Fprintf(w, "  %s: %s\n", msg("by_pi", l), strings.Join(ps, ", "))
	}
	if len(r.Changes) > 0 {
		fmt.Fprintf(w, "\n%s (%d):\n", msg("changes", l), len(r.Changes))
		for _, c := range r.Changes {
			fmt.Fprintf(w, "  %s\n", changeText(c, l))
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "\n%s (%d):\n", msg("skipped", l), len(r.Skipped))
		for _, sk := range r.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", sk.Name, sk.Reason)
		}
	}
	_, err := fmt.Fprintf(w, "\n%s: %s\n", msg("caveat", l), r.Caveat)
	return err
}

func changeText(c Change, l int) string {
	s := nameOf(changeNames, c.Kind, l) + " " + c.Table
	if c.Column != "" {
		s += "." + c.Column
	}
	if c.Field != "" {
		s += " " + c.Field
	}
	if c.From != "" || c.To != "" {
		s += ": " + c.From + " → " + c.To
	}
	return s
}

// piColumns lists "table.column" of every column carrying PI.
func piColumns(r *Result) []string {
	var out []string
	for _, t := range r.Tables {
		for _, c := range t.Columns {
			if c.PI != nil {
				out = append(out, t.Name+"."+c.Name)
			}
		}
	}
	return out
}

// catalogTables returns the tables graded important or core.
func catalogTables(r *Result) []Table {
	var out []Table
	for _, t := range r.Tables {
		if levelRank(t.Level) >= levelRank("important") {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return levelRank(out[i].Level) > levelRank(out[j].Level) })
	return out
}

// tablePI lists the distinct PI types of a table's columns.
func tablePI(t Table, l int) (string, bool) {
	seen := map[string]bool{}
	var names []string
	sensitive := false
	for _, c := range t.Columns {
		if p := c.PIType(); p != "" && !seen[p] {
			seen[p] = true
			names = append(names, nameOf(piNames, p, l))
		}
		sensitive = sensitive || c.SensitivePI
	}
	return strings.Join(names, "、"), sensitive
}
