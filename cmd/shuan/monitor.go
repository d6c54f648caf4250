package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/node"
	"github.com/shuan-dev/shuan/sqlstore"
)

func init() {
	register(command{name: "monitor set", summary: "configure the logs an enterprise node watches for risks (风险监测)", run: runMonitorSet})
	register(command{name: "monitor status", summary: "show the monitor configuration and, while serving, its counts", run: runMonitorStatus})
	register(command{name: "incident list", summary: "list incidents with level, status and reporting clocks", run: runIncidentList})
	register(command{name: "incident show", summary: "show one incident: timeline, clocks, reports", run: runIncidentShow})
	register(command{name: "incident transition", summary: "move an incident along the workflow (confirmed|contained|resolved|summarized)", run: runIncidentTransition})
	register(command{name: "incident report", summary: "print an incident's initial or summary report (报告)", run: runIncidentReport})
	register(command{name: "incident regrade", summary: "record established facts (PI affected, outage, loss, threat) and grade again", run: runIncidentRegrade})
	register(command{name: "incident stix", summary: "export stored alerts and incidents as a STIX 2.1 bundle (MISP, OpenCTI)", run: runIncidentSTIX})
	register(command{name: "warning send", summary: "send a colour-coded warning (预警 红/橙/黄/蓝) down", run: runWarningSend})
	register(command{name: "warning list", summary: "list warnings sent or received", run: runWarningList})
}

// splitList splits a comma-separated flag value; "" yields nil.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runMonitorSet(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "monitor set")
	dir := dataFlag(fs)
	pg := fs.String("pgaudit", "", "PostgreSQL server log `FILES` with pgaudit lines (comma-separated)")
	pgcsv := fs.String("pgaudit-csv", "", "PostgreSQL csvlog `FILES`")
	prefix := fs.String("pgaudit-prefix", "", "the server's log_line_prefix (default "+fmt.Sprintf("%q", "%m [%p] %q%u@%d %r ")+")")
	maria := fs.String("mariadb", "", "MariaDB/MySQL server_audit log `FILES`")
	nd := fs.String("ndjson", "", "NDJSON event `FILES`")
	syslog := fs.String("syslog", "", "syslog listener `URLS`: udp://HOST:PORT, tcp://…, tls://…")
	ndListen := fs.String("ndjson-listen", "", "`ADDR` serving NDJSON over HTTPS at /ingest/v1/events")
	ndToken := fs.String("ndjson-token", "", "bearer `TOKEN` for the NDJSON listener (16+ characters)")
	fromStart := fs.Bool("from-start", false, "read files without a saved position from the beginning (default: from the end)")
	tz := fs.String("time-zone", "", "zone of timestamps without one (default Asia/Shanghai)")
	rules := fs.String("rules-dir", "", "`DIR` of rule packs replacing or adding to the shipped ones (thresholds, working hours, allow-lists)")
	allowClients := fs.String("allow-clients", "", "known client `ADDRS` or CIDR prefixes (no unknown-client or large-result alerts)")
	allowActors := fs.String("allow-actors", "", "known `ACCOUNTS` (no unknown-client or large-result alerts)")
	hours := fs.String("working-hours", "", "`HH:MM-HH:MM` on weekdays; widens the packs' working hours")
	icfg := fs.String("incident-config", "", "grading table `FILE` replacing the built-in one")
	refresh := fs.String("refresh", "", "how often catalog levels are reloaded (default 30s)")
	siem := fs.String("siem", "", "forward alerts as CEF over syslog to `URL` udp://HOST:PORT or tcp://HOST:PORT")
	off := fs.Bool("off", false, "stop monitoring, keeping the configuration")
	clear := fs.Bool("clear", false, "start from an empty configuration")
	jsonOut := fs.Bool("json", false, "print the resulting configuration as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: shuan monitor set --data DIR [flags]")
		fmt.Fprintln(env.Stderr, "Flags not given keep their current value; a serving node picks the change up within seconds.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	m := r.Cfg.Monitor
	r.Close()
	if *clear {
		m = node.MonitorConfig{}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "pgaudit":
			m.Pgaudit = splitList(*pg)
		case "pgaudit-csv":
			m.PgauditCSV = splitList(*pgcsv)
		case "pgaudit-prefix":
			m.PgauditPrefix = *prefix
		case "mariadb":
			m.MariaDB = splitList(*maria)
		case "ndjson":
			m.NDJSON = splitList(*nd)
		case "syslog":
			m.Syslog = splitList(*syslog)
		case "ndjson-listen":
			m.NDJSONListen = *ndListen
		case "ndjson-token":
			m.NDJSONToken = *ndToken
		case "from-start":
			m.FromStart = *fromStart
		case "time-zone":
			m.TimeZone = *tz
		case "rules-dir":
			m.RulesDir = *rules
		case "allow-clients":
			m.AllowClients = splitList(*allowClients)
		case "allow-actors":
			m.AllowActors = splitList(*allowActors)
		case "working-hours":
			m.WorkingHours = *hours
		case "incident-config":
			m.IncidentConfig = *icfg
		case "refresh":
			m.Refresh = *refresh
		case "siem":
			m.SIEM = *siem
		case "off":
			m.Off = *off
		}
	})
	if err := node.SetMonitor(*dir, m); err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, m)
	}
	fmt.Fprintf(env.Stdout, "monitor: %d pgaudit, %d csvlog, %d mariadb, %d ndjson files, %d syslog listeners; enabled %v\n",
		len(m.Pgaudit), len(m.PgauditCSV), len(m.MariaDB), len(m.NDJSON), len(m.Syslog), m.Enabled())
	return nil
}

