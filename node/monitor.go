package node

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/ingest"
	"github.com/shuan-dev/shuan/sqlstore"
)

// Monitoring records as the console and CLI see them; they are stored by
// sqlstore and named here so that callers need not import the store.
type (
	// IncidentRecord is an incident with its revision, origin and reports.
	IncidentRecord = sqlstore.IncidentRecord
	// IncidentFilter selects incidents.
	IncidentFilter = sqlstore.IncidentFilter
	// StoredAlert is a detection alert as stored at the enterprise.
	StoredAlert = sqlstore.StoredAlert
	// WarningRecord is a warning (预警) as stored at any tier.
	WarningRecord = sqlstore.WarningRecord
)

// MonitorConfig says which logs a node watches for risks (issue 5). Only
// enterprise nodes monitor; the serving node picks up changes to node.json
// within a few seconds.
type MonitorConfig struct {
	// Pgaudit are PostgreSQL server logs (stderr format) with pgaudit lines.
	Pgaudit []string `json:"pgaudit,omitempty"`
	// PgauditCSV are PostgreSQL csvlog files.
	PgauditCSV []string `json:"pgaudit_csv,omitempty"`
	// PgauditPrefix is the server's log_line_prefix; empty means ingest.DefaultPrefix.
	PgauditPrefix string `json:"pgaudit_prefix,omitempty"`
	// MariaDB are server_audit plugin log files (MariaDB or MySQL).
	MariaDB []string `json:"mariadb,omitempty"`
	// NDJSON are files of one JSON event per line.
	NDJSON []string `json:"ndjson,omitempty"`
	// Syslog are listener URLs: udp://HOST:PORT, tcp://HOST:PORT or
	// tls://HOST:PORT (TLS with the node's certificate).
	Syslog []string `json:"syslog,omitempty"`
	// NDJSONListen, with NDJSONToken, serves ingest.HandlerPath over HTTPS
	// (the node's certificate) at this address.
	NDJSONListen string `json:"ndjson_listen,omitempty"`
	NDJSONToken  string `json:"ndjson_token,omitempty"`
	// FromStart reads files without a saved position from their beginning;
	// by default they are read from their current end.
	FromStart bool `json:"from_start,omitempty"`
	// TimeZone is the zone of log timestamps that carry none; empty means Asia/Shanghai.
	TimeZone string `json:"time_zone,omitempty"`
	// RulesDir holds rule packs that replace or add to the shipped ones
	// (thresholds, working hours, allow-lists: see detect/packs).
	RulesDir string `json:"rules_dir,omitempty"`
	// AllowClients (addresses or CIDR prefixes) and AllowActors (accounts)
	// are known: alerts of the unknown_source and large_result rules about
	// them are dropped.
	AllowClients []string `json:"allow_clients,omitempty"`
	AllowActors  []string `json:"allow_actors,omitempty"`
	// WorkingHours, "08:00-18:00" in TimeZone on Monday to Friday, widens
	// the shipped packs' working hours: off_hours alerts inside it are
	// dropped. Narrower hours need a pack in RulesDir.
	WorkingHours string `json:"working_hours,omitempty"`
	// IncidentConfig is a grading table file replacing the built-in one.
	IncidentConfig string `json:"incident_config,omitempty"`
	// Refresh is how often the catalog and scan levels are reloaded (Go
	// duration); empty means 30s.
	Refresh string `json:"refresh,omitempty"`
	// SIEM forwards every alert as CEF over syslog to an existing SIEM:
	// udp://HOST:PORT or tcp://HOST:PORT.
	SIEM string `json:"siem,omitempty"`
	// Off stops monitoring without forgetting the configuration.
	Off bool `json:"off,omitempty"`
}

// Enabled reports whether the configuration names any input.
func (m MonitorConfig) Enabled() bool {
	return !m.Off && len(m.Pgaudit)+len(m.PgauditCSV)+len(m.MariaDB)+len(m.NDJSON)+len(m.Syslog) > 0 ||
		!m.Off && m.NDJSONListen != "" && m.NDJSONToken != ""
}

func (m MonitorConfig) refresh() time.Duration {
	d, err := time.ParseDuration(m.Refresh)
	if err != nil || d <= 0 {
		return 30 * time.Second
	}
	return d
}

