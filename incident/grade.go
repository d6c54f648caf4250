package incident

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/shuan-dev/shuan"
)

// Facts are what grading looks at; zero values mean unknown or none.
type Facts struct {
	// DataLevel is the highest data level involved (core, important, general).
	DataLevel string `json:"data_level,omitempty"`
	// Threat is the assessed threat: "", fairly_serious or serious.
	Threat      string  `json:"threat,omitempty"`
	PI          int64   `json:"pi,omitempty"`           // people whose personal information is affected
	SensitivePI int64   `json:"sensitive_pi,omitempty"` // people whose sensitive PI is affected
	OutageHours float64 `json:"outage_hours,omitempty"`
	LossCNY     float64 `json:"loss_cny,omitempty"`
}

// Met is one criterion an incident meets.
type Met struct {
	Level     string `json:"level"`
	Criterion string `json:"criterion"`
	Threshold string `json:"threshold"`
	Value     string `json:"value"`
	Flag      string `json:"flag"`
	Basis     string `json:"basis"`
}

// Grading is the outcome of grading an incident.
type Grading struct {
	Level   string `json:"level"`
	LevelZH string `json:"level_zh"`
	Warning string `json:"warning"`
	// Met lists the criteria met at Level (any one suffices).
	Met []Met `json:"met"`
	// Unconfirmed is true when every criterion behind Level is flagged P or
	// U: the grade rests on values not confirmed in the official text.
	Unconfirmed bool `json:"unconfirmed"`
}

// Grade returns the highest level whose criteria f meets; a single
// criterion suffices. Below every band the incident is 一般 (general).
func (c *Config) Grade(f Facts) Grading {
	for _, b := range c.Grading {
		var met []Met
		for _, cr := range b.Criteria {
			if m, ok := meets(b.Level, cr, f); ok {
				met = append(met, m)
			}
		}
		if len(met) == 0 && len(b.Criteria) > 0 {
			continue
		}
		if len(met) == 0 {
			met = []Met{{Level: b.Level, Criterion: "below_bands", Threshold: "below 较大 bands", Value: "-", Flag: b.Flag, Basis: b.Basis}}
		}
		g := Grading{Level: b.Level, LevelZH: b.NameZH, Warning: b.Warning, Met: met, Unconfirmed: true}
		for _, m := range met {
			if m.Flag == FlagConfirmed {
				g.Unconfirmed = false
			}
		}
		return g
	}
	return Grading{Level: LevelGeneral, LevelZH: LevelZH(LevelGeneral), Warning: ColourBlue, Unconfirmed: true}
}

func threatRank(t string) int {
	switch t {
	case ThreatFairlySerious:
		return 1
	case ThreatSerious:
		return 2
	}
	return 0
}

func meets(level string, cr Criterion, f Facts) (Met, bool) {
	m := Met{Level: level, Criterion: cr.Criterion, Flag: cr.Flag, Basis: cr.Basis}
	num := func(v float64) (Met, bool) {
		m.Threshold = "≥ " + strconv.FormatFloat(cr.Min, 'f', -1, 64)
		m.Value = strconv.FormatFloat(v, 'f', -1, 64)
		return m, v >= cr.Min
	}
	switch cr.Criterion {
	case CriterionDataLevel:
		m.Threshold = fmt.Sprint(cr.Levels)
		if cr.Threat != "" {
			m.Threshold += " with " + cr.Threat + " threat"
		}
		m.Value = f.DataLevel
		if f.Threat != "" {
			m.Value += " (" + f.Threat + ")"
		}
		return m, f.DataLevel != "" && slices.Contains(cr.Levels, f.DataLevel) && threatRank(f.Threat) >= threatRank(cr.Threat)
	case CriterionPI:
		return num(float64(f.PI))
	case CriterionSensitivePI:
		return num(float64(f.SensitivePI))
	case CriterionOutageHours:
		return num(f.OutageHours)
	case CriterionLossCNY:
		return num(f.LossCNY)
	}
	return m, false
}

// higherData returns the higher of two data levels.
func higherData(a, b string) string {
	rank := func(l string) int {
		switch l {
		case shuan.LevelCore:
			return 3
		case shuan.LevelImportant:
			return 2
		case shuan.LevelGeneral:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