func runMonitorStatus(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "monitor status")
	dir := dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	st, err := r.MonitorStatus(ctx)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, st)
	}
	m := st.Config
	fmt.Fprintf(env.Stdout, "enabled:  %v\n", m.Enabled())
	for _, l := range [][2]any{{"pgaudit", m.Pgaudit}, {"csvlog", m.PgauditCSV}, {"mariadb", m.MariaDB}, {"ndjson", m.NDJSON}, {"syslog", m.Syslog}} {
		if v := l[1].([]string); len(v) > 0 {
			fmt.Fprintf(env.Stdout, "%-9s %s\n", l[0].(string)+":", strings.Join(v, ", "))
		}
	}
	if m.NDJSONListen != "" {
		fmt.Fprintf(env.Stdout, "https:    %s\n", m.NDJSONListen)
	}
	if m.RulesDir != "" {
		fmt.Fprintf(env.Stdout, "rules:    %s\n", m.RulesDir)
	}
	if st.Running || !st.Saved.IsZero() {
		fmt.Fprintf(env.Stdout, "running:  %v since %s; pack %s %s; %d important/core objects known\n", st.Running,
			st.Since.Local().Format("2006-01-02 15:04:05"), st.Pack.Name, st.Pack.Version, st.Objects)
		fmt.Fprintf(env.Stdout, "events:   %d read, %d alerts raised\n", st.Events, st.Alerts)
		for _, c := range st.Inputs {
			fmt.Fprintf(env.Stdout, "  %-14s %-40s records %d, events %d, malformed %d, skipped %d\n", c.Source, c.Origin, c.Records, c.Events, c.Malformed, c.Skipped)
		}
	} else {
		fmt.Fprintln(env.Stdout, "running:  no (the node is not serving, or not yet)")
	}
	if st.Error != "" {
		fmt.Fprintf(env.Stdout, "error:    %s\n", st.Error)
	}
	alerts, _ := r.Alerts(ctx, "", 0)
	open, _ := r.Incidents(ctx, sqlstore.IncidentFilter{Open: true})
	fmt.Fprintf(env.Stdout, "alerts:   %d stored; open incidents: %d\n", len(alerts), len(open))
	return nil
}

// clockText renders a reporting clock at now: remaining or overdue.
func clockText(c incident.Clock, now time.Time) string {
	switch {
	case c.Pending:
		return c.Name + " 待开始"
	case c.Overdue(now):
		return fmt.Sprintf("%s 已超时 %s", c.Name, now.Sub(c.Due).Truncate(time.Second))
	default:
		return fmt.Sprintf("%s 剩余 %s", c.Name, c.Remaining(now).Truncate(time.Second))
	}
}

// nextClock is the first running clock of an incident not closed.
func nextClock(rec sqlstore.IncidentRecord, now time.Time) string {
	if rec.Incident.Closed() {
		return "—"
	}
	for _, c := range rec.Clocks {
		if !c.Pending && c.Due.After(now) {
			return clockText(c, now)
		}
	}
	for _, c := range rec.Clocks {
		if c.Overdue(now) {
			return clockText(c, now)
		}
	}
	return "—"
}