func (m MonitorConfig) location() (*time.Location, error) {
	tz := m.TimeZone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil && m.TimeZone == "" {
		return time.FixedZone("CST", 8*3600), nil
	}
	return loc, err
}

// Validate reports the first problem of a monitor configuration.
func (m MonitorConfig) Validate() error {
	if _, err := m.location(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "time zone %q: %v", m.TimeZone, err)
	}
	if m.Refresh != "" {
		if d, err := time.ParseDuration(m.Refresh); err != nil || d < 100*time.Millisecond {
			return shuan.Errorf(shuan.EINVALID, "refresh %q must be a duration of at least 100ms", m.Refresh)
		}
	}
	for _, u := range m.Syslog {
		if !strings.HasPrefix(u, "udp://") && !strings.HasPrefix(u, "tcp://") && !strings.HasPrefix(u, "tls://") {
			return shuan.Errorf(shuan.EINVALID, "syslog listener %q: want udp://, tcp:// or tls://HOST:PORT", u)
		}
	}
	if _, err := m.policy(); err != nil {
		return err
	}
	if m.SIEM != "" {
		if _, _, err := parseSIEM(m.SIEM); err != nil {
			return err
		}
	}
	if (m.NDJSONListen == "") != (m.NDJSONToken == "") {
		return shuan.Errorf(shuan.EINVALID, "the NDJSON listener needs both an address and a token")
	}
	if m.NDJSONToken != "" && len(m.NDJSONToken) < 16 {
		return shuan.Errorf(shuan.EINVALID, "the NDJSON token must be at least 16 characters")
	}
	return nil
}

// alertPolicy drops the alerts the enterprise declared expected.
type alertPolicy struct {
	clients  []netip.Prefix
	actors   map[string]bool
	loc      *time.Location
	from, to int // minutes after midnight; from == to means none
}

func (m MonitorConfig) policy() (*alertPolicy, error) {
	p := &alertPolicy{actors: map[string]bool{}}
	for _, c := range m.AllowClients {
		pf, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return nil, shuan.Errorf(shuan.EINVALID, "allowed client %q is neither an address nor a CIDR prefix", c)
			}
			pf = netip.PrefixFrom(a, a.BitLen())
		}
		p.clients = append(p.clients, pf.Masked())
	}
	for _, a := range m.AllowActors {
		p.actors[a] = true
	}
	if m.WorkingHours != "" {
		a, b, ok := strings.Cut(m.WorkingHours, "-")
		from, err1 := time.Parse("15:04", strings.TrimSpace(a))
		to, err2 := time.Parse("15:04", strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || !to.After(from) {
			return nil, shuan.Errorf(shuan.EINVALID, "working hours %q: want HH:MM-HH:MM, e.g. 08:00-18:00", m.WorkingHours)
		}
		p.from, p.to = from.Hour()*60+from.Minute(), to.Hour()*60+to.Minute()
	}
	loc, err := m.location()
	if err != nil {
		return nil, shuan.Errorf(shuan.EINVALID, "time zone %q: %v", m.TimeZone, err)
	}
	p.loc = loc
	return p, nil
}

// drop reports whether an alert is about access the enterprise declared expected.
func (p *alertPolicy) drop(a detect.Alert) bool {
	if p == nil {
		return false
	}
	switch a.Family {
	case "unknown_source", "large_result":
		if a.Actor != "" && p.actors[a.Actor] {
			return true
		}
		if ip, err := netip.ParseAddr(a.Client); err == nil {
			for _, pf := range p.clients {
				if pf.Contains(ip.Unmap()) {
					return true
				}
			}
		}
	case "off_hours":
		if p.from == p.to {
			return false
		}
		t := a.Time.In(p.loc)
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return false
		}
		min := t.Hour()*60 + t.Minute()
		return min >= p.from && min < p.to
	}
	return false
}

// SetMonitor replaces the monitor configuration in the node's data directory.
func SetMonitor(dir string, m MonitorConfig) error {
	if err := m.Validate(); err != nil {
		return err
	}
	c, err := readConfig(dir)
	if err != nil {
		return err
	}
	if c.Role != shuan.RoleEnterprise {
		return shuan.Errorf(shuan.EINVALID, "only enterprise nodes monitor logs; this is a %s node", c.Role)
	}
	c.Monitor = m
	return writeConfig(dir, c)
}

