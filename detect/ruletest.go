package detect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
)

// ExampleResult is the outcome of one rule example.
type ExampleResult struct {
	// Match is the expectation: true for examples.match, false for no_match.
	Match bool   `json:"match"`
	Input string `json:"input"`
	Line  int    `json:"line"`
	Pass  bool   `json:"pass"`
	Got   string `json:"got,omitempty"`
}

// RuleReport is the outcome of every example of one rule.
type RuleReport struct {
	Rule     string          `json:"rule"`
	Kind     string          `json:"kind"` // sigma or the stateful kind
	Title    string          `json:"title"`
	Risk     string          `json:"risk"`
	File     string          `json:"file"`
	Line     int             `json:"line"`
	Passed   int             `json:"passed"`
	Failed   int             `json:"failed"`
	Examples []ExampleResult `json:"examples"`
}

// OK reports whether every example of the rule passed.
func (r RuleReport) OK() bool { return r.Failed == 0 }

// exampleBase is the time of the first event of an example without one:
// Monday 2026-11-02 10:00 in Asia/Shanghai.
var exampleBase = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

// TestExamples runs every rule's examples, each on a fresh rule state: a
// match example passes when the rule raises an alert on any of its events,
// a no_match example when it raises none.
func (e *Engine) TestExamples() []RuleReport {
	var out []RuleReport
	tmp := &Engine{info: e.info, opts: e.opts}
	tmp.ctx.kw = e.ctx.kw
	for _, r := range e.rules {
		rep := RuleReport{Rule: r.info.ID, Kind: r.info.Family, Title: r.info.Title, Risk: r.info.Risk, File: r.info.File, Line: r.info.Line}
		for _, x := range r.examples {
			var st []state
			if r.kind != nil {
				st = []state{r.kind.newState(e.opts.MaxKeys)}
			}
			n, total := 0, 0
			t := exampleBase
			for i, re := range x.events {
				reps := max(re.Repeat, 1)
				for j := range reps {
					ev := re.event(t, fmt.Sprintf("ex-%d-%d-%d", x.line, i, j))
					t = ev.Time
					if re.Step > 0 {
						t = t.Add(re.Step)
					} else {
						t = t.Add(time.Second)
					}
					n += len(tmp.process(&ev, re.DataLevel, []*rule{r}, st, nil))
					total++
				}
			}
			res := ExampleResult{Match: x.match, Input: describe(x.events), Line: x.line, Pass: (n > 0) == x.match}
			if !res.Pass {
				res.Got = fmt.Sprintf("%d alert(s) over %d event(s)", n, total)
				rep.Failed++
			} else {
				rep.Passed++
			}
			rep.Examples = append(rep.Examples, res)
		}
		out = append(out, rep)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].File != out[b].File {
			return out[a].File < out[b].File
		}
		return out[a].Line < out[b].Line
	})
	return out
}

// event builds the Event of an example; t is used when time is not given.
func (r rawEvent) event(t time.Time, id string) shuan.Event {
	ev := shuan.Event{ID: r.ID, Time: t, Source: r.Source, Origin: r.Origin, Host: r.Host, Program: r.Program,
		Actor: r.Actor, Client: r.Client, Database: r.Database, Object: r.Object, Action: r.Action, Class: r.Class,
		Rows: -1, Statement: r.Statement, Success: true, Severity: r.Severity, Message: r.Message, Fields: r.Fields}
	if ev.ID == "" {
		ev.ID = id
	}
	if r.Time != nil {
		ev.Time = r.Time.UTC()
	}
	if r.Rows != nil {
		ev.Rows = *r.Rows
	}
	if r.Success != nil {
		ev.Success = *r.Success
	}
	return ev
}

func describe(evs []rawEvent) string {
	var parts []string
	for _, r := range evs {
		var kv []string
		add := func(k, v string) {
			if v != "" {
				kv = append(kv, k+"="+v)
			}
		}
		add("actor", r.Actor)
		add("client", r.Client)
		add("object", r.Object)
		add("action", r.Action)
		add("statement", r.Statement)
		add("message", r.Message)
		add("data_level", r.DataLevel)
		if r.Rows != nil {
			kv = append(kv, fmt.Sprintf("rows=%d", *r.Rows))
		}
		if r.Success != nil && !*r.Success {
			kv = append(kv, "success=false")
		}
		if r.Time != nil {
			kv = append(kv, "time="+r.Time.Format(time.RFC3339))
		}
		s := strings.Join(kv, " ")
		if r.Repeat > 1 {
			s = fmt.Sprintf("%d× {%s}", r.Repeat, s)
			if r.Step > 0 {
				s += " every " + r.Step.String()
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ; ")
}
