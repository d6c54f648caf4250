package classify

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shuan-dev/shuan/rulepack"
)

// The raw types mirror the pack YAML (packs/README.md). They are decoded,
// validated with every problem collected, then compiled into the Engine.

// pos remembers where a mapping and each of its keys start.
type pos struct {
	line   int
	fields map[string]int
}

func posOf(n *yaml.Node) pos {
	p := pos{line: n.Line, fields: map[string]int{}}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.fields[n.Content[i].Value] = n.Content[i].Line
		}
	}
	return p
}

func (p pos) at(field string) int {
	if l, ok := p.fields[field]; ok {
		return l
	}
	return p.line
}

type rawFile struct {
	Pack     rawPackHeader `yaml:"pack"`
	Industry *rawIndustry  `yaml:"industry"`
	Policy   *rawPolicy    `yaml:"policy"`
	Content  []rawContent  `yaml:"content"`
	Names    []rawName     `yaml:"names"`
	Tables   []rawTable    `yaml:"tables"`
	Grading  []rawGrade    `yaml:"grading"`
	Models   *rawModels    `yaml:"models"`
}

type rawPackHeader struct {
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Description string `yaml:"description"`
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawPackHeader) UnmarshalYAML(n *yaml.Node) error {
	type plain rawPackHeader
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawIndustry struct {
	Key    string   `yaml:"key"`
	Codes  []string `yaml:"codes"`
	NameZH string   `yaml:"name_zh"`
	NameEN string   `yaml:"name_en"`
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawIndustry) UnmarshalYAML(n *yaml.Node) error {
	type plain rawIndustry
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawConfidence struct {
	Pattern   *float64 `yaml:"pattern"`
	Validated *float64 `yaml:"validated"`
	Context   *float64 `yaml:"context"`
	Name      *float64 `yaml:"name"`
	Comment   *float64 `yaml:"comment"`
	Table     *float64 `yaml:"table"`
	Majority  *float64 `yaml:"majority"`
	Fallback  *float64 `yaml:"fallback"`
}

type rawSensitive struct {
	Types     []string `yaml:"types"`
	Basis     string   `yaml:"basis"`
	Confirmed *bool    `yaml:"confirmed"`
}

type rawPolicy struct {
	MinRatio         *float64       `yaml:"min_ratio"`
	MinValues        *int           `yaml:"min_values"`
	MinValuesPattern *int           `yaml:"min_values_pattern"`
	MaxValues        *int           `yaml:"max_values"`
	Confidence       *rawConfidence `yaml:"confidence"`
	DefaultCategory  *string        `yaml:"default_category"`
	PICategory       *string        `yaml:"pi_category"`
	DefaultSubLevel  *int           `yaml:"default_sublevel"`
	SensitivePI      *rawSensitive  `yaml:"sensitive_pi"`
	Words            *rawWords      `yaml:"words"`
	ModelThreshold   *rawThreshold  `yaml:"model_threshold"`
	pos
}

// rawThreshold holds the probabilities above which the models override
// the rules.
type rawThreshold struct {
	Table       *float64 `yaml:"table"`
	Column      *float64 `yaml:"column"`
	ColumnRuled *float64 `yaml:"column_ruled"`
}

// rawWords are the word lists of the schema heuristics; a pack's lists add
// to those loaded before it.
type rawWords struct {
	Organisation    []string `yaml:"organisation"`
	Corporate       []string `yaml:"corporate"`
	CorporateTables []string `yaml:"corporate_tables"`
	Person          []string `yaml:"person"`
	Registered      []string `yaml:"registered"`
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawPolicy) UnmarshalYAML(n *yaml.Node) error {
	type plain rawPolicy
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawModel) UnmarshalYAML(n *yaml.Node) error {
	type plain rawModel
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

// rawExample is a scalar (the rule's primary input) or a mapping.
type rawExample struct {
	Value        string   `yaml:"value"`
	Table        string   `yaml:"table"`
	TableComment string   `yaml:"table_comment"`
	Column       string   `yaml:"column"`
	Comment      string   `yaml:"comment"`
	Values       []string `yaml:"values"`
	Rows         *int64   `yaml:"rows"`
	scalar       bool
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawExample) UnmarshalYAML(n *yaml.Node) error {
	r.pos = posOf(n)
	if n.Kind == yaml.ScalarNode {
		r.scalar = true
		return n.Decode(&r.Value)
	}
	type plain rawExample
	return n.Decode((*plain)(r))
}

type rawExamples struct {
	Match   []rawExample `yaml:"match"`
	NoMatch []rawExample `yaml:"no_match"`
}

type rawContent struct {
	ID                   string      `yaml:"id"`
	Title                string      `yaml:"title"`
	Validator            string      `yaml:"validator"`
	Pattern              string      `yaml:"pattern"`
	PI                   string      `yaml:"pi"`
	Category             string      `yaml:"category"`
	CategoryAfterContext bool        `yaml:"category_after_context"`
	Context              []string    `yaml:"context"`
	RequireContext       bool        `yaml:"require_context"`
	Text                 bool        `yaml:"text"`
	MinRatio             *float64    `yaml:"min_ratio"`
	MinDistinct          *float64    `yaml:"min_distinct"`
	Mask                 string      `yaml:"mask"`
	Basis                string      `yaml:"basis"`
	Confirmed            *bool       `yaml:"confirmed"`
	Examples             rawExamples `yaml:"examples"`
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawContent) UnmarshalYAML(n *yaml.Node) error {
	type plain rawContent
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawName struct {
	ID       string      `yaml:"id"`
	Title    string      `yaml:"title"`
	Category string      `yaml:"category"`
	PI       string      `yaml:"pi"`
	Weak     bool        `yaml:"weak"`
	Units    bool        `yaml:"units"`
	Keywords []string    `yaml:"keywords"`
	Exclude  []string    `yaml:"exclude"`
	Basis    string      `yaml:"basis"`
	Examples rawExamples `yaml:"examples"`
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawName) UnmarshalYAML(n *yaml.Node) error {
	type plain rawName
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawTable struct {
	ID       string      `yaml:"id"`
	Title    string      `yaml:"title"`
	Category string      `yaml:"category"`
	ColumnPI string      `yaml:"column_pi"`
	Keywords []string    `yaml:"keywords"`
	Exclude  []string    `yaml:"exclude"`
	Examples rawExamples `yaml:"examples"`
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawTable) UnmarshalYAML(n *yaml.Node) error {
	type plain rawTable
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawWhen struct {
	Categories     []string `yaml:"categories"`
	PI             []string `yaml:"pi"`
	SensitivePI    *bool    `yaml:"sensitive_pi"`
	Keywords       []string `yaml:"keywords"`
	TableKeywords  []string `yaml:"table_keywords"`
	ColumnKeywords []string `yaml:"column_keywords"`
	MinRows        int64    `yaml:"min_rows"`
}

type rawGrade struct {
	ID        string      `yaml:"id"`
	Title     string      `yaml:"title"`
	Level     string      `yaml:"level"`
	SubLevel  int         `yaml:"sublevel"`
	When      rawWhen     `yaml:"when"`
	Basis     string      `yaml:"basis"`
	Confirmed *bool       `yaml:"confirmed"`
	Examples  rawExamples `yaml:"examples"`
	pos
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawGrade) UnmarshalYAML(n *yaml.Node) error {
	type plain rawGrade
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

// Problem is one validation problem in a pack file.
type Problem = rulepack.Problem

// PackError lists every problem found while loading rule packs.
type PackError struct {
	Problems []Problem
}

// Error lists every problem, one per line.
func (e *PackError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule packs: %d problem(s)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// parsed is one decoded pack file.
type parsed struct {
	file rulepack.File
	raw  rawFile
}

// problems collects validation problems for one file.
type problems struct {
	list *[]Problem
	file string
}

func (p problems) add(line int, field, format string, args ...any) {
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// decodeFile parses one pack file, reporting unknown keys and type errors
// with their lines.
func decodeFile(f rulepack.File, list *[]Problem) (rawFile, bool) {
	pr := problems{list: list, file: f.Name}
	var raw rawFile
	ok := rulepack.Decode(f.Data, &raw, nil, func(line int, field, msg string) { pr.add(line, field, "%s", msg) })
	return raw, ok
}
