package scan

import (
	"sort"
	"strconv"
)

// Diff lists what changed between two results: tables added and removed,
// tables whose fingerprint changed, columns added and removed, and label
// changes (category, level, PI) of tables and columns.
func Diff(prev, cur *Result) []Change {
	var out []Change
	old := map[string]*Table{}
	for i := range prev.Tables {
		old[prev.Tables[i].Name] = &prev.Tables[i]
	}
	seen := map[string]bool{}
	for i := range cur.Tables {
		t := &cur.Tables[i]
		seen[t.Name] = true
		p, ok := old[t.Name]
		if !ok {
			out = append(out, Change{Kind: TableAdded, Table: t.Name, To: t.Level})
			continue
		}
		if p.Fingerprint != t.Fingerprint {
			out = append(out, Change{Kind: TableChanged, Table: t.Name, Field: "fingerprint", From: short(p.Fingerprint), To: short(t.Fingerprint)})
		}
		label := func(col, field, from, to string) {
			if from != to {
				out = append(out, Change{Kind: LabelChanged, Table: t.Name, Column: col, Field: field, From: from, To: to})
			}
		}
		label("", "category", p.Category, t.Category)
		label("", "level", levelString(p.Level, p.SubLevel), levelString(t.Level, t.SubLevel))
		pc := map[string]*Column{}
		for k := range p.Columns {
			pc[p.Columns[k].Name] = &p.Columns[k]
		}
		cseen := map[string]bool{}
		for _, c := range t.Columns {
			cseen[c.Name] = true
			o, ok := pc[c.Name]
			if !ok {
				out = append(out, Change{Kind: ColumnAdded, Table: t.Name, Column: c.Name, To: c.Category})
				continue
			}
			label(c.Name, "category", o.Category, c.Category)
			label(c.Name, "pi", o.PIType(), c.PIType())
			label(c.Name, "level", levelString(o.Level, o.SubLevel), levelString(c.Level, c.SubLevel))
		}
		for _, c := range p.Columns {
			if !cseen[c.Name] {
				out = append(out, Change{Kind: ColumnRemoved, Table: t.Name, Column: c.Name, From: c.Category})
			}
		}
	}
	for _, p := range prev.Tables {
		if !seen[p.Name] {
			out = append(out, Change{Kind: TableRemoved, Table: p.Name, From: p.Level})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Column < out[j].Column
	})
	return out
}

func levelString(level string, sub int) string {
	if sub > 0 {
		return level + "-" + strconv.Itoa(sub)
	}
	return level
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}
