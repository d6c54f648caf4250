package scan

import (
	_ "embed"
	"html/template"
	"io"
	"strconv"
)

//go:embed report.html.tmpl
var reportTemplate string

// writeHTML writes a self-contained report (inline CSS, no scripts).
func writeHTML(w io.Writer, r *Result, o WriteOptions) error {
	l := lang(o.Lang)
	funcs := template.FuncMap{
		"msg":      func(k string) string { return msg(k, l) },
		"category": func(c string) string { return nameOf(categoryNames, c, l) },
		"pi":       func(p string) string { return nameOf(piNames, p, l) },
		"level":    func(v string, sub int) string { return levelText(v, sub, l) },
		"change":   func(c Change) string { return changeText(c, l) },
		"evidence": func(ev []Evidence) string { return evidenceText(ev, 0) },
		"pct":      func(f float64) string { return strconv.FormatFloat(f*100, 'f', 0, 64) + "%" },
		"tablepi": func(t Table) string {
			s, _ := tablePI(t, l)
			return s
		},
		"short": short,
		"inc":   func(i int) int { return i + 1 },
	}
	t, err := template.New("report").Funcs(funcs).Parse(reportTemplate)
	if err != nil {
		return err
	}
	lv := []struct {
		Code  string
		Count int
	}{}
	for _, k := range []string{"core", "important", "general"} {
		lv = append(lv, struct {
			Code  string
			Count int
		}{k, r.Summary.TablesByLevel[k]})
	}
	return t.Execute(w, map[string]any{
		"R":       r,
		"Lang":    map[int]string{0: "zh-CN", 1: "en"}[l],
		"Levels":  lv,
		"PIKeys":  sortedKeys(r.Summary.ColumnsByPI),
		"Catalog": catalogTables(r),
	})
}
