package incident

import (
	"fmt"
	"slices"
	"time"

	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/gm"
)

// Status is a step of the response workflow.
type Status string

// Workflow states, in order (detected → … → summarized, which closes).
const (
	StatusDetected   Status = "detected"   // 发现
	StatusConfirmed  Status = "confirmed"  // 确认
	StatusContained  Status = "contained"  // 处置/控制
	StatusResolved   Status = "resolved"   // 消除/恢复
	StatusSummarized Status = "summarized" // 总结报告，关闭
)

var order = []Status{StatusDetected, StatusConfirmed, StatusContained, StatusResolved, StatusSummarized}

// Step is one timeline entry.
type Step struct {
	Time  time.Time `json:"time"`
	Actor string    `json:"actor"`
	From  Status    `json:"from,omitempty"`
	To    Status    `json:"to,omitempty"`
	// Kind is "transition", "alert", "regrade" or "note".
	Kind string `json:"kind"`
	Note string `json:"note,omitempty"`
}

// maxList bounds the actor/object lists of an incident.
const maxList = 32

// Incident is a set of correlated alerts under one response.
type Incident struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Status     Status    `json:"status"`
	Discovered time.Time `json:"discovered"`
	Updated    time.Time `json:"updated"`
	Resolved   time.Time `json:"resolved,omitempty"`
	Risks      []string  `json:"risks"`
	Severity   string    `json:"severity"`
	Actors     []string  `json:"actors"`
	Clients    []string  `json:"clients"`
	Databases  []string  `json:"databases"`
	Objects    []string  `json:"objects"`
	// AlertIDs are the first alerts (bounded by correlation.max_alerts).
	AlertIDs   []string `json:"alert_ids"`
	AlertCount int      `json:"alert_count"`
	Facts      Facts    `json:"facts"`
	Grading    Grading  `json:"grading"`
	Timeline   []Step   `json:"timeline"`
}

// Closed reports whether the workflow is finished.
func (in *Incident) Closed() bool { return in.Status == StatusSummarized }

// TransitionError reports a transition the workflow does not allow.
type TransitionError struct {
	From, To Status
}

// Error names the refused transition and the allowed one.
func (e *TransitionError) Error() string {
	next := "none (closed)"
	if i := slices.Index(order, e.From); i >= 0 && i+1 < len(order) {
		next = string(order[i+1])
	}
	return fmt.Sprintf("incident: cannot move from %s to %s (next allowed: %s)", e.From, e.To, next)
}

// Transition moves the incident one step along the workflow and records
// who did it, when and why. Skipping, going back and leaving a closed
// incident are refused with a *TransitionError.
func (in *Incident) Transition(to Status, actor, note string, at time.Time) error {
	i := slices.Index(order, in.Status)
	if i < 0 || i+1 >= len(order) || order[i+1] != to {
		return &TransitionError{From: in.Status, To: to}
	}
	if actor == "" {
		return fmt.Errorf("incident: transition to %s needs an actor", to)
	}
	in.Timeline = append(in.Timeline, Step{Time: at.UTC(), Actor: actor, From: in.Status, To: to, Kind: "transition", Note: note})
	in.Status = to
	in.Updated = at.UTC()
	if to == StatusResolved {
		in.Resolved = at.UTC()
	}
	return nil
}

// Regrade records new facts and grades again.
func (in *Incident) Regrade(c *Config, f Facts, actor, note string, at time.Time) {
	old := in.Grading.Level
	in.Facts = f
	in.Grading = c.Grade(f)
	in.Timeline = append(in.Timeline, Step{Time: at.UTC(), Actor: actor, Kind: "regrade",
		Note: fmt.Sprintf("%s → %s; %s", LevelZH(old), in.Grading.LevelZH, note)})
	in.Updated = at.UTC()
}

// Clock is one reporting deadline.
type Clock struct {
	Name string    `json:"name"`
	Due  time.Time `json:"due,omitempty"`
	// Pending is true while the clock's start (e.g. resolution) has not happened.
	Pending bool   `json:"pending,omitempty"`
	Flag    string `json:"flag"`
	Basis   string `json:"basis"`
}

// Remaining is the time left at now; negative when overdue, zero when pending.
func (c Clock) Remaining(now time.Time) time.Duration {
	if c.Pending || c.Due.IsZero() {
		return 0
	}
	return c.Due.Sub(now)
}

// Overdue reports whether the deadline has passed at now.
func (c Clock) Overdue(now time.Time) bool { return !c.Pending && !c.Due.IsZero() && now.After(c.Due) }

