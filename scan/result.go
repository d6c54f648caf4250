// Package scan runs a classification scan: it reads each table of a source
// (schema, comments, sampled values), asks a classifier for labels, carries
// unchanged tables and human-confirmed labels over from a previous result,
// and writes the result in the documented JSON contract or as a table, CSV,
// XLSX or HTML report.
package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/shuan-dev/shuan/source"
)

// SchemaVersion is the version of the JSON output contract (docs/scan.md).
const SchemaVersion = 1

// Result is one scan of one source: the stable JSON output contract.
type Result struct {
	SchemaVersion int         `json:"schema_version"`
	ScannedAt     time.Time   `json:"scanned_at"`
	Source        source.Info `json:"source"`
	RulePack      RulePack    `json:"rule_pack"`
	Sampling      Sampling    `json:"sampling"`
	Caveat        string      `json:"caveat"`
	Tables        []Table     `json:"tables"`
	Skipped       []Skip      `json:"skipped,omitempty"`
	Changes       []Change    `json:"changes,omitempty"`
	Summary       Summary     `json:"summary"`
}

// RulePack identifies the rules that produced the labels.
type RulePack struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SM3     string `json:"sm3"`
}

// Sampling records how rows were read, so results compare like with like.
type Sampling struct {
	Rows     int    `json:"rows"`
	Full     bool   `json:"full"`
	Industry string `json:"industry,omitempty"`
}

// Table is the labelled result for one table, file or sheet.
type Table struct {
	Name    string `json:"name"`
	Comment string `json:"comment"`
	// Rows is the row count (exact or the engine's estimate; -1 unknown).
	Rows        int64  `json:"rows"`
	SampledRows int64  `json:"sampled_rows"`
	Category    string `json:"category"`
	Level       string `json:"level"`
	SubLevel    int    `json:"sub_level,omitempty"`
	// Fingerprint is the SM3 of schema, row-count bucket and sampled content.
	Fingerprint string `json:"fingerprint"`
	// Unchanged marks a table whose labels were carried over from --previous.
	Unchanged   bool       `json:"unchanged,omitempty"`
	Confirmed   bool       `json:"confirmed,omitempty"`
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Evidence    []Evidence `json:"evidence,omitempty"`
	Columns     []Column   `json:"columns"`
}

// Column is the labelled result for one column.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Comment  string `json:"comment"`
	Category string `json:"category"`
	// PI is nil or a pi.* code.
	PI          *string    `json:"pi"`
	SensitivePI bool       `json:"sensitive_pi"`
	Level       string     `json:"level"`
	SubLevel    int        `json:"sub_level,omitempty"`
	Confidence  float64    `json:"confidence"`
	Evidence    []Evidence `json:"evidence"`
	Confirmed   bool       `json:"confirmed,omitempty"`
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	Reason      string     `json:"reason,omitempty"`
}

// PIType returns the column's PI code, or "".
func (c Column) PIType() string {
	if c.PI == nil {
		return ""
	}
	return *c.PI
}

// Evidence explains a label; Detail carries masked samples and ratios only.
type Evidence struct {
	Kind   string `json:"kind"`
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

// Skip is a table or file that was not scanned, and why.
type Skip = source.Skip

// Change kinds.
const (
	TableAdded    = "table_added"
	TableRemoved  = "table_removed"
	TableChanged  = "table_changed"
	ColumnAdded   = "column_added"
	ColumnRemoved = "column_removed"
	LabelChanged  = "label_changed"
)

// Change is one difference from the previous result.
type Change struct {
	Kind   string `json:"kind"`
	Table  string `json:"table"`
	Column string `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
}

// Summary counts tables by level and columns by category and PI type.
type Summary struct {
	Tables            int            `json:"tables"`
	Columns           int            `json:"columns"`
	TablesByLevel     map[string]int `json:"tables_by_level"`
	TablesByCategory  map[string]int `json:"tables_by_category"`
	ColumnsByCategory map[string]int `json:"columns_by_category"`
	ColumnsByPI       map[string]int `json:"columns_by_pi"`
	SensitivePI       int            `json:"sensitive_pi_columns"`
	Confirmed         int            `json:"confirmed_columns"`
	Unchanged         int            `json:"unchanged_tables"`
	Skipped           int            `json:"skipped"`
}

// summarize recomputes the summary from the tables.
func (r *Result) summarize() {
	s := Summary{
		TablesByLevel:     map[string]int{},
		TablesByCategory:  map[string]int{},
		ColumnsByCategory: map[string]int{},
		ColumnsByPI:       map[string]int{},
		Skipped:           len(r.Skipped),
	}
	for _, t := range r.Tables {
		s.Tables++
		s.TablesByLevel[t.Level]++
		s.TablesByCategory[t.Category]++
		if t.Unchanged {
			s.Unchanged++
		}
		for _, c := range t.Columns {
			s.Columns++
			s.ColumnsByCategory[c.Category]++
			if p := c.PIType(); p != "" {
				s.ColumnsByPI[p]++
			}
			if c.SensitivePI {
				s.SensitivePI++
			}
			if c.Confirmed {
				s.Confirmed++
			}
		}
	}
	r.Summary = s
}

// ReadResult decodes a JSON result, checking its schema version.
func ReadResult(r io.Reader) (*Result, error) {
	var res Result
	dec := json.NewDecoder(r)
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	if res.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("decode result: schema_version %d, want %d", res.SchemaVersion, SchemaVersion)
	}
	return &res, nil
}

// ReadResultFile decodes a JSON result file.
func ReadResultFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := ReadResult(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// levelRank orders levels from the least to the most severe.
func levelRank(l string) int {
	switch l {
	case "core":
		return 3
	case "important":
		return 2
	case "general":
		return 1
	}
	return 0
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