// SetMonitor replaces the monitor configuration and, while the node serves,
// restarts monitoring with it at once.
func (r *Runtime) SetMonitor(m MonitorConfig) error {
	if err := SetMonitor(r.Dir, m); err != nil {
		return err
	}
	if st := r.monState(); st != nil {
		select {
		case st.reload <- struct{}{}:
		default:
		}
	}
	return nil
}

// monitors holds the state of each serving runtime's monitor.
var monitors sync.Map // *Runtime → *monState

type sentState struct {
	rev      int64
	level    string
	severity string
	risks    int
	data     string
	first    time.Time
}

// monState is the live state of one node's monitor.
type monState struct {
	mu      sync.Mutex // serialises alerts and workflow changes
	icfg    *incident.Config
	co      *incident.Correlator
	sent    map[string]sentState
	cat     *levelCatalog
	reload  chan struct{}
	running atomic.Bool

	engine  atomic.Pointer[detect.Engine]
	siem    atomic.Pointer[siemForwarder]
	policy  atomic.Pointer[alertPolicy]
	stats   atomic.Pointer[ingest.Stats]
	events  atomic.Int64
	alerts  atomic.Int64
	lastErr atomic.Value // string
	started atomic.Int64 // unix microseconds of the current run's start
}

func (r *Runtime) monState() *monState {
	if v, ok := monitors.Load(r); ok {
		return v.(*monState)
	}
	return nil
}

// incidentConfig loads the grading table: the configured file or the built-in one.
func incidentConfig(m MonitorConfig) (*incident.Config, error) {
	var data []byte
	if m.IncidentConfig != "" {
		b, err := readFileLimited(m.IncidentConfig)
		if err != nil {
			return nil, err
		}
		data = b
	} else {
		data = incident.DefaultConfig()
	}
	return incident.ParseConfig(data)
}

// monitor runs the node's log ingestion and detection until ctx ends. It
// restarts the inputs whenever the monitor configuration changes.
func (r *Runtime) monitor(ctx context.Context) {
	if r.Cfg.Role != shuan.RoleEnterprise {
		return
	}
	st := &monState{sent: map[string]sentState{}, reload: make(chan struct{}, 1), cat: &levelCatalog{}}
	icfg, err := incidentConfig(r.Cfg.Monitor)
	if err != nil {
		r.Log.Error("monitor: incident configuration; using the built-in table", "err", err)
		icfg, _ = incident.ParseConfig(incident.DefaultConfig())
	}
	st.icfg, st.co = icfg, incident.NewCorrelator(icfg)
	monitors.Store(r, st)
	defer monitors.Delete(r)

	cur := r.Cfg.Monitor
	for ctx.Err() == nil {
		if c, err := readConfig(r.Dir); err == nil {
			cur = c.Monitor
		}
		packs, _ := r.DB.Setting(ctx, "rulepacks")
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		if cur.Enabled() {
			st.running.Store(true)
			go func() { done <- r.runMonitor(rctx, st, cur) }()
		} else {
			close(done)
		}
		changed := false
		var retry <-chan time.Time
		tick := time.NewTicker(2 * time.Second)
		for !changed && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-st.reload:
				changed = true
			case <-retry:
				changed = true // start again after a failure, e.g. the store was briefly unavailable
			case err, ok := <-done:
				if ok && err != nil && ctx.Err() == nil {
					r.Log.Error("monitor stopped; retrying in 10s", "err", err)
					st.lastErr.Store(err.Error())
					retry = time.After(10 * time.Second)
				}
				st.running.Store(false)
				done = nil
			case <-tick.C:
				if c, err := readConfig(r.Dir); err == nil && !reflect.DeepEqual(c.Monitor, cur) {
					changed = true
				}
				if p, err := r.DB.Setting(ctx, "rulepacks"); err == nil && p != packs {
					changed = true // a rule pack arrived from above
				}
				r.saveMonitorStatus(ctx)
			}
		}
		tick.Stop()
		cancel()
		if done != nil {
			<-done
		}
		st.running.Store(false)
	}
}