// ClocksFor returns the reporting deadlines of an incident: those of its
// level, then those of the data level involved.
func (c *Config) ClocksFor(in *Incident) []Clock {
	var out []Clock
	add := func(specs []ClockSpec) {
		for _, s := range specs {
			cl := Clock{Name: s.Name, Flag: s.Flag, Basis: s.Basis}
			base := in.Discovered
			if s.From == "resolved" {
				base = in.Resolved
			}
			if base.IsZero() {
				cl.Pending = true
			} else {
				cl.Due = base.Add(s.After)
			}
			out = append(out, cl)
		}
	}
	add(c.Clocks[in.Grading.Level])
	add(c.DataLevelClocks[in.Facts.DataLevel])
	return out
}

// Correlator joins alerts into incidents: an alert sharing an actor or
// object (per correlation.by) with an open incident updated within the
// window joins it. Memory is bounded by correlation.max_open. A Correlator
// is not safe for concurrent use; the node feeds it from one goroutine.
type Correlator struct {
	cfg   *Config
	index map[string]*Incident
	open  []*Incident // oldest first
}

// NewCorrelator returns a Correlator using cfg's correlation and grading.
func NewCorrelator(cfg *Config) *Correlator {
	return &Correlator{cfg: cfg, index: map[string]*Incident{}}
}

func (co *Correlator) keys(a detect.Alert) []string {
	var ks []string
	for _, b := range co.cfg.Correlation.By {
		var v string
		switch b {
		case "actor":
			v = a.Actor
		case "client":
			v = a.Client
		case "database":
			v = a.Database
		case "object":
			if a.Object != "" {
				v = a.Database + "." + a.Object
			}
		}
		if v != "" {
			ks = append(ks, b+"\x00"+v)
		}
	}
	return ks
}

// Add places an alert into an incident and reports whether it opened a new one.
func (co *Correlator) Add(a detect.Alert) (*Incident, bool) {
	ks := co.keys(a)
	var in *Incident
	for _, k := range ks {
		if c, ok := co.index[k]; ok && !c.Closed() && a.Time.Sub(c.Updated) <= co.cfg.Correlation.Window {
			in = c
			break
		}
	}
	created := in == nil
	if created {
		in = &Incident{ID: "inc-" + gm.HexSum([]byte(a.ID))[:24], Title: a.RuleTitle, Status: StatusDetected,
			Discovered: a.Time, Updated: a.Time, Severity: a.Severity,
			Risks: []string{}, Actors: []string{}, Clients: []string{}, Databases: []string{}, Objects: []string{}, AlertIDs: []string{}}
		in.Timeline = append(in.Timeline, Step{Time: a.Time, Actor: "shuan", To: StatusDetected, Kind: "transition", Note: a.Summary})
		co.open = append(co.open, in)
		if len(co.open) > co.cfg.Correlation.MaxOpen {
			co.drop(co.open[0])
		}
	} else {
		in.Timeline = appendBounded(in.Timeline, Step{Time: a.Time, Actor: "shuan", Kind: "alert", Note: a.Summary}, co.cfg.Correlation.MaxAlerts)
	}
	for _, k := range ks {
		co.index[k] = in
	}
	if a.Time.After(in.Updated) {
		in.Updated = a.Time
	}
	in.AlertCount++
	if len(in.AlertIDs) < co.cfg.Correlation.MaxAlerts {
		in.AlertIDs = append(in.AlertIDs, a.ID)
	}
	in.Risks = addUnique(in.Risks, a.Risk)
	in.Actors = addUnique(in.Actors, a.Actor)
	in.Clients = addUnique(in.Clients, a.Client)
	in.Databases = addUnique(in.Databases, a.Database)
	in.Objects = addUnique(in.Objects, a.Object)
	if sevRank(a.Severity) > sevRank(in.Severity) {
		in.Severity = a.Severity
	}
	if d := higherData(in.Facts.DataLevel, a.DataLevel); d != in.Facts.DataLevel || created {
		in.Facts.DataLevel = d
		in.Grading = co.cfg.Grade(in.Facts)
	}
	return in, created
}

// Open returns the incidents the correlator still tracks, oldest first.
func (co *Correlator) Open() []*Incident { return slices.Clone(co.open) }

func (co *Correlator) drop(in *Incident) {
	co.open = slices.DeleteFunc(co.open, func(x *Incident) bool { return x == in })
	for k, v := range co.index {
		if v == in {
			delete(co.index, k)
		}
	}
}

func appendBounded(tl []Step, s Step, max int) []Step {
	if len(tl) >= max+8 {
		return tl // the timeline keeps workflow steps; alert notes stop at the bound
	}
	return append(tl, s)
}

func addUnique(list []string, v string) []string {
	if v == "" || len(list) >= maxList || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func sevRank(s string) int {
	return slices.Index([]string{detect.SeverityLow, detect.SeverityMedium, detect.SeverityHigh, detect.SeverityCritical}, s)
}
