package catalog

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
)

//go:embed holidays.txt
var defaultHolidays string

// Beijing is China Standard Time; China keeps one zone without daylight
// saving, so a fixed offset is exact. Working days are Beijing dates.
var Beijing = time.FixedZone("CST", 8*3600)

// Calendar tells working days from days off: weekends, public holidays and
// the weekend days worked in exchange (调休上班).
type Calendar struct {
	off  map[string]string // date -> holiday name
	work map[string]string // weekend date worked -> note
}

// DefaultCalendar is the calendar shipped with shuan (holidays.txt).
func DefaultCalendar() *Calendar {
	c, err := ParseCalendar(defaultHolidays)
	if err != nil {
		panic("catalog: shipped holidays.txt: " + err.Error())
	}
	return c
}

// ParseCalendar reads lines of "YYYY-MM-DD off|work NOTE"; # starts a comment.
// Every bad line is reported at once.
func ParseCalendar(text string) (*Calendar, error) {
	c := &Calendar{off: map[string]string{}, work: map[string]string{}}
	var p []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			p = append(p, fmt.Sprintf("line %d: want DATE off|work NOTE", i+1))
			continue
		}
		if _, err := time.Parse(time.DateOnly, f[0]); err != nil {
			p = append(p, fmt.Sprintf("line %d: bad date %q", i+1, f[0]))
			continue
		}
		note := strings.Join(f[2:], " ")
		switch f[1] {
		case "off":
			c.off[f[0]] = note
		case "work":
			c.work[f[0]] = note
		default:
			p = append(p, fmt.Sprintf("line %d: %q is neither off nor work", i+1, f[1]))
		}
	}
	if len(p) > 0 {
		return nil, shuan.Errorf(shuan.EINVALID, "calendar: %s", strings.Join(p, "; "))
	}
	return c, nil
}

// Workday reports whether the Beijing date of t is a working day.
func (c *Calendar) Workday(t time.Time) bool {
	d := t.In(Beijing)
	key := d.Format(time.DateOnly)
	if _, ok := c.work[key]; ok {
		return true
	}
	if _, ok := c.off[key]; ok {
		return false
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// Holiday returns the name of the holiday on t's Beijing date, if any.
func (c *Calendar) Holiday(t time.Time) string { return c.off[t.In(Beijing).Format(time.DateOnly)] }

// Deadline is the end (24:00 Beijing) of the nth working day after the day
// of t: the day of submission does not count.
func (c *Calendar) Deadline(t time.Time, n int) time.Time {
	d := t.In(Beijing)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Beijing)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.Workday(day) {
			n--
		}
	}
	return day.AddDate(0, 0, 1).UTC()
}

// WorkdaysLeft counts the working days from now's day (excluded) up to the
// day that ends at deadline (included); negative when past.
func (c *Calendar) WorkdaysLeft(now, deadline time.Time) int {
	d := now.In(Beijing)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Beijing)
	end := deadline.In(Beijing).AddDate(0, 0, -1)
	n := 0
	if !now.Before(deadline) {
		for day.After(end) {
			if c.Workday(day) {
				n--
			}
			day = day.AddDate(0, 0, -1)
		}
		return n
	}
	for day.Before(end) {
		day = day.AddDate(0, 0, 1)
		if c.Workday(day) {
			n++
		}
	}
	return n
}