// runMonitor runs one configuration's inputs until ctx ends.
func (r *Runtime) runMonitor(ctx context.Context, st *monState, m MonitorConfig) error {
	loc, err := m.location()
	if err != nil {
		return err
	}
	opts := ingest.Options{Location: loc, Prefix: m.PgauditPrefix}
	if opts.Prefix == "" {
		opts.Prefix = ingest.DefaultPrefix
	}
	if err := st.cat.refresh(ctx, r); err != nil {
		r.Log.Warn("monitor: catalog levels", "err", err)
	}
	var dirs []string
	if m.RulesDir != "" {
		dirs = append(dirs, m.RulesDir)
	}
	held, err := r.writeHeldPacks(ctx)
	if err != nil {
		return err
	}
	if held != "" {
		dirs = append(dirs, held)
	}
	eng, err := detect.Load(detect.Options{Catalog: st.cat}, dirs...)
	if err != nil {
		return fmt.Errorf("rule packs: %w", err)
	}
	st.engine.Store(eng)
	pol, err := m.policy()
	if err != nil {
		return err
	}
	st.policy.Store(pol)
	if m.SIEM != "" {
		f, err := newSIEMForwarder(m.SIEM, r.Version)
		if err != nil {
			return err
		}
		st.siem.Store(f)
		defer func() { st.siem.Store(nil); f.Close() }()
	}
	pos, err := ingest.OpenPositions(filepath.Join(r.Dir, "monitor"))
	if err != nil {
		return err
	}
	stats := &ingest.Stats{}
	st.stats.Store(stats)
	st.started.Store(r.Now().UnixMicro())
	var inputs []ingest.Input
	add := func(format string, paths []string) error {
		for _, p := range paths {
			ps, err := ingest.NewParser(format, opts)
			if err != nil {
				return err
			}
			inputs = append(inputs, &ingest.Tailer{Path: p, Parser: ps, Positions: pos, Stats: stats, FromEnd: !m.FromStart, Poll: 200 * time.Millisecond})
		}
		return nil
	}
	for _, f := range []struct {
		format string
		paths  []string
	}{{"pgaudit", m.Pgaudit}, {"pgaudit_csv", m.PgauditCSV}, {"mariadb_audit", m.MariaDB}, {"ndjson", m.NDJSON}} {
		if err := add(f.format, f.paths); err != nil {
			return err
		}
	}
	tlsCfg := func() *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.cert.get(), nil }}
	}
	for _, u := range m.Syslog {
		var tc *tls.Config
		if strings.HasPrefix(u, "tls://") {
			tc = tlsCfg()
		}
		l, err := ingest.Listen(u, tc, opts, stats)
		if err != nil {
			return fmt.Errorf("syslog listener %s: %w", u, err)
		}
		inputs = append(inputs, l)
	}
	sink := func(ctx context.Context, evs []shuan.Event) error { return r.ingestEvents(ctx, st, evs) }
	if m.NDJSONListen != "" && m.NDJSONToken != "" {
		ln, err := net.Listen("tcp", m.NDJSONListen)
		if err != nil {
			return fmt.Errorf("NDJSON listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle(ingest.HandlerPath, &ingest.Handler{Token: m.NDJSONToken, Sink: sink, Stats: stats, Options: opts})
		hs := &http.Server{Handler: mux, TLSConfig: tlsCfg(), ReadHeaderTimeout: 10 * time.Second}
		go hs.ServeTLS(ln, "", "")
		defer hs.Close()
		r.Log.Info("monitor: NDJSON over HTTPS", "addr", ln.Addr().String())
	}
	go func() {
		t := time.NewTicker(m.refresh())
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := st.cat.refresh(ctx, r); err != nil && ctx.Err() == nil {
					r.Log.Warn("monitor: catalog levels", "err", err)
				}
			}
		}
	}()
	r.Log.Info("monitor running", "inputs", len(inputs), "pack", eng.Pack().Version)
	if len(inputs) == 0 {
		<-ctx.Done()
		return nil
	}
	p := &ingest.Pipeline{Inputs: inputs, Sink: sink}
	err = p.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// ingestEvents runs a batch of events through detection and incident handling.
