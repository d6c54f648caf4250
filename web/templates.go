package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/i18n"
)

// pageNames are the page templates; each is parsed with the layout and
// partials into its own set, once, at New.
var pageNames = []string{"login", "error", "overview", "nodes", "node", "notices", "notice", "audit"}

func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		if _, err := t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// funcs are the templates' helpers; all are pure functions.
var funcs = template.FuncMap{
	"dict":       dict,
	"tk":         func(l i18n.Lang, prefix string, v any) string { return l.T(prefix + fmt.Sprint(v)) },
	"province":   shuan.ProvinceName,
	"industry":   shuan.IndustryName,
	"fmtTime":    fmtTime,
	"ago":        ago,
	"dur":        dur,
	"seconds":    func(s int64) time.Duration { return time.Duration(s) * time.Second },
	"nodeState":  nodeState,
	"short":      short,
	"rank":       shuan.NoticeRank,
	"targetText": targetText,
}

// dict builds a map from alternating keys and values, for passing several
// values to a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// beijing is China Standard Time. China keeps one zone without daylight
// saving, so a fixed offset is exact and needs no tzdata on the server,
// whose own zone is often UTC.
var beijing = time.FixedZone("CST", 8*3600)

// fmtTime shows t in Beijing time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(beijing).Format("2006-01-02 15:04:05")
}

// ago says how long before now t was, coarsely.
func ago(l i18n.Lang, now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return l.T("time.ago", dur(l, d))
}

// dur renders a duration in the largest sensible unit.
func dur(l i18n.Lang, d time.Duration) string {
	switch {
	case d < time.Minute:
		return l.T("time.seconds", int(d/time.Second))
	case d < time.Hour:
		return l.T("time.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return l.T("time.hours", int(d/time.Hour))
	}
	return l.T("time.days", int(d/(24*time.Hour)))
}

// nodeState is online, offline, never (no heartbeat yet) or revoked.
func nodeState(now time.Time, n shuan.Node) string {
	switch {
	case !n.Revoked.IsZero():
		return "revoked"
	case n.LastSeen.IsZero():
		return "never"
	case n.Online(now):
		return "online"
	}
	return "offline"
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// targetText describes a notice target for people.
func targetText(l i18n.Lang, t shuan.Target) string {
	var p []string
	if t.All {
		p = append(p, l.T("target.all"))
	}
	if len(t.Regions) > 0 {
		var names []string
		for _, r := range t.Regions {
			names = append(names, shuan.ProvinceName(r)+"("+r+")")
		}
		p = append(p, l.T("target.regions")+": "+strings.Join(names, l.T("list.sep")))
	}
	if len(t.Industries) > 0 {
		var names []string
		for _, i := range t.Industries {
			names = append(names, shuan.IndustryName(i)+"("+i+")")
		}
		p = append(p, l.T("target.industries")+": "+strings.Join(names, l.T("list.sep")))
	}
	if len(t.Nodes) > 0 {
		p = append(p, l.T("target.nodes_n", len(t.Nodes)))
	}
	return strings.Join(p, "; ")
}
