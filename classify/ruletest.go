package classify

import (
	"sort"
	"strings"
)

// ExampleResult is the outcome of one rule example.
type ExampleResult struct {
	// Match is the expectation: true for examples.match, false for examples.no_match.
	Match bool `json:"match"`
	// Input is the example as written in the pack (examples are synthetic, not samples).
	Input string `json:"input"`
	Line  int    `json:"line"`
	Pass  bool   `json:"pass"`
	// Got explains a failure.
	Got string `json:"got,omitempty"`
}

// RuleReport is the outcome of every example of one rule.
type RuleReport struct {
	Rule      string          `json:"rule"`
	Kind      string          `json:"kind"` // content | name | table | grading
	Title     string          `json:"title"`
	File      string          `json:"file"`
	Line      int             `json:"line"`
	Confirmed bool            `json:"confirmed"`
	Passed    int             `json:"passed"`
	Failed    int             `json:"failed"`
	Examples  []ExampleResult `json:"examples"`
}

// OK reports whether every example of the rule passed.
func (r RuleReport) OK() bool { return r.Failed == 0 }

// TestExamples runs every rule's match and no_match examples against the
// compiled engine, so a rule is tested together with the rules it competes with.
func (e *Engine) TestExamples() []RuleReport {
	var out []RuleReport
	add := func(r RuleReport, exs []example, run func(x rawExample) (bool, string)) {
		for _, x := range exs {
			got, why := run(x.ex)
			res := ExampleResult{Match: x.match, Input: describe(x.ex), Line: x.at.line, Pass: got == x.match}
			if !res.Pass {
				res.Got = why
				r.Failed++
			} else {
				r.Passed++
			}
			r.Examples = append(r.Examples, res)
		}
		out = append(out, r)
	}
	for i := range e.content {
		r := &e.content[i]
		add(RuleReport{Rule: r.id, Kind: "content", Title: r.title, File: r.at.file, Line: r.at.line, Confirmed: r.confirmed}, r.examples,
			func(x rawExample) (bool, string) {
				v := x.Value
				if v == "" && len(x.Values) > 0 {
					v = x.Values[0]
				}
				if r.check(strings.TrimSpace(v), e.now()) > 0 {
					return true, "value matched"
				}
				return false, "value did not match"
			})
	}
	for i := range e.names {
		r := &e.names[i]
		add(RuleReport{Rule: r.id, Kind: "name", Title: r.title, File: r.at.file, Line: r.at.line, Confirmed: true}, r.examples,
			func(x rawExample) (bool, string) {
				for _, text := range []string{x.Value, x.Column, x.Comment} {
					if r.units {
						if _, units := splitUnits(text); units != nil {
							if _, ok := e.unitHits(units, r.industry)[i]; ok {
								return true, "unit matched"
							}
						}
						continue
					}
					if _, ok := e.nameHits(normalize(text), r.industry)[i]; ok && text != "" {
						return true, "keyword matched"
					}
				}
				return false, "no keyword matched (or a more specific rule won)"
			})
	}
	for i := range e.tables {
		r := &e.tables[i]
		add(RuleReport{Rule: r.id, Kind: "table", Title: r.title, File: r.at.file, Line: r.at.line, Confirmed: true}, r.examples,
			func(x rawExample) (bool, string) {
				for _, text := range []string{x.Value, x.Table, x.TableComment} {
					if _, ok := e.tableHits(normalize(text), r.industry)[i]; ok && text != "" {
						return true, "keyword matched"
					}
				}
				return false, "no keyword matched (or a more specific rule won)"
			})
	}
	for i := range e.grades {
		g := &e.grades[i]
		add(RuleReport{Rule: g.id, Kind: "grading", Title: g.title, File: g.at.file, Line: g.at.line, Confirmed: g.confirmed}, g.examples,
			func(x rawExample) (bool, string) {
				t := Table{Name: x.Table, Comment: x.TableComment, Rows: -1,
					Columns: []Column{{Name: x.Column, Comment: x.Comment, Values: x.Values}}}
				if x.scalar {
					t.Columns[0].Name = x.Value
				}
				if x.Rows != nil {
					t.Rows = *x.Rows
				}
				tl := e.Classify(t, Options{Industry: g.industry})
				c := tl.Columns[0]
				for _, ev := range c.Evidence {
					if ev.Rule == g.id {
						return true, "rule fired: " + ev.Detail
					}
				}
				return false, "rule did not fire; column got " + c.Category + " " + c.PI + " " + levelText(c.Level, c.SubLevel)
			})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].File != out[b].File {
			return out[a].File < out[b].File
		}
		return out[a].Line < out[b].Line
	})
	return out
}

// describe renders an example for reports.
func describe(x rawExample) string {
	if x.scalar {
		return x.Value
	}
	var parts []string
	kv := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	kv("value", x.Value)
	kv("table", x.Table)
	kv("table_comment", x.TableComment)
	kv("column", x.Column)
	kv("comment", x.Comment)
	if len(x.Values) > 0 {
		parts = append(parts, "values=["+strings.Join(x.Values, ", ")+"]")
	}
	if x.Rows != nil {
		parts = append(parts, "rows="+itoa(int(*x.Rows)))
	}
	return strings.Join(parts, " ")
}
