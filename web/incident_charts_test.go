package web

import (
	"testing"
	"time"

	"github.com/shuan-dev/shuan/i18n"
	"github.com/shuan-dev/shuan/node"
)

func TestIncidentTrendBuckets(t *testing.T) {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC) // 11-26 04:00 in Beijing
	rec := func(level string, at time.Time) node.IncidentRecord {
		var r node.IncidentRecord
		r.Incident.Grading.Level = level
		r.Incident.Discovered = at
		return r
	}
	recs := []node.IncidentRecord{
		rec(incidentLevels[0], now),                     // today (Beijing)
		rec(incidentLevels[0], now.Add(-20*time.Hour)),  // 11-25 08:00 Beijing
		rec(incidentLevels[len(incidentLevels)-1], now), // today, lowest level
		rec(incidentLevels[0], now.AddDate(0, 0, -40)),  // outside the window
		rec(incidentLevels[0], now.Add(-5*time.Hour)),   // 11-25 23:00 Beijing
	}
	c := newIncidentCharts(&request{Lang: i18n.Lang("zh-CN")}, recs, now, nil, nil)
	if len(c.Trend.Days) != trendDays || c.Trend.Days[trendDays-1] != "11-26" {
		t.Fatalf("days end %v, want 30 days ending 11-26 (Beijing)", c.Trend.Days[len(c.Trend.Days)-1])
	}
	top, low := c.Trend.Series[0].Values, c.Trend.Series[len(c.Trend.Series)-1].Values
	if top[trendDays-1] != 1 || top[trendDays-2] != 2 || low[trendDays-1] != 1 {
		t.Errorf("buckets: top %v low %v", top[trendDays-3:], low[trendDays-3:])
	}
	sum := 0
	for _, s := range c.Trend.Series {
		for _, v := range s.Values {
			sum += v
		}
	}
	if sum != 4 {
		t.Errorf("%d incidents counted, want 4 (one is older than the window)", sum)
	}
}