func (r *Runtime) ingestEvents(ctx context.Context, st *monState, evs []shuan.Event) error {
	eng := st.engine.Load()
	if eng == nil {
		return nil
	}
	st.events.Add(int64(len(evs)))
	pol := st.policy.Load()
	for i := range evs {
		for _, a := range eng.Process(&evs[i]) {
			if pol.drop(a) {
				continue
			}
			if err := r.onAlert(ctx, st, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// onAlert stores an alert (once), joins it to an incident and, when the
// incident is new or its grade, severity or risks changed, reports a new
// revision upward.
func (r *Runtime) onAlert(ctx context.Context, st *monState, a detect.Alert) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	seen, err := r.DB.HasAlert(ctx, a.ID)
	if err != nil || seen {
		return err
	}
	st.alerts.Add(1)
	in, created := st.co.Add(a)
	prev := st.sent[in.ID]
	report := created || prev.level != in.Grading.Level || prev.severity != in.Severity ||
		prev.risks != len(in.Risks) || prev.data != in.Facts.DataLevel
	now := r.Now().UTC()
	if f := st.siem.Load(); f != nil {
		if err := f.Send(a); err != nil {
			r.Log.Warn("monitor: forward to SIEM", "err", err)
		}
	}
	return r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if _, err := tx.SaveAlert(ctx, a, in.ID); err != nil {
			return err
		}
		var summary *incident.SummaryReport
		if !created {
			// Another process (the CLI) may have moved the workflow on:
			// the stored record is the truth for status and timeline.
			if old, err := tx.FindIncident(ctx, in.ID); err == nil {
				if old.Revision > prev.rev {
					in.Status, in.Resolved, in.Timeline = old.Incident.Status, old.Incident.Resolved, old.Incident.Timeline
					if old.Incident.Facts != in.Facts {
						in.Facts.PI, in.Facts.SensitivePI = old.Incident.Facts.PI, old.Incident.Facts.SensitivePI
						in.Facts.OutageHours, in.Facts.LossCNY, in.Facts.Threat = old.Incident.Facts.OutageHours, old.Incident.Facts.LossCNY, old.Incident.Facts.Threat
						in.Grading = st.icfg.Grade(in.Facts)
					}
					prev.rev = old.Revision
				}
				if prev.first.IsZero() {
					prev.first = old.Initial.ReportedAt
				}
				summary = old.Summary
			}
		}
		rev := max(prev.rev, 1)
		if report && prev.rev > 0 {
			rev = prev.rev + 1
		}
		if prev.first.IsZero() {
			prev.first = now
		}
		rec := r.incidentRecord(st, in, rev, prev.first, now)
		rec.Summary = summary
		if _, err := tx.SaveIncident(ctx, rec); err != nil {
			return err
		}
		if report {
			if err := r.reportIncident(ctx, tx, rec, now); err != nil {
				return err
			}
			action := "incident.update"
			if created {
				action = "incident.detected"
			}
			if _, err := tx.AppendAudit(ctx, now, "system", action, in.ID, fmt.Sprintf("r%d %s %s", rev, in.Grading.LevelZH, in.Title)); err != nil {
				return err
			}
		}
		st.sent[in.ID] = sentState{rev: rev, level: in.Grading.Level, severity: in.Severity, risks: len(in.Risks), data: in.Facts.DataLevel, first: prev.first}
		return nil
	})
}

// reportIncident queues an incident revision for the parent.
func (r *Runtime) reportIncident(ctx context.Context, tx *sqlstore.Store, rec sqlstore.IncidentRecord, now time.Time) error {
	if r.Cfg.Parent == "" {
		return nil
	}
	_, err := fed.SendUp(ctx, tx, r.SignKey, r.Cfg.ID, fed.KindIncident, rec, now)
	if err == nil {
		defer r.wake()
	}
	return err
}

// incidentRecord snapshots an incident (a deep copy) with its clocks and
// initial report.
func (r *Runtime) incidentRecord(st *monState, in *incident.Incident, rev int64, first, now time.Time) sqlstore.IncidentRecord {
	var cp incident.Incident
	b, _ := json.Marshal(in)
	json.Unmarshal(b, &cp)
	return sqlstore.IncidentRecord{Incident: cp, Revision: rev, NodeID: r.Cfg.ID, NodeName: r.Cfg.Name, Region: r.Cfg.Region,
		Industry: r.Cfg.Industry, Clocks: st.icfg.ClocksFor(&cp), Initial: incident.NewInitialReport(&cp, r.Cfg.Name, first), Sent: now}
}

// Incidents returns the incidents known here: at an enterprise its own, at
// a province or the ministry those reported up from below.
func (r *Runtime) Incidents(ctx context.Context, f sqlstore.IncidentFilter) ([]sqlstore.IncidentRecord, error) {
	return r.DB.FindIncidents(ctx, f)
}

// Incident returns one incident record.
func (r *Runtime) Incident(ctx context.Context, id string) (sqlstore.IncidentRecord, error) {
	return r.DB.FindIncident(ctx, id)
}

// Alerts returns up to limit recent alerts raised here (risk "" for all).
func (r *Runtime) Alerts(ctx context.Context, risk string, limit int) ([]sqlstore.StoredAlert, error) {
	return r.DB.FindAlerts(ctx, risk, limit)
}

// Warnings returns up to limit warnings sent from or received at this node.
func (r *Runtime) Warnings(ctx context.Context, limit int) ([]sqlstore.WarningRecord, error) {
	return r.DB.FindWarnings(ctx, limit)
}

// IncidentConfig returns the grading table in use.
func (r *Runtime) IncidentConfig() (*incident.Config, error) {
	if st := r.monState(); st != nil {
		return st.icfg, nil
	}
	c, err := readConfig(r.Dir)
	if err != nil {
		return nil, err
	}
	return incidentConfig(c.Monitor)
}

// changeIncident applies fn to an incident of this enterprise (the live one
// when the correlator still holds it) and reports the result as a new revision.
func (r *Runtime) changeIncident(ctx context.Context, by shuan.User, id, action, detail string,
	fn func(in *incident.Incident, icfg *incident.Config, now time.Time) error, summary func(*sqlstore.IncidentRecord, time.Time)) (sqlstore.IncidentRecord, error) {
	if err := r.requireRole(shuan.RoleEnterprise, "incident response"); err != nil {
		return sqlstore.IncidentRecord{}, err
	}
	if err := can(by, shuan.PermSendNotice); err != nil {
		return sqlstore.IncidentRecord{}, err
	}
	st := r.monState()
	if st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
	}
	icfg, err := r.IncidentConfig()
	if err != nil {
		return sqlstore.IncidentRecord{}, err
	}
	now := r.Now().UTC()
	var rec sqlstore.IncidentRecord
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		old, err := tx.FindIncident(ctx, id)
		if err != nil {
			return err
		}
		if old.NodeID != r.Cfg.ID {
			return shuan.Errorf(shuan.EFORBIDDEN, "incident %s belongs to %s; only that enterprise changes it", id, old.NodeName)
		}
		in := &old.Incident
		if st != nil {
			for _, live := range st.co.Open() {
				if live.ID == id {
					in = live
				}
			}
		}
		if err := fn(in, icfg, now); err != nil {
			var te *incident.TransitionError
			if errors.As(err, &te) {
				return shuan.Errorf(shuan.ECONFLICT, "%s", err.Error())
			}
			return shuan.Errorf(shuan.EINVALID, "%s", err.Error())
		}
		rev := old.Revision + 1
		if st != nil && st.sent[id].rev >= rev {
			rev = st.sent[id].rev + 1
		}
		if st != nil {
			rec = r.incidentRecord(st, in, rev, old.Initial.ReportedAt, now)
		} else {
			rec = r.incidentRecord(&monState{icfg: icfg}, in, rev, old.Initial.ReportedAt, now)
		}
		rec.Summary = old.Summary
		if summary != nil {
			summary(&rec, now)
		}
		if _, err := tx.SaveIncident(ctx, rec); err != nil {
			return err
		}
		if err := r.reportIncident(ctx, tx, rec, now); err != nil {
			return err
		}
		if st != nil {
			s := st.sent[id]
			s.rev, s.level, s.severity, s.risks, s.data = rev, in.Grading.Level, in.Severity, len(in.Risks), in.Facts.DataLevel
			st.sent[id] = s
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), action, id, detail)
		return err
	})
	return rec, err
}

