package incident

import (
	"fmt"
	"slices"
	"time"
)

// Warning colours (预警), from the most severe (REGULATIONS.md §6.2).
const (
	ColourRed    = "red"    // 红
	ColourOrange = "orange" // 橙
	ColourYellow = "yellow" // 黄
	ColourBlue   = "blue"   // 蓝
)

// Colours lists the warning colours from the most severe.
func Colours() []string { return []string{ColourRed, ColourOrange, ColourYellow, ColourBlue} }

// ColourZH returns the Chinese name of a warning colour.
func ColourZH(c string) string {
	switch c {
	case ColourRed:
		return "红色"
	case ColourOrange:
		return "橙色"
	case ColourYellow:
		return "黄色"
	case ColourBlue:
		return "蓝色"
	}
	return c
}

// Warning is a colour-coded early warning sent down by a province or the
// ministry.
type Warning struct {
	ID     string    `json:"id"`
	Colour string    `json:"colour"`
	Issuer string    `json:"issuer"` // issuing node
	Target string    `json:"target"` // region, industry or node the warning addresses
	Title  string    `json:"title"`
	Text   string    `json:"text"`
	Risk   string    `json:"risk,omitempty"`
	Issued time.Time `json:"issued"`
	// Expires is zero for a warning lifted explicitly.
	Expires time.Time `json:"expires,omitempty"`
}

// Validate reports the first problem of w.
func (w Warning) Validate() error {
	switch {
	case !slices.Contains(Colours(), w.Colour):
		return fmt.Errorf("warning colour %q: want red, orange, yellow or blue", w.Colour)
	case w.Target == "":
		return fmt.Errorf("warning target required")
	case w.Text == "":
		return fmt.Errorf("warning text required")
	case w.Issued.IsZero():
		return fmt.Errorf("warning issue time required")
	case !w.Expires.IsZero() && w.Expires.Before(w.Issued):
		return fmt.Errorf("warning expires before it is issued")
	}
	return nil
}

// Active reports whether w is in force at now.
func (w Warning) Active(now time.Time) bool {
	return !now.Before(w.Issued) && (w.Expires.IsZero() || now.Before(w.Expires))
}

// Heading returns the Chinese heading, e.g. "【橙色预警】title".
func (w Warning) Heading() string { return "【" + ColourZH(w.Colour) + "预警】" + w.Title }