func runIncidentList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident list")
	dir := dataFlag(fs)
	region := fs.String("region", "", "GB/T 2260 region code (320000 covers 32xxxx)")
	industry := fs.String("industry", "", "GB/T 4754 industry prefix")
	level := fs.String("level", "", "particularly_major | major | larger | general")
	status := fs.String("status", "", "detected | confirmed | contained | resolved | summarized")
	open := fs.Bool("open", false, "only incidents not summarized")
	limit := fs.Int("limit", 100, "at most `N` incidents")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	list, err := r.Incidents(ctx, sqlstore.IncidentFilter{Region: *region, Industry: *industry, Level: *level, Status: *status, Open: *open, Limit: *limit})
	if err != nil {
		return err
	}
	if *jsonOut {
		if list == nil {
			list = []sqlstore.IncidentRecord{}
		}
		return writeJSON(env.Stdout, list)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tSTATUS\tENTERPRISE\tREGION\tRISKS\tDISCOVERED\tCLOCK\tTITLE")
	for _, rec := range list {
		in := rec.Incident
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Grading.LevelZH, in.Status, rec.NodeName, rec.Region,
			strings.Join(in.Risks, ","), in.Discovered.Local().Format("2006-01-02 15:04"), nextClock(rec, now), in.Title)
	}
	return tw.Flush()
}

func runIncidentShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident show")
	dir := dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shuan incident show --data DIR ID", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	rec, err := r.Incident(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rec)
	}
	in, now := rec.Incident, time.Now()
	w := env.Stdout
	fmt.Fprintf(w, "%s  %s\n", in.ID, in.Title)
	fmt.Fprintf(w, "级别 level:   %s (%s), 预警 %s\n", in.Grading.LevelZH, in.Grading.Level, incident.ColourZH(in.Grading.Warning))
	fmt.Fprintf(w, "状态 status:  %s   revision %d\n", in.Status, rec.Revision)
	fmt.Fprintf(w, "企业 node:    %s (%s %s)\n", rec.NodeName, rec.Region, rec.Industry)
	fmt.Fprintf(w, "风险 risks:   %s; severity %s; data level %s\n", strings.Join(in.Risks, ", "), in.Severity, in.Facts.DataLevel)
	fmt.Fprintf(w, "账号 actors:  %s; clients %s\n", strings.Join(in.Actors, ", "), strings.Join(in.Clients, ", "))
	fmt.Fprintf(w, "对象 objects: %s\n", strings.Join(in.Objects, ", "))
	fmt.Fprintf(w, "告警 alerts:  %d\n", in.AlertCount)
	fmt.Fprintln(w, "时限 clocks:")
	for _, c := range rec.Clocks {
		fmt.Fprintf(w, "  %s [%s]\n", clockText(c, now), c.Flag)
	}
	fmt.Fprintln(w, "时间线 timeline:")
	for _, s := range in.Timeline {
		fmt.Fprintf(w, "  %s  %-8s %-10s %s→%s  %s\n", s.Time.Local().Format("2006-01-02 15:04:05"), s.Actor, s.Kind, s.From, s.To, s.Note)
	}
	return nil
}

func runIncidentTransition(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident transition")
	dir := dataFlag(fs)
	note := fs.String("note", "", "what was done (the root cause when summarizing)")
	as := fs.String("as", "", "console `USER` making the change (default: the operator)")
	jsonOut := fs.Bool("json", false, "print the new record as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("%w: shuan incident transition --data DIR [--note TEXT] [--as USER] ID confirmed|contained|resolved|summarized", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	u, err := r.CatalogUser(ctx, *as, shuan.PermSendNotice)
	if err != nil {
		return err
	}
	rec, err := r.TransitionIncident(ctx, u, fs.Arg(0), incident.Status(fs.Arg(1)), *note)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rec)
	}
	fmt.Fprintf(env.Stdout, "%s → %s (revision %d, queued for the parent)\n", rec.Incident.ID, rec.Incident.Status, rec.Revision)
	return nil
}

func runIncidentReport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident report")
	dir := dataFlag(fs)
	summary := fs.Bool("summary", false, "the summary report (after summarized) instead of the initial report")
	html := fs.Bool("html", false, "print HTML")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shuan incident report --data DIR ID [--summary] [--html|--json]", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	rec, err := r.Incident(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	var text string
	switch {
	case *summary && rec.Summary == nil:
		return shuan.Errorf(shuan.EINVALID, "incident %s has no summary report yet (status %s)", rec.Incident.ID, rec.Incident.Status)
	case *summary && *jsonOut:
		return writeJSON(env.Stdout, rec.Summary)
	case *jsonOut:
		return writeJSON(env.Stdout, rec.Initial)
	case *summary && *html:
		text, err = rec.Summary.HTML()
	case *summary:
		text, err = rec.Summary.Text()
	case *html:
		text, err = rec.Initial.HTML()
	default:
		text, err = rec.Initial.Text()
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, text)
	return nil
}

