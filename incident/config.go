// Package incident correlates detection alerts into incidents, grades them
// per the MIIT emergency plan (特别重大/重大/较大/一般) from a configurable
// table, runs the reporting clocks and the response workflow, renders the
// initial and summary reports, carries colour-coded warnings and exports
// STIX 2.1 bundles.
package incident

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"go.yaml.in/yaml/v3"
)

// Levels of the emergency plan, from the most severe.
const (
	LevelParticularlyMajor = "particularly_major" // 特别重大
	LevelMajor             = "major"              // 重大
	LevelLarger            = "larger"             // 较大
	LevelGeneral           = "general"            // 一般
)

// Flags saying how sure a configured value is (REGULATIONS.md).
const (
	FlagConfirmed   = "C"
	FlagPartly      = "P"
	FlagUnconfirmed = "U"
)

// Criterion names of the grading table.
const (
	CriterionDataLevel   = "data_level"
	CriterionPI          = "pi"
	CriterionSensitivePI = "sensitive_pi"
	CriterionOutageHours = "outage_hours"
	CriterionLossCNY     = "loss_cny"
)

// Threat assessments, the qualitative part of the data-level criterion.
const (
	ThreatFairlySerious = "fairly_serious" // 较严重威胁
	ThreatSerious       = "serious"        // 严重威胁
)

//go:embed defaults.yaml
var defaultConfig []byte

// DefaultConfig returns the bundled configuration (defaults.yaml).
func DefaultConfig() []byte { return append([]byte(nil), defaultConfig...) }

// Criterion is one row cell of the grading table.
type Criterion struct {
	Criterion string   `yaml:"criterion" json:"criterion"`
	Min       float64  `yaml:"min,omitempty" json:"min,omitempty"`
	Levels    []string `yaml:"levels,omitempty" json:"levels,omitempty"`
	// Threat is the least threat assessment the data-level criterion needs.
	Threat string `yaml:"threat,omitempty" json:"threat,omitempty"`
	Flag   string `yaml:"flag" json:"flag"`
	Basis  string `yaml:"basis" json:"basis"`
}

// Band is one level of the grading table.
type Band struct {
	Level    string      `yaml:"level" json:"level"`
	NameZH   string      `yaml:"name_zh" json:"name_zh"`
	Warning  string      `yaml:"warning" json:"warning"`
	Criteria []Criterion `yaml:"criteria,omitempty" json:"criteria,omitempty"`
	// Flag and Basis of the band itself (used by the lowest, catch-all band).
	Flag  string `yaml:"flag,omitempty" json:"flag,omitempty"`
	Basis string `yaml:"basis,omitempty" json:"basis,omitempty"`
}

// ClockSpec configures one reporting deadline.
type ClockSpec struct {
	Name  string        `yaml:"name" json:"name"`
	After time.Duration `yaml:"after" json:"after"`
	// From is "discovery" or "resolved".
	From  string `yaml:"from" json:"from"`
	Flag  string `yaml:"flag" json:"flag"`
	Basis string `yaml:"basis" json:"basis"`
}

// Correlation configures how alerts join incidents.
type Correlation struct {
	Window time.Duration `yaml:"window" json:"window"`
	// By lists the alert fields that link alerts: actor, object, client, database.
	By        []string `yaml:"by" json:"by"`
	MaxOpen   int      `yaml:"max_open" json:"max_open"`
	MaxAlerts int      `yaml:"max_alerts" json:"max_alerts"`
}

// Config is the incident configuration: grading table, clocks, correlation.
type Config struct {
	Grading         []Band                 `yaml:"grading" json:"grading"`
	Clocks          map[string][]ClockSpec `yaml:"clocks" json:"clocks"`
	DataLevelClocks map[string][]ClockSpec `yaml:"data_level_clocks" json:"data_level_clocks"`
	Correlation     Correlation            `yaml:"correlation" json:"correlation"`
}

var levels = []string{LevelParticularlyMajor, LevelMajor, LevelLarger, LevelGeneral}

// LevelZH returns the Chinese name of a level.
func LevelZH(level string) string {
	switch level {
	case LevelParticularlyMajor:
		return "特别重大"
	case LevelMajor:
		return "重大"
	case LevelLarger:
		return "较大"
	case LevelGeneral:
		return "一般"
	}
	return level
}

// ParseConfig decodes and validates a configuration; every problem is
// reported in one error. Empty data gives the defaults.
func ParseConfig(data []byte) (*Config, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		data = defaultConfig
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("incident config: %w", err)
	}
	var probs []string
	bad := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	if len(c.Grading) != len(levels) {
		bad("grading: want the %d levels %s in order", len(levels), strings.Join(levels, ", "))
	}
	for i, b := range c.Grading {
		if i < len(levels) && b.Level != levels[i] {
			bad("grading[%d].level: want %q, got %q", i, levels[i], b.Level)
		}
		if !slices.Contains(Colours(), b.Warning) {
			bad("grading[%d].warning: want one of %s", i, strings.Join(Colours(), ", "))
		}
		for j, cr := range b.Criteria {
			at := fmt.Sprintf("grading[%d].criteria[%d]", i, j)
			switch cr.Criterion {
			case CriterionDataLevel:
				for _, l := range cr.Levels {
					if l != shuan.LevelCore && l != shuan.LevelImportant && l != shuan.LevelGeneral {
						bad("%s.levels: unknown data level %q", at, l)
					}
				}
				if cr.Threat != "" && cr.Threat != ThreatSerious && cr.Threat != ThreatFairlySerious {
					bad("%s.threat: want serious or fairly_serious", at)
				}
			case CriterionPI, CriterionSensitivePI, CriterionOutageHours, CriterionLossCNY:
				if cr.Min <= 0 {
					bad("%s.min: must be > 0", at)
				}
			default:
				bad("%s.criterion: unknown %q", at, cr.Criterion)
			}
			if cr.Flag != FlagConfirmed && cr.Flag != FlagPartly && cr.Flag != FlagUnconfirmed {
				bad("%s.flag: want C, P or U", at)
			}
		}
	}
	for _, set := range []map[string][]ClockSpec{c.Clocks, c.DataLevelClocks} {
		for k, specs := range set {
			for j, s := range specs {
				if s.From != "discovery" && s.From != "resolved" {
					bad("clocks %s[%d].from: want discovery or resolved", k, j)
				}
				if s.After < 0 {
					bad("clocks %s[%d].after: negative", k, j)
				}
			}
		}
	}
	for k := range c.Clocks {
		if !slices.Contains(levels, k) {
			bad("clocks: unknown level %q", k)
		}
	}
	if c.Correlation.Window <= 0 {
		bad("correlation.window: must be > 0")
	}
	for _, b := range c.Correlation.By {
		if !slices.Contains([]string{"actor", "object", "client", "database"}, b) {
			bad("correlation.by: unknown field %q", b)
		}
	}
	if c.Correlation.MaxOpen <= 0 {
		c.Correlation.MaxOpen = 10000
	}
	if c.Correlation.MaxAlerts <= 0 {
		c.Correlation.MaxAlerts = 200
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("incident config: %d problem(s):\n  %s", len(probs), strings.Join(probs, "\n  "))
	}
	return &c, nil
}
