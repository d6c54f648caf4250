package detect

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"go.yaml.in/yaml/v3"
)

// hit is what a stateful rule reports for one event.
type hit struct {
	count  int64
	rows   int64
	ids    []string
	detail string
}

// kind is a compiled, immutable stateful rule; its state is separate so
// that examples run on fresh state.
type kind interface {
	newState(maxKeys int) state
}

// state is the bounded mutable state of one stateful rule.
type state interface {
	observe(c *evalCtx) *hit
	keys() int
}

// filter selects events for a stateful rule.
type filter struct {
	actions, classes []string // upper-case
	success          *bool
	levels           []string
	contains         []string // lower-case
	excludeActors    []string
	excludeClients   addrSet
}

func (f *filter) match(c *evalCtx) bool {
	ev := c.ev
	if len(f.actions) > 0 && !slices.Contains(f.actions, ev.Action) {
		return false
	}
	if len(f.classes) > 0 && !slices.Contains(f.classes, ev.Class) {
		return false
	}
	if f.success != nil && *f.success != ev.Success {
		return false
	}
	if len(f.levels) > 0 && !slices.Contains(f.levels, c.level) {
		return false
	}
	if len(f.contains) > 0 {
		st := c.low(fStatement)
		ok := false
		for _, k := range f.contains {
			if strings.Contains(st, k) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if slices.Contains(f.excludeActors, ev.Actor) || f.excludeClients.has(ev.Client) {
		return false
	}
	return true
}

// addrSet matches client addresses against exact names and CIDR prefixes.
type addrSet struct {
	exact    []string
	prefixes []netip.Prefix
}

func newAddrSet(list []string) (addrSet, error) {
	var s addrSet
	for _, v := range list {
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return s, fmt.Errorf("bad CIDR %q", v)
			}
			s.prefixes = append(s.prefixes, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			s.prefixes = append(s.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		s.exact = append(s.exact, v)
	}
	return s, nil
}

func (s addrSet) empty() bool { return len(s.exact) == 0 && len(s.prefixes) == 0 }

func (s addrSet) has(client string) bool {
	if client == "" {
		return false
	}
	if slices.Contains(s.exact, client) {
		return true
	}
	if len(s.prefixes) == 0 {
		return false
	}
	a, err := netip.ParseAddr(hostOf(client))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// groupKey builds the state key of an event from the group_by fields.
type groupKey []field

var groupFields = map[string]field{"actor": fActor, "client": fClient, "database": fDatabase, "object": fObject, "host": fHost, "source": fSource}

func newGroupKey(names []string, def ...string) (groupKey, error) {
	if len(names) == 0 {
		names = def
	}
	var g groupKey
	for _, n := range names {
		f, ok := groupFields[n]
		if !ok {
			return nil, fmt.Errorf("group_by: unknown field %q (known: actor, client, database, object, host, source)", n)
		}
		g = append(g, f)
	}
	return g, nil
}

func (g groupKey) key(c *evalCtx, buf []byte) []byte {
	buf = buf[:0]
	for i, f := range g {
		if i > 0 {
			buf = append(buf, 0)
		}
		s := c.str(f)
		if f == fClient {
			s = hostOf(s)
		}
		buf = append(buf, s...)
	}
	return buf
}

// --- volume -----------------------------------------------------------

type volumeParams struct {
	GroupBy  []string       `yaml:"group_by"`
	Window   time.Duration  `yaml:"window"`
	MinRows  int64          `yaml:"min_rows"`
	MinCount int64          `yaml:"min_count"`
	Baseline *baselineParam `yaml:"baseline"`
	Cooldown time.Duration  `yaml:"cooldown"`
}

type baselineParam struct {
	Metric     string  `yaml:"metric"` // rows (default) or count
	Factor     float64 `yaml:"factor"`
	MinWindows int     `yaml:"min_windows"`
	Alpha      float64 `yaml:"alpha"`
	Min        float64 `yaml:"min"` // the current value must also reach this
}

type volumeKind struct {
	p     volumeParams
	group groupKey
}

func (k *volumeKind) newState(maxKeys int) state {
	return &volumeState{k: k, m: newLRU[volumeKey](maxKeys)}
}

type volumeKey struct {
	w         window
	ids       idRing
	ewma      float64
	windows   int
	lastRoll  int64 // bucket number of the last baseline update
	lastAlert time.Time
}

type volumeState struct {
	k   *volumeKind
	m   *lru[volumeKey]
	buf []byte
}

func (s *volumeState) keys() int { return s.m.len() }

func (s *volumeState) observe(c *evalCtx) *hit {
	k := s.k
	s.buf = k.group.key(c, s.buf)
	width := k.p.Window / nBuckets
	b := c.ev.Time.UnixNano() / int64(width)
	v, found := s.m.get(s.buf, true)
	if !found {
		v.lastRoll = b
	}
	if bl := k.p.Baseline; bl != nil && b-v.lastRoll >= nBuckets {
		// A whole window has passed since the last update: fold the
		// previous window into the baseline, and decay for empty ones.
		cnt, rows := v.w.totals(b - 1)
		x := float64(rows)
		if bl.Metric == "count" {
			x = float64(cnt)
		}
		if v.windows == 0 {
			v.ewma = x
		} else {
			v.ewma = bl.Alpha*x + (1-bl.Alpha)*v.ewma
			if missed := (b-v.lastRoll)/nBuckets - 1; missed > 0 {
				v.ewma *= math.Pow(1-bl.Alpha, float64(min(missed, 64)))
			}
		}
		v.windows++
		v.lastRoll = b
	}
	cnt, rows := v.w.add(c.ev.Time, width, c.ev.Rows)
	v.ids.add(c.ev.ID)
	if !v.lastAlert.IsZero() && c.ev.Time.Sub(v.lastAlert) < k.p.Cooldown {
		return nil
	}
	var why string
	switch {
	case k.p.MinRows > 0 && rows >= k.p.MinRows:
		why = fmt.Sprintf("rows %d ≥ %d in %s", rows, k.p.MinRows, k.p.Window)
	case k.p.MinCount > 0 && cnt >= k.p.MinCount:
		why = fmt.Sprintf("events %d ≥ %d in %s", cnt, k.p.MinCount, k.p.Window)
	}
	if bl := k.p.Baseline; why == "" && bl != nil && v.windows >= bl.MinWindows {
		x := float64(rows)
		if bl.Metric == "count" {
			x = float64(cnt)
		}
		if x >= bl.Min && x > bl.Factor*v.ewma {
			why = fmt.Sprintf("%s %.0f > %.1f × baseline %.1f in %s", metricName(bl.Metric), x, bl.Factor, v.ewma, k.p.Window)
		}
	}
	if why == "" {
		return nil
	}
	v.lastAlert = c.ev.Time
	return &hit{count: cnt, rows: rows, ids: v.ids.list(), detail: why}
}

func metricName(m string) string {
	if m == "count" {
		return "events"
	}
	return "rows"
}

// --- off_hours --------------------------------------------------------

type offHoursParams struct {
	Timezone string        `yaml:"timezone"`
	Hours    string        `yaml:"hours"` // "08:00-20:00"
	Weekdays []int         `yaml:"weekdays"`
	Holidays []string      `yaml:"holidays"` // 2026-10-01: off even on a weekday
	Workdays []string      `yaml:"workdays"` // 2026-10-11: working even on a weekend (调休)
	GroupBy  []string      `yaml:"group_by"`
	Cooldown time.Duration `yaml:"cooldown"`
}

type offHoursKind struct {
	loc                *time.Location
	from, to           int // minutes of day
	weekdays           [7]bool
	holidays, workdays map[string]bool
	group              groupKey
	cooldown           time.Duration
}

func (k *offHoursKind) working(t time.Time) bool {
	lt := t.In(k.loc)
	d := lt.Format(time.DateOnly)
	day := k.weekdays[lt.Weekday()]
	if k.holidays[d] {
		day = false
	}
	if k.workdays[d] {
		day = true
	}
	if !day {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	if k.from <= k.to {
		return m >= k.from && m < k.to
	}
	return m >= k.from || m < k.to // a shift across midnight
}

func (k *offHoursKind) newState(maxKeys int) state {
	return &cooldownState{m: newLRU[cooldownKey](maxKeys), group: k.group, cooldown: k.cooldown,
		test: func(c *evalCtx) string {
			if k.working(c.ev.Time) {
				return ""
			}
			return "at " + c.ev.Time.In(k.loc).Format("2006-01-02 15:04 Mon MST") + ", outside working hours"
		}}
}

// cooldownState raises single-event alerts at most once per key and cooldown.
type cooldownState struct {
	m        *lru[cooldownKey]
	group    groupKey
	cooldown time.Duration
	test     func(c *evalCtx) string
	buf      []byte
}

type cooldownKey struct {
	last time.Time
	n    int64
}

func (s *cooldownState) keys() int { return s.m.len() }

func (s *cooldownState) observe(c *evalCtx) *hit {
	why := s.test(c)
	if why == "" {
		return nil
	}
	s.buf = s.group.key(c, s.buf)
	v, seen := s.m.get(s.buf, true)
	v.n++
	if seen && !v.last.IsZero() && c.ev.Time.Sub(v.last) < s.cooldown {
		return nil
	}
	v.last = c.ev.Time
	n := v.n
	v.n = 0
	var ids []string
	if c.ev.ID != "" {
		ids = []string{c.ev.ID}
	}
	return &hit{count: n, rows: max(c.ev.Rows, 0), ids: ids, detail: why}
}

// --- unknown_source ---------------------------------------------------

type unknownParams struct {
	AllowClients []string      `yaml:"allow_clients"`
	AllowActors  []string      `yaml:"allow_actors"`
	Learn        time.Duration `yaml:"learn"`
	GroupBy      []string      `yaml:"group_by"`
	Cooldown     time.Duration `yaml:"cooldown"`
}

type unknownKind struct {
	clients addrSet
	actors  []string
	learn   time.Duration
	group   groupKey
	cd      time.Duration
}

func (k *unknownKind) newState(maxKeys int) state {
	s := &unknownState{k: k, seen: newLRU[struct{}](maxKeys)}
	s.cool = &cooldownState{m: newLRU[cooldownKey](maxKeys), group: k.group, cooldown: k.cd, test: s.test}
	return s
}

type unknownState struct {
	k     *unknownKind
	seen  *lru[struct{}]
	start time.Time
	cool  *cooldownState
	buf   []byte
}

func (s *unknownState) keys() int { return s.seen.len() + s.cool.keys() }

func (s *unknownState) observe(c *evalCtx) *hit { return s.cool.observe(c) }

func (s *unknownState) test(c *evalCtx) string {
	k, ev := s.k, c.ev
	if !k.clients.empty() && !k.clients.has(ev.Client) {
		return fmt.Sprintf("client %q not in the allow-list", ev.Client)
	}
	if len(k.actors) > 0 && !slices.Contains(k.actors, ev.Actor) {
		return fmt.Sprintf("account %q not in the allow-list", ev.Actor)
	}
	if k.learn <= 0 {
		return ""
	}
	if s.start.IsZero() {
		s.start = ev.Time
	}
	s.buf = k.group.key(c, s.buf)
	_, seen := s.seen.get(s.buf, true)
	if seen || ev.Time.Sub(s.start) < k.learn {
		return ""
	}
	return fmt.Sprintf("first seen after the %s learning period", k.learn)
}

// --- export and large_result -----------------------------------------

type exportParams struct {
	Keywords          []string      `yaml:"keywords"`
	DestinationField  string        `yaml:"destination_field"`
	AllowDestinations []string      `yaml:"allow_destinations"`
	AllowActors       []string      `yaml:"allow_actors"`
	GroupBy           []string      `yaml:"group_by"`
	Cooldown          time.Duration `yaml:"cooldown"`
}

type exportKind struct {
	p        exportParams
	keywords []string
	group    groupKey
}

func (k *exportKind) newState(maxKeys int) state {
	return &cooldownState{m: newLRU[cooldownKey](maxKeys), group: k.group, cooldown: k.p.Cooldown, test: k.test}
}

func (k *exportKind) test(c *evalCtx) string {
	ev := c.ev
	if len(k.keywords) > 0 {
		st := c.low(fStatement)
		ok := false
		for _, w := range k.keywords {
			if strings.Contains(st, w) {
				ok = true
				break
			}
		}
		if !ok {
			return ""
		}
	}
	if slices.Contains(k.p.AllowActors, ev.Actor) {
		return ""
	}
	dest := ev.Fields[k.p.DestinationField]
	if dest == "" {
		return "export to an undeclared destination"
	}
	for _, a := range k.p.AllowDestinations {
		if strings.HasPrefix(dest, a) {
			return ""
		}
	}
	return fmt.Sprintf("export to unapproved destination %q", dest)
}

type largeParams struct {
	MinRows      int64         `yaml:"min_rows"`
	AllowClients []string      `yaml:"allow_clients"`
	GroupBy      []string      `yaml:"group_by"`
	Cooldown     time.Duration `yaml:"cooldown"`
}

type largeKind struct {
	minRows int64
	clients addrSet
	group   groupKey
	cd      time.Duration
}

func (k *largeKind) newState(maxKeys int) state {
	return &cooldownState{m: newLRU[cooldownKey](maxKeys), group: k.group, cooldown: k.cd, test: func(c *evalCtx) string {
		if c.ev.Rows < k.minRows || k.clients.has(c.ev.Client) {
			return ""
		}
		return fmt.Sprintf("%d rows returned to non-whitelisted client %q", c.ev.Rows, c.ev.Client)
	}}
}

// --- privilege --------------------------------------------------------

type privilegeParams struct {
	Admins   []string      `yaml:"admins"`
	Keywords []string      `yaml:"keywords"`
	GroupBy  []string      `yaml:"group_by"`
	Cooldown time.Duration `yaml:"cooldown"`
}

type privilegeKind struct {
	admins   []string
	keywords []string
	group    groupKey
	cd       time.Duration
}

func (k *privilegeKind) newState(maxKeys int) state {
	return &cooldownState{m: newLRU[cooldownKey](maxKeys), group: k.group, cooldown: k.cd, test: func(c *evalCtx) string {
		if slices.Contains(k.admins, c.ev.Actor) {
			return ""
		}
		st := c.low(fStatement)
		for _, w := range k.keywords {
			if strings.Contains(st, w) {
				return fmt.Sprintf("privilege change (%s) by non-admin account %q", strings.ToUpper(w), c.ev.Actor)
			}
		}
		if len(k.keywords) == 0 {
			return fmt.Sprintf("privilege change by non-admin account %q", c.ev.Actor)
		}
		return ""
	}}
}

// --- ransomware -------------------------------------------------------

type ransomParams struct {
	GroupBy         []string      `yaml:"group_by"`
	Window          time.Duration `yaml:"window"`
	MinDestructive  int64         `yaml:"min_destructive"`
	MinRewrites     int64         `yaml:"min_rewrites"`
	RewriteKeywords []string      `yaml:"rewrite_keywords"`
	MinEntropy      float64       `yaml:"min_entropy"` // bits per character of object names
	Cooldown        time.Duration `yaml:"cooldown"`
}

type ransomKind struct {
	p        ransomParams
	keywords []string
	group    groupKey
}

func (k *ransomKind) newState(maxKeys int) state {
	return &ransomState{k: k, m: newLRU[ransomKey](maxKeys)}
}

type ransomKey struct {
	destructive, rewrites window
	ids                   idRing
	lastAlert             time.Time
}

type ransomState struct {
	k   *ransomKind
	m   *lru[ransomKey]
	buf []byte
}

func (s *ransomState) keys() int { return s.m.len() }

// destructive reports DROP, TRUNCATE and renames.
func destructive(c *evalCtx) bool {
	switch c.ev.Action {
	case "DROP", "DROP_TABLE", "TRUNCATE":
		return true
	case "ALTER", "ALTER_TABLE", "RENAME", "RENAME_TABLE":
		return c.ev.Action == "RENAME" || c.ev.Action == "RENAME_TABLE" || strings.Contains(c.low(fStatement), "rename")
	}
	return false
}

func (k *ransomKind) rewrite(c *evalCtx) bool {
	if c.ev.Action != "UPDATE" && c.ev.Action != "INSERT" {
		return false
	}
	st := c.low(fStatement)
	for _, w := range k.keywords {
		if strings.Contains(st, w) {
			return true
		}
	}
	if k.p.MinEntropy > 0 {
		name := c.ev.Object
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		return len(name) >= 12 && entropy(name) >= k.p.MinEntropy
	}
	return false
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var n [256]int
	for i := 0; i < len(s); i++ {
		n[s[i]]++
	}
	h := 0.0
	for _, c := range n {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}

func (s *ransomState) observe(c *evalCtx) *hit {
	k := s.k
	d, r := destructive(c), k.rewrite(c)
	if !d && !r {
		return nil
	}
	s.buf = k.group.key(c, s.buf)
	v, _ := s.m.get(s.buf, true)
	width := k.p.Window / nBuckets
	var nd, nr int64
	b := c.ev.Time.UnixNano() / int64(width)
	if d {
		nd, _ = v.destructive.add(c.ev.Time, width, 0)
	} else {
		nd, _ = v.destructive.totals(b)
	}
	if r {
		nr, _ = v.rewrites.add(c.ev.Time, width, 0)
	} else {
		nr, _ = v.rewrites.totals(b)
	}
	v.ids.add(c.ev.ID)
	if !v.lastAlert.IsZero() && c.ev.Time.Sub(v.lastAlert) < k.p.Cooldown {
		return nil
	}
	var why string
	switch {
	case k.p.MinDestructive > 0 && nd >= k.p.MinDestructive:
		why = fmt.Sprintf("%d DROP/TRUNCATE/RENAME in %s", nd, k.p.Window)
	case k.p.MinRewrites > 0 && nr >= k.p.MinRewrites:
		why = fmt.Sprintf("%d encryption-like rewrites in %s", nr, k.p.Window)
	default:
		return nil
	}
	v.lastAlert = c.ev.Time
	return &hit{count: nd + nr, ids: v.ids.list(), detail: why}
}

// --- compilation ------------------------------------------------------

// kindNames lists the stateful rule kinds.
var kindNames = []string{"volume", "off_hours", "unknown_source", "export", "large_result", "privilege", "ransomware"}

// compileKind decodes params for kind and checks them; problems go to add.
func compileKind(name string, params *yaml.Node, add func(line int, field, msg string)) kind {
	decode := func(dst any) bool {
		if params.Kind == 0 {
			return true
		}
		var list []Problem
		pr := problems{list: &list}
		checkKeys(params, reflect.TypeOf(dst), "params", pr)
		if err := params.Decode(dst); err != nil {
			reportDecode(err, params.Line, pr)
		}
		for _, p := range list {
			add(p.Line, p.Field, p.Msg)
		}
		return len(list) == 0
	}
	at := func(field string) int { return findLine(params, field) }
	group := func(names []string, def ...string) groupKey {
		g, err := newGroupKey(names, def...)
		if err != nil {
			add(at("group_by"), "params.group_by", err.Error())
		}
		return g
	}
	addrs := func(field string, list []string) addrSet {
		s, err := newAddrSet(list)
		if err != nil {
			add(at(field), "params."+field, err.Error())
		}
		return s
	}
	lower := func(list []string) []string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	switch name {
	case "volume":
		p := volumeParams{Window: 10 * time.Minute}
		if !decode(&p) {
			return nil
		}
		if p.Window < nBuckets*time.Millisecond {
			add(at("window"), "params.window", "window must be at least 12ms")
			return nil
		}
		if p.MinRows <= 0 && p.MinCount <= 0 && p.Baseline == nil {
			add(params.Line, "params", "volume needs min_rows, min_count or baseline")
		}
		if p.Cooldown == 0 {
			p.Cooldown = p.Window
		}
		if bl := p.Baseline; bl != nil {
			if bl.Metric != "" && bl.Metric != "rows" && bl.Metric != "count" {
				add(at("baseline"), "params.baseline.metric", "must be rows or count")
			}
			if bl.Factor <= 1 {
				add(at("baseline"), "params.baseline.factor", "must be > 1")
			}
			if bl.Alpha == 0 {
				bl.Alpha = 0.3
			}
			if bl.Alpha < 0 || bl.Alpha > 1 {
				add(at("baseline"), "params.baseline.alpha", "must be in (0, 1]")
			}
			if bl.MinWindows == 0 {
				bl.MinWindows = 3
			}
		}
		return &volumeKind{p: p, group: group(p.GroupBy, "actor", "database", "object")}
	case "off_hours":
		p := offHoursParams{Timezone: "Asia/Shanghai", Hours: "08:00-20:00", Weekdays: []int{1, 2, 3, 4, 5}, Cooldown: time.Hour}
		if !decode(&p) {
			return nil
		}
		k := &offHoursKind{holidays: map[string]bool{}, workdays: map[string]bool{}, cooldown: p.Cooldown}
		loc, err := time.LoadLocation(p.Timezone)
		if err != nil {
			add(at("timezone"), "params.timezone", fmt.Sprintf("unknown time zone %q", p.Timezone))
			loc = time.UTC
		}
		k.loc = loc
		var ok bool
		if k.from, k.to, ok = parseHours(p.Hours); !ok {
			add(at("hours"), "params.hours", fmt.Sprintf("want HH:MM-HH:MM, got %q", p.Hours))
		}
		for _, d := range p.Weekdays {
			if d < 0 || d > 7 {
				add(at("weekdays"), "params.weekdays", fmt.Sprintf("weekday %d: want 1 (Monday) … 7 (Sunday)", d))
				continue
			}
			k.weekdays[d%7] = true
		}
		for _, set := range []struct {
			name string
			list []string
			m    map[string]bool
		}{{"holidays", p.Holidays, k.holidays}, {"workdays", p.Workdays, k.workdays}} {
			for _, d := range set.list {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					add(at(set.name), "params."+set.name, fmt.Sprintf("want YYYY-MM-DD, got %q", d))
				}
				set.m[d] = true
			}
		}
		k.group = group(p.GroupBy, "actor")
		return k
	case "unknown_source":
		p := unknownParams{Cooldown: 24 * time.Hour}
		if !decode(&p) {
			return nil
		}
		if len(p.AllowClients) == 0 && len(p.AllowActors) == 0 && p.Learn <= 0 {
			add(params.Line, "params", "unknown_source needs allow_clients, allow_actors or learn")
		}
		return &unknownKind{clients: addrs("allow_clients", p.AllowClients), actors: p.AllowActors, learn: p.Learn,
			group: group(p.GroupBy, "actor", "client"), cd: p.Cooldown}
	case "export":
		p := exportParams{DestinationField: "destination", Keywords: []string{"to program", "into outfile", "into dumpfile"}}
		if !decode(&p) {
			return nil
		}
		return &exportKind{p: p, keywords: lower(p.Keywords), group: group(p.GroupBy, "actor")}
	case "large_result":
		p := largeParams{MinRows: 100000, Cooldown: 10 * time.Minute}
		if !decode(&p) {
			return nil
		}
		if p.MinRows <= 0 {
			add(at("min_rows"), "params.min_rows", "must be > 0")
		}
		return &largeKind{minRows: p.MinRows, clients: addrs("allow_clients", p.AllowClients), group: group(p.GroupBy, "actor", "client"), cd: p.Cooldown}
	case "privilege":
		var p privilegeParams
		if !decode(&p) {
			return nil
		}
		return &privilegeKind{admins: p.Admins, keywords: lower(p.Keywords), group: group(p.GroupBy, "actor"), cd: p.Cooldown}
	case "ransomware":
		p := ransomParams{Window: 10 * time.Minute, MinDestructive: 10, MinRewrites: 50, MinEntropy: 3.8,
			RewriteKeywords: []string{"aes_encrypt", "pgp_sym_encrypt", "pgp_pub_encrypt", "encrypt(", "to_base64"}}
		if !decode(&p) {
			return nil
		}
		if p.Window < nBuckets*time.Millisecond {
			add(at("window"), "params.window", "window must be at least 12ms")
			return nil
		}
		if p.Cooldown == 0 {
			p.Cooldown = p.Window
		}
		return &ransomKind{p: p, keywords: lower(p.RewriteKeywords), group: group(p.GroupBy, "actor")}
	}
	add(0, "kind", fmt.Sprintf("unknown kind %q (known: %s)", name, strings.Join(kindNames, ", ")))
	return nil
}

func parseHours(s string) (from, to int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	pm := func(x string) (int, bool) {
		h, m, found := strings.Cut(strings.TrimSpace(x), ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !found || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 {
			return 0, false
		}
		return hh*60 + mm, true
	}
	from, ok1 := pm(a)
	to, ok2 := pm(b)
	return from, to, ok1 && ok2
}

// compileFilter checks a match block.
func compileFilter(r rawFilter, add func(field, msg string)) filter {
	f := filter{success: r.Success}
	for _, a := range r.Actions {
		f.actions = append(f.actions, strings.ToUpper(a))
	}
	for _, c := range r.Classes {
		f.classes = append(f.classes, strings.ToUpper(c))
	}
	for _, l := range r.Levels {
		if l != shuan.LevelCore && l != shuan.LevelImportant && l != shuan.LevelGeneral {
			add("match.levels", fmt.Sprintf("unknown level %q (core, important, general)", l))
		}
		f.levels = append(f.levels, l)
	}
	for _, s := range r.StatementContains {
		f.contains = append(f.contains, strings.ToLower(s))
	}
	f.excludeActors = r.ExcludeActors
	s, err := newAddrSet(r.ExcludeClients)
	if err != nil {
		add("match.exclude_clients", err.Error())
	}
	f.excludeClients = s
	return f
}
