package detect

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shuan-dev/shuan/rulepack"
	"github.com/shuan-dev/shuan/yamlcheck"
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
	Sigma    []rawSigma    `yaml:"sigma"`
	Stateful []rawStateful `yaml:"stateful"`
}

type rawPackHeader struct {
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Description string `yaml:"description"`
	pos         `yaml:"-"`
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawPackHeader) UnmarshalYAML(n *yaml.Node) error {
	type plain rawPackHeader
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawSigma struct {
	ID        string      `yaml:"id"`
	Risk      string      `yaml:"risk"`
	Severity  string      `yaml:"severity"`
	SummaryZH string      `yaml:"summary_zh"`
	SummaryEN string      `yaml:"summary_en"`
	Rule      yaml.Node   `yaml:"rule"`
	Examples  rawExamples `yaml:"examples"`
	pos       `yaml:"-"`
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawSigma) UnmarshalYAML(n *yaml.Node) error {
	type plain rawSigma
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

type rawStateful struct {
	ID          string      `yaml:"id"`
	Title       string      `yaml:"title"`
	Kind        string      `yaml:"kind"`
	Risk        string      `yaml:"risk"`
	Severity    string      `yaml:"severity"`
	Description string      `yaml:"description"`
	SummaryZH   string      `yaml:"summary_zh"`
	SummaryEN   string      `yaml:"summary_en"`
	Match       rawFilter   `yaml:"match"`
	Params      yaml.Node   `yaml:"params"`
	Examples    rawExamples `yaml:"examples"`
	pos         `yaml:"-"`
}

// UnmarshalYAML decodes the mapping and records its key lines.
func (r *rawStateful) UnmarshalYAML(n *yaml.Node) error {
	type plain rawStateful
	r.pos = posOf(n)
	return n.Decode((*plain)(r))
}

// rawFilter selects the events a stateful rule looks at.
type rawFilter struct {
	Actions           []string `yaml:"actions"`
	Classes           []string `yaml:"classes"`
	Success           *bool    `yaml:"success"`
	Levels            []string `yaml:"levels"`
	StatementContains []string `yaml:"statement_contains"`
	ExcludeActors     []string `yaml:"exclude_actors"`
	ExcludeClients    []string `yaml:"exclude_clients"`
}

type rawExamples struct {
	Match   []rawExample `yaml:"match"`
	NoMatch []rawExample `yaml:"no_match"`
}

// rawExample is one event (a mapping) or a sequence of events.
type rawExample struct {
	Events []rawEvent
	line   int
}

// UnmarshalYAML accepts a mapping (one event) or a sequence of mappings.
func (r *rawExample) UnmarshalYAML(n *yaml.Node) error {
	r.line = n.Line
	if n.Kind == yaml.SequenceNode {
		return n.Decode(&r.Events)
	}
	r.Events = make([]rawEvent, 1)
	return n.Decode(&r.Events[0])
}

// rawEvent is an Event written in YAML with its JSON field names, plus the
// catalog level of its object and repeat/step for sequences.
type rawEvent struct {
	ID        string            `yaml:"id"`
	Time      *time.Time        `yaml:"time"`
	Source    string            `yaml:"source"`
	Origin    string            `yaml:"origin"`
	Host      string            `yaml:"host"`
	Program   string            `yaml:"program"`
	Actor     string            `yaml:"actor"`
	Client    string            `yaml:"client"`
	Database  string            `yaml:"database"`
	Object    string            `yaml:"object"`
	Action    string            `yaml:"action"`
	Class     string            `yaml:"class"`
	Rows      *int64            `yaml:"rows"`
	Statement string            `yaml:"statement"`
	Success   *bool             `yaml:"success"`
	Severity  int               `yaml:"severity"`
	Message   string            `yaml:"message"`
	Fields    map[string]string `yaml:"fields"`
	DataLevel string            `yaml:"data_level"`
	Repeat    int               `yaml:"repeat"`
	Step      time.Duration     `yaml:"step"`
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
	fmt.Fprintf(&b, "detection rule packs: %d problem(s)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

type problems struct {
	list *[]Problem
	file string
}

func (p problems) add(line int, field, format string, args ...any) {
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

var nodeType = reflect.TypeOf(yaml.Node{})

// decodeFile parses one pack file, reporting unknown keys and type errors
// with their lines.
func decodeFile(f rulepack.File, list *[]Problem) (rawFile, bool) {
	pr := problems{list: list, file: f.Name}
	report := func(line int, field, msg string) { pr.add(line, field, "%s", msg) }
	var raw rawFile
	ok := rulepack.Decode(f.Data, &raw, keysOverride(report), report)
	return raw, ok
}

// reportDecode turns a yaml decode error into problems with lines.
func reportDecode(err error, line int, pr problems) {
	rulepack.ReportDecode(err, line, func(l int, field, msg string) { pr.add(l, field, "%s", msg) })
}

// keysOverride lets yamlcheck skip raw yaml nodes, which are checked where
// they are decoded, and check an example as one event or a sequence of
// events.
func keysOverride(report yamlcheck.Report) yamlcheck.Override {
	var override yamlcheck.Override
	override = func(n *yaml.Node, t reflect.Type, path string) bool {
		switch t {
		case nodeType:
			return true
		case reflect.TypeOf(rawExample{}):
			ev := reflect.TypeOf(rawEvent{})
			if n.Kind == yaml.SequenceNode {
				for i, c := range n.Content {
					yamlcheck.Keys(c, ev, fmt.Sprintf("%s[%d]", path, i), report, override)
				}
			} else {
				yamlcheck.Keys(n, ev, path, report, override)
			}
			return true
		}
		return false
	}
	return override
}

// findLine returns the line of the value at the mapping path below n, or
// the deepest line found.
func findLine(n *yaml.Node, path ...string) int {
	line := n.Line
	for _, p := range path {
		if p == "" || n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// checkKeys reports mapping keys of n that have no field in t, recursively.
func checkKeys(n *yaml.Node, t reflect.Type, path string, pr problems) {
	report := func(line int, field, msg string) { pr.add(line, field, "%s", msg) }
	yamlcheck.Keys(n, t, path, report, keysOverride(report))
}