func runWarningSend(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "warning send")
	dir := dataFlag(fs)
	colour := fs.String("colour", "", "red | orange | yellow | blue (红/橙/黄/蓝; required)")
	title := fs.String("title", "", "title (required)")
	text := fs.String("text", "", "text (required)")
	risk := fs.String("risk", "", "risk type, e.g. leakage, ransomware")
	target := fs.String("target", "all", "all | region:CODE | industry:CODE | node:ID (comma-separated)")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 72h (default: until lifted)")
	jsonOut := fs.Bool("json", false, "print the warning as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t, err := parseTarget(*target)
	if err != nil {
		return err
	}
	c := map[string]string{"红": "red", "橙": "orange", "黄": "yellow", "蓝": "blue"}[*colour]
	if c == "" {
		c = *colour
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	wb := fed.WarningBody{Colour: c, Title: *title, Text: *text, Risk: *risk, Target: t}
	if *expires > 0 {
		wb.Expires = time.Now().UTC().Add(*expires)
	}
	w, err := r.SendWarning(ctx, shuan.User{}, wb)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, w)
	}
	fmt.Fprintln(env.Stdout, w.ID)
	return nil
}

func runWarningList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "warning list")
	dir := dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	ws, err := r.Warnings(ctx, 0)
	if err != nil {
		return err
	}
	if *jsonOut {
		if ws == nil {
			ws = []sqlstore.WarningRecord{}
		}
		return writeJSON(env.Stdout, ws)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCOLOUR\tISSUED\tFROM\tTITLE")
	for _, w := range ws {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.ID, incident.ColourZH(w.Colour), w.Issued.Local().Format("2006-01-02 15:04"), w.OriginName, w.Title)
	}
	return tw.Flush()
}

func runIncidentRegrade(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident regrade")
	dir := dataFlag(fs)
	pi := fs.Int64("pi", 0, "people whose personal information is affected")
	spi := fs.Int64("sensitive-pi", 0, "people whose sensitive personal information is affected")
	outage := fs.Float64("outage-hours", 0, "hours of business interruption")
	loss := fs.Float64("loss-cny", 0, "direct economic loss in yuan")
	threat := fs.String("threat", "", "threat to national security or public interest, as in the grading table (e.g. serious, fairly_serious)")
	level := fs.String("data-level", "", "data level involved when higher than detected (important, core)")
	note := fs.String("note", "", "basis of the new facts")
	as := fs.String("as", "", "console `USER` making the change (default: the operator)")
	jsonOut := fs.Bool("json", false, "print the new record as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shuan incident regrade --data DIR [flags] ID", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	u, err := r.CatalogUser(ctx, *as, shuan.PermSendNotice)
	if err != nil {
		return err
	}
	rec, err := r.RegradeIncident(ctx, u, fs.Arg(0), incident.Facts{DataLevel: *level, Threat: *threat, PI: *pi, SensitivePI: *spi,
		OutageHours: *outage, LossCNY: *loss}, *note)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rec)
	}
	fmt.Fprintf(env.Stdout, "%s: %s (revision %d, queued for the parent)\n", rec.Incident.ID, rec.Incident.Grading.LevelZH, rec.Revision)
	return nil
}

func runIncidentSTIX(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "incident stix")
	dir := dataFlag(fs)
	id := fs.String("id", "", "only this incident (default: all stored)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	recs, err := r.Incidents(ctx, sqlstore.IncidentFilter{})
	if err != nil {
		return err
	}
	var ins []*incident.Incident
	want := map[string]bool{}
	for i := range recs {
		if *id == "" || recs[i].Incident.ID == *id {
			ins = append(ins, &recs[i].Incident)
			want[recs[i].Incident.ID] = true
		}
	}
	if *id != "" && len(ins) == 0 {
		return shuan.Errorf(shuan.ENOTFOUND, "incident %s not found", *id)
	}
	stored, err := r.Alerts(ctx, "", 0)
	if err != nil {
		return err
	}
	var alerts []detect.Alert
	for _, a := range stored {
		if want[a.IncidentID] {
			alerts = append(alerts, a.Alert)
		}
	}
	var rules []detect.RuleInfo
	if eng, err := detect.Load(detect.Options{}); err == nil {
		rules = eng.Rules()
	}
	return writeJSON(env.Stdout, incident.ExportSTIX(incident.Identity{Name: r.Cfg.Name}, alerts, rules, ins))
}