// TransitionIncident moves an incident of this enterprise one step along
// the workflow (detected → confirmed → contained → resolved → summarized)
// and reports the new revision up. Summarizing attaches the summary report,
// with note as its root cause.
func (r *Runtime) TransitionIncident(ctx context.Context, by shuan.User, id string, to incident.Status, note string) (sqlstore.IncidentRecord, error) {
	var sum func(*sqlstore.IncidentRecord, time.Time)
	if to == incident.StatusSummarized {
		sum = func(rec *sqlstore.IncidentRecord, now time.Time) {
			s := incident.NewSummaryReport(&rec.Incident, r.Cfg.Name, now)
			s.RootCause = note
			rec.Summary = &s
		}
	}
	return r.changeIncident(ctx, by, id, "incident."+string(to), note, func(in *incident.Incident, _ *incident.Config, now time.Time) error {
		return in.Transition(to, editor(by), note, now)
	}, sum)
}

// RegradeIncident records facts people established (personal information
// affected, outage, loss, threat) and grades the incident again. The data
// level involved never drops below what detection saw.
func (r *Runtime) RegradeIncident(ctx context.Context, by shuan.User, id string, f incident.Facts, note string) (sqlstore.IncidentRecord, error) {
	return r.changeIncident(ctx, by, id, "incident.regrade", note, func(in *incident.Incident, icfg *incident.Config, now time.Time) error {
		if in.Closed() {
			return &incident.TransitionError{From: in.Status, To: in.Status}
		}
		if levelRank(in.Facts.DataLevel) > levelRank(f.DataLevel) {
			f.DataLevel = in.Facts.DataLevel
		}
		in.Regrade(icfg, f, editor(by), note, now)
		return nil
	}, nil)
}

