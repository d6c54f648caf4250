package catalog

import (
	"math"
	"time"

	"github.com/shuan-dev/shuan"
)

// Diff is the difference between two versions of a catalog.
type Diff struct {
	From    int           `json:"from"`
	To      int           `json:"to"`
	Added   []Entry       `json:"added"`
	Removed []Entry       `json:"removed"`
	Changed []EntryChange `json:"changed"`
}

// EntryChange is one entry present in both versions with changed fields.
type EntryChange struct {
	ID     string        `json:"id"`
	Name   string        `json:"name"`
	Fields []FieldChange `json:"fields"`
	// RecordsPct and StoragePct are the scale changes in percent of the
	// older value; nil when unchanged or when the older value was zero.
	RecordsPct *float64 `json:"records_pct,omitempty"`
	StoragePct *float64 `json:"storage_pct,omitempty"`
}

// FieldChange is one changed field.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Empty reports whether the versions hold the same entries.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Compare returns the differences from a to b.
func Compare(a, b Version) Diff {
	d := Diff{From: a.Seq, To: b.Seq, Added: []Entry{}, Removed: []Entry{}, Changed: []EntryChange{}}
	old := map[string]Entry{}
	for _, e := range a.Entries {
		old[e.ID] = e
	}
	seen := map[string]bool{}
	for _, e := range b.Entries {
		seen[e.ID] = true
		o, ok := old[e.ID]
		if !ok {
			d.Added = append(d.Added, e)
			continue
		}
		c := EntryChange{ID: e.ID, Name: e.Name}
		for _, f := range Fields {
			if x, y := o.Get(f.Key), e.Get(f.Key); x != y {
				c.Fields = append(c.Fields, FieldChange{Field: f.Key, From: x, To: y})
			}
		}
		if len(c.Fields) == 0 {
			continue
		}
		c.RecordsPct = pct(o.Records, e.Records)
		c.StoragePct = pct(o.StorageBytes, e.StorageBytes)
		d.Changed = append(d.Changed, c)
	}
	for _, e := range a.Entries {
		if !seen[e.ID] {
			d.Removed = append(d.Removed, e)
		}
	}
	return d
}

func pct(a, b int64) *float64 {
	if a == b || a == 0 {
		return nil
	}
	v := math.Round(float64(b-a)/float64(a)*1000) / 10
	return &v
}

// Config holds the filing rules that are configuration, not code
// (REGULATIONS.md §1.4: the 30 % and three months are [C] for the second
// draft and [P] for the final text; 20 working days likewise).
type Config struct {
	// ScaleThreshold is the relative change of an entry's records or storage
	// above which a change filing is due (0.30 = 30 %).
	ScaleThreshold float64 `json:"scale_threshold"`
	// ChangeMonths is how long after a change the change filing is due.
	ChangeMonths int `json:"change_months"`
	// ReviewDays is the regulator's review period in working days.
	ReviewDays int `json:"review_days"`
}

// DefaultConfig is the configuration when none is set.
func DefaultConfig() Config { return Config{ScaleThreshold: 0.30, ChangeMonths: 3, ReviewDays: 20} }

// Trigger kinds.
const (
	TriggerScale     = "scale"     // records or storage changed beyond the threshold
	TriggerAdded     = "added"     // important or core data added
	TriggerRemoved   = "removed"   // important or core data removed
	TriggerDestroyed = "destroyed" // destruction recorded
	TriggerLevel     = "level"     // level changed between important and core
)

// Trigger is one reason a change filing is due.
type Trigger struct {
	Kind    string `json:"kind"`
	EntryID string `json:"entry_id"`
	Name    string `json:"name"`
	Detail  string `json:"detail,omitempty"`
}

// Triggers compares the filed entries with the current ones and returns
// every reason a change filing is due under cfg.
func Triggers(filed, current []Entry, cfg Config) []Trigger {
	d := Compare(Version{Entries: filed}, Version{Entries: current})
	var out []Trigger
	for _, e := range d.Added {
		out = append(out, Trigger{Kind: TriggerAdded, EntryID: e.ID, Name: e.Name, Detail: e.Level})
	}
	for _, e := range d.Removed {
		out = append(out, Trigger{Kind: TriggerRemoved, EntryID: e.ID, Name: e.Name, Detail: e.Level})
	}
	for _, c := range d.Changed {
		for _, f := range c.Fields {
			switch f.Field {
			case "destroyed":
				if f.From == "" && f.To != "" {
					out = append(out, Trigger{Kind: TriggerDestroyed, EntryID: c.ID, Name: c.Name, Detail: f.To})
				}
			case "level":
				out = append(out, Trigger{Kind: TriggerLevel, EntryID: c.ID, Name: c.Name, Detail: f.From + "→" + f.To})
			}
		}
		for _, p := range []*float64{c.RecordsPct, c.StoragePct} {
			if p != nil && math.Abs(*p) > cfg.ScaleThreshold*100+1e-9 {
				out = append(out, Trigger{Kind: TriggerScale, EntryID: c.ID, Name: c.Name, Detail: formatPct(*p)})
				break
			}
		}
	}
	return out
}

func formatPct(p float64) string {
	s := ""
	if p > 0 {
		s = "+"
	}
	return s + trimFloat(p) + "%"
}

func trimFloat(f float64) string {
	if f == math.Trunc(f) {
		return itoa(int64(f))
	}
	return itoa(int64(math.Trunc(f))) + "." + itoa(int64(math.Abs(math.Round((f-math.Trunc(f))*10))))
}

func itoa(i int64) string {
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// ChangeDue is a change filing the enterprise owes its regulator.
type ChangeDue struct {
	ID           string    `json:"id"`
	EnterpriseID string    `json:"enterprise_id"`
	Region       string    `json:"region,omitempty"`
	Industry     string    `json:"industry,omitempty"`
	FiledSeq     int       `json:"filed_seq"` // the filed version the triggers compare against
	Reasons      []Trigger `json:"reasons"`
	Detected     time.Time `json:"detected_at"`
	Due          time.Time `json:"due_at"`
	Resolved     time.Time `json:"resolved_at,omitzero"`  // a later filing was accepted (or submitted, at the enterprise)
	ResolvedBy   string    `json:"resolved_by,omitempty"` // filing id
}

// Overdue reports whether the change filing is late at now.
func (c ChangeDue) Overdue(now time.Time) bool { return c.Resolved.IsZero() && now.After(c.Due) }

// DueAfter is when a change filing detected at t is due under cfg.
func (cfg Config) DueAfter(t time.Time) time.Time {
	return t.AddDate(0, cfg.ChangeMonths, 0)
}

// Validate checks a configuration.
func (cfg Config) Validate() error {
	if cfg.ScaleThreshold <= 0 || cfg.ScaleThreshold > 10 || cfg.ChangeMonths < 1 || cfg.ChangeMonths > 24 || cfg.ReviewDays < 1 || cfg.ReviewDays > 120 {
		return shuan.Errorf(shuan.EINVALID, "catalog config: threshold in (0,10], change_months 1-24, review_days 1-120")
	}
	return nil
}