// SendWarning signs a colour-coded warning (预警) and publishes it on this
// node's downward feed; provinces relay it to the enterprises it targets.
func (r *Runtime) SendWarning(ctx context.Context, by shuan.User, w fed.WarningBody) (sqlstore.WarningRecord, error) {
	if r.Cfg.Role == shuan.RoleEnterprise {
		return sqlstore.WarningRecord{}, shuan.Errorf(shuan.EFORBIDDEN, "warnings are sent by provinces and the ministry")
	}
	if err := can(by, shuan.PermSendNotice); err != nil {
		return sqlstore.WarningRecord{}, err
	}
	if err := w.Validate(); err != nil {
		return sqlstore.WarningRecord{}, err
	}
	now := r.Now().UTC()
	e, raw, err := fed.Seal(r.SignKey, r.Cfg.ID, fed.KindWarning, w, now)
	if err != nil {
		return sqlstore.WarningRecord{}, err
	}
	rec := sqlstore.WarningRecord{ID: e.ID, Colour: w.Colour, Title: w.Title, Text: w.Text, Risk: w.Risk, Target: w.Target,
		Origin: r.Cfg.ID, OriginName: r.Cfg.Name, Issued: e.IssuedAt, Expires: w.Expires}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if _, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin, IssuedAt: e.IssuedAt, Received: now, Raw: raw}); err != nil {
			return err
		}
		if err := tx.SaveWarning(ctx, rec); err != nil {
			return err
		}
		if _, err := tx.AppendDown(ctx, shuan.DownItem{EnvelopeID: e.ID, Kind: e.Kind, Target: w.Target, Raw: raw, Created: now}); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, now, actor(by), "warning.send", e.ID, incident.ColourZH(w.Colour)+" "+w.Title)
		return err
	})
	if err != nil {
		return rec, err
	}
	if r.srv != nil && r.srv.Down != nil {
		r.srv.Down.Notify()
	}
	return rec, nil
}

// MonitorStatus is what `shuan monitor status` and the console show.
type MonitorStatus struct {
	Config  MonitorConfig   `json:"config"`
	Running bool            `json:"running"`
	Since   time.Time       `json:"since,omitzero"`
	Pack    detect.PackInfo `json:"pack,omitzero"`
	Events  int64           `json:"events"`
	Alerts  int64           `json:"alerts"`
	Objects int             `json:"important_objects"` // catalog and scan objects graded important or core
	Inputs  []ingest.Counts `json:"inputs,omitempty"`
	Error   string          `json:"error,omitempty"`
	// Saved is when a serving node last wrote these counts for other processes.
	Saved time.Time `json:"saved_at,omitzero"`
}

// fileMonitorStatus is where a serving node leaves its monitor counts.
const fileMonitorStatus = "monitor/status.json"

func (r *Runtime) saveMonitorStatus(ctx context.Context) {
	if r.monState() == nil {
		return
	}
	s, err := r.MonitorStatus(ctx)
	if err != nil {
		return
	}
	s.Saved = r.Now().UTC()
	b, _ := json.Marshal(s)
	os.MkdirAll(filepath.Join(r.Dir, "monitor"), 0o700)
	writeFileAtomic(filepath.Join(r.Dir, fileMonitorStatus), b, 0o600)
}

// MonitorStatus reports the monitor's configuration and, while serving, its counts.
func (r *Runtime) MonitorStatus(ctx context.Context) (MonitorStatus, error) {
	c, err := readConfig(r.Dir)
	if err != nil {
		return MonitorStatus{}, err
	}
	s := MonitorStatus{Config: c.Monitor}
	s.Config.NDJSONToken = strings.Repeat("*", min(len(c.Monitor.NDJSONToken), 8))
	st := r.monState()
	if st == nil {
		// Another process serves: it leaves its counts in the data directory.
		var saved MonitorStatus
		if b, err := os.ReadFile(filepath.Join(r.Dir, fileMonitorStatus)); err == nil && json.Unmarshal(b, &saved) == nil &&
			time.Since(saved.Saved) < 30*time.Second {
			saved.Config = s.Config
			return saved, nil
		}
		return s, nil
	}
	s.Running = st.running.Load()
	if us := st.started.Load(); us != 0 {
		s.Since = time.UnixMicro(us).UTC()
	}
	if e := st.engine.Load(); e != nil {
		s.Pack = e.Pack()
	}
	if ss := st.stats.Load(); ss != nil {
		s.Inputs = ss.Snapshot()
	}
	s.Events, s.Alerts, s.Objects = st.events.Load(), st.alerts.Load(), st.cat.size()
	if v, ok := st.lastErr.Load().(string); ok {
		s.Error = v
	}
	return s, nil
}

// levelCatalog gives detection the data level of objects: the carrier
// tables of the latest approved catalog version and the tables confirmed
// scans graded important or core. Names match case-insensitively as
// written (schema.table) and, for names written without a schema, by table
// name alone. The database is not compared: catalog entries name the
// database type, not its name.
type levelCatalog struct {
	m atomic.Pointer[map[string]string]
}

// Level implements detect.Catalog.
func (c *levelCatalog) Level(database, object string) string {
	mp := c.m.Load()
	if mp == nil || object == "" {
		return ""
	}
	o := strings.ToLower(object)
	if l, ok := (*mp)[o]; ok {
		return l
	}
	if i := strings.LastIndexByte(o, '.'); i >= 0 {
		return (*mp)["*."+o[i+1:]]
	}
	if l, ok := (*mp)["public."+o]; ok {
		return l
	}
	return (*mp)["*."+o]
}

func (c *levelCatalog) size() int {
	if mp := c.m.Load(); mp != nil {
		return len(*mp)
	}
	return 0
}

func (c *levelCatalog) refresh(ctx context.Context, r *Runtime) error {
	m := map[string]string{}
	put := func(name, level string) {
		if level != shuan.LevelImportant && level != shuan.LevelCore {
			return
		}
		k := strings.ToLower(strings.TrimSpace(name))
		if k == "" {
			return
		}
		if !strings.Contains(k, ".") {
			k = "*." + k
		}
		if levelRank(level) > levelRank(m[k]) {
			m[k] = level
		}
	}
	vs, err := r.DB.FindCatalogVersions(ctx, r.Cfg.ID)
	if err != nil {
		return err
	}
	var best *catalog.Version
	for i := range vs {
		if vs[i].Status == catalog.Approved && (best == nil || vs[i].Seq > best.Seq) {
			best = &vs[i]
		}
	}
	if best != nil {
		for _, e := range best.Entries {
			if e.Destroyed != "" {
				continue
			}
			for _, t := range e.Tables {
				put(t, e.Level)
			}
		}
	}
	scans, err := r.ConfirmedScans(ctx)
	if err != nil {
		return err
	}
	for _, res := range scans {
		for _, t := range res.Tables {
			put(t.Name, t.Level)
		}
	}
	c.m.Store(&m)
	return nil
}

func readFileLimited(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
