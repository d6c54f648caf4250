// Package demo brings up the sample three-tier federation: one ministry, two
// provinces and four enterprises, each a separate `shuan serve` process on
// loopback, enrolled through the real CLI flow. With Smoke it checks every
// step and stops; otherwise it keeps the federation running.
package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shuan-dev/shuan"
)

// Password is the console password of every demo account (demo only).
const Password = "shuan-demo-2026"

// Spec describes one demo node.
type Spec struct {
	Key      string // directory name
	Role     shuan.Role
	Name     string
	Region   string
	Industry string
	USCC     string
	Parent   string // key of the parent
}

// Nodes is the sample federation.
func Nodes() []Spec {
	return []Spec{
		{Key: "ministry", Role: shuan.RoleMinistry, Name: "工业和信息化部"},
		{Key: "jiangsu", Role: shuan.RoleProvince, Name: "江苏省工业和信息化厅", Region: "320000", Parent: "ministry"},
		{Key: "guangdong", Role: shuan.RoleProvince, Name: "广东省工业和信息化厅", Region: "440000", Parent: "ministry"},
		{Key: "steel", Role: shuan.RoleEnterprise, Name: "江苏华澄特钢股份有限公司", Region: "320281", Industry: "C31", USCC: USCC("91320281", "MA1XT3K2"), Parent: "jiangsu"},
		{Key: "icfab", Role: shuan.RoleEnterprise, Name: "无锡芯源集成电路制造有限公司", Region: "320214", Industry: "C3973", USCC: USCC("91320214", "MA20C7Q5"), Parent: "jiangsu"},
		{Key: "auto", Role: shuan.RoleEnterprise, Name: "广州粤驰汽车制造有限公司", Region: "440115", Industry: "C36", USCC: USCC("91440115", "MA59H8N3"), Parent: "guangdong"},
		{Key: "textile", Role: shuan.RoleEnterprise, Name: "佛山锦纶纺织有限公司", Region: "440604", Industry: "C17", USCC: USCC("91440604", "MA4W2R6L"), Parent: "guangdong"},
	}
}

// USCC builds a valid unified social credit code from its 8-character
// prefix (registration authority, entity type, region) and the first 8
// characters of an organisation code, adding both check characters.
func USCC(prefix, org8 string) string {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := org8[i]
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	var oc byte
	switch r := 11 - sum%11; r {
	case 10:
		oc = 'X'
	case 11:
		oc = '0'
	default:
		oc = byte('0' + r)
	}
	first17 := prefix + org8 + string(oc)
	c, _ := shuan.USCCCheck(first17)
	return first17 + string(c)
}

// Options control a demo run.
type Options struct {
	Exe       string // the shuan binary
	Dir       string // data root, wiped and recreated
	Smoke     bool
	Heartbeat time.Duration
	Out       io.Writer // progress for people
	Log       io.Writer // the nodes' own logs
}

// node is a running demo node.
type node struct {
	Spec
	dir      string
	fedAddr  string
	consAddr string
	cmd      *exec.Cmd
}

// Run brings the federation up, checks it, and (unless Smoke) waits for ctx.
func Run(ctx context.Context, o Options) (err error) {
	if o.Heartbeat == 0 {
		o.Heartbeat = 2 * time.Second
	}
	if err := resetDir(o.Dir); err != nil {
		return err
	}
	d := &Federation{o: o, nodes: map[string]*node{}}
	defer d.Stop()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"init and enrol seven nodes over loopback TLS", func(ctx context.Context) error { return d.bringUp(ctx, Nodes()) }},
		{"every enterprise visible at the ministry through its province", d.checkTree},
		{"heartbeats reach the ministry", d.checkHeartbeats},
		{"ministry notice delivered to all four enterprises", d.sendNotice},
		{"notice acknowledged by all four enterprises, seen at the ministry", d.ackNotice},
		{"each enterprise scans its sample factory database", d.scanFactories},
		{"catalogs built by an editor and approved by another reviewer", d.buildCatalogs},
		{"catalogs filed; each province holds only its own enterprises' filings", d.submitFilings},
		{"Jiangsu returns a filing with a per-entry comment", d.returnFiling},
		{"the enterprise revises, re-approves and resubmits", d.resubmitFiling},
		{"provinces accept all four filings", d.acceptFilings},
		{"ministry shows four accepted filings, signatures verified, totals by industry", d.checkMinistryFilings},
		{"a rescan grows the steel works' data by 75%: change filing due, seen up to the ministry", d.changeTrigger},
		{"audit logs intact on every node", d.checkAudit},
		{"a scripted leak at the steel works becomes a graded incident at the ministry, not in Guangdong", d.scriptedLeak},
		{"the steel works confirms the incident; the ministry sees the new revision", d.confirmIncident},
	}
	for i, s := range steps {
		d.say("[%d/%d] %s …", i+1, len(steps), s.name)
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := s.fn(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("step %d (%s) failed: %w", i+1, s.name, err)
		}
		d.say("[%d/%d] ok", i+1, len(steps))
	}
	d.printURLs()
	if o.Smoke {
		d.say("smoke test passed")
		return nil
	}
	d.say("\n按 Ctrl-C 停止 / press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// Federation is a running set of demo nodes, each its own process.
type Federation struct {
	o      Options
	nodes  map[string]*node
	order  []*node
	notice string
	// filingIDs is each enterprise's latest filing, by key.
	filingIDs map[string]string
	// incident is the scripted leak's incident id.
	incident string
}

func (d *Federation) say(format string, args ...any) { fmt.Fprintf(d.o.Out, format+"\n", args...) }

func resetDir(dir string) error {
	if dir == "" {
		return errors.New("demo directory not set")
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, ".shuan-demo")); err != nil {
			return fmt.Errorf("%s is not empty and not a previous demo directory; choose another --dir", dir)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".shuan-demo"), []byte("created by shuan demo\n"), 0o600)
}

// shuan runs the binary and returns its stdout; stderr goes into the error.
func (d *Federation) shuan(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.o.Exe, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("shuan %s: %v: %s", strings.Join(args[:2], " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Up initialises, enrols and starts the given nodes (parents before
// children) in a fresh directory.
func Up(ctx context.Context, o Options, specs []Spec) (*Federation, error) {
	if o.Heartbeat == 0 {
		o.Heartbeat = 2 * time.Second
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if err := resetDir(o.Dir); err != nil {
		return nil, err
	}
	d := &Federation{o: o, nodes: map[string]*node{}}
	if err := d.bringUp(ctx, specs); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// ConsoleURL returns the console address of the node with key.
func (d *Federation) ConsoleURL(key string) string { return "http://" + d.nodes[key].consAddr }

// Dir returns the data directory of the node with key.
func (d *Federation) Dir(key string) string { return d.nodes[key].dir }

// Kill ends a node's process with SIGKILL and waits for it.
func (d *Federation) Kill(key string) error {
	n := d.nodes[key]
	if err := n.cmd.Process.Kill(); err != nil {
		return err
	}
	n.cmd.Wait()
	n.cmd = nil
	return nil
}

// Start (re)starts a node's `shuan serve` process.
func (d *Federation) Start(ctx context.Context, key string) error { return d.start(ctx, d.nodes[key]) }

// Shuan runs the shuan binary with args and returns its stdout.
func (d *Federation) Shuan(ctx context.Context, stdin string, args ...string) (string, error) {
	return d.shuan(ctx, stdin, args...)
}

func (d *Federation) bringUp(ctx context.Context, specs []Spec) error {
	for _, s := range specs {
		n := &node{Spec: s, dir: filepath.Join(d.o.Dir, s.Key)}
		var err error
		if n.fedAddr, err = freeAddr(); err != nil {
			return err
		}
		if n.consAddr, err = freeAddr(); err != nil {
			return err
		}
		args := []string{"node", "init", "--data", n.dir, "--role", string(s.Role), "--name", s.Name,
			"--listen", n.fedAddr, "--console", n.consAddr, "--heartbeat", d.o.Heartbeat.String()}
		if s.Region != "" {
			args = append(args, "--region", s.Region)
		}
		if s.Industry != "" {
			args = append(args, "--industry", s.Industry)
		}
		if s.USCC != "" {
			args = append(args, "--uscc", s.USCC)
		}
		if _, err := d.shuan(ctx, "", args...); err != nil {
			return err
		}
		if s.Parent != "" {
			p := d.nodes[s.Parent]
			tok, err := d.shuan(ctx, "", "node", "token", "--data", p.dir, "--ttl", "10m")
			if err != nil {
				return err
			}
			if _, err := d.shuan(ctx, "", "node", "enroll", "--data", n.dir, "--parent", "https://"+p.fedAddr, "--token", strings.TrimSpace(tok)); err != nil {
				return err
			}
		}
		if _, err := d.shuan(ctx, Password+"\n", "user", "add", "--data", n.dir, "--name", "admin", "--role", "admin", "--password-stdin"); err != nil {
			return err
		}
		if err := d.start(ctx, n); err != nil {
			return err
		}
		d.nodes[s.Key] = n
		d.order = append(d.order, n)
		d.say("      %s %-8s %s  federation https://%s", s.Role.Label(), s.Key, s.Name, n.fedAddr)
	}
	return nil
}

// start launches `shuan serve` for n and waits until it reports serving.
func (d *Federation) start(ctx context.Context, n *node) error {
	cmd := exec.Command(d.o.Exe, "serve", "--data", n.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = prefixWriter(d.o.Log, n.Key)
	if err := cmd.Start(); err != nil {
		return err
	}
	n.cmd = cmd
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "serving ") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s did not start serving", n.Key)
	}
}

// Stop interrupts every node and waits for it to exit.
func (d *Federation) Stop() {
	for _, n := range d.order {
		if n.cmd != nil && n.cmd.Process != nil {
			n.cmd.Process.Signal(os.Interrupt)
		}
	}
	for _, n := range d.order {
		if n.cmd != nil {
			done := make(chan struct{})
			cmd := n.cmd
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
			}
			n.cmd = nil
		}
	}
}

type statusDoc struct {
	Self    shuan.Node `json:"self"`
	Subtree []struct {
		shuan.Node
		Online bool `json:"online"`
	} `json:"subtree"`
}

func (d *Federation) status(ctx context.Context, key string) (statusDoc, error) {
	var st statusDoc
	out, err := d.shuan(ctx, "", "node", "status", "--data", d.nodes[key].dir, "--json")
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(out), &st)
}

// eventually retries check until it passes or ctx ends, returning the last failure.
func eventually(ctx context.Context, check func() error) error {
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (d *Federation) checkTree(ctx context.Context) error {
	return eventually(ctx, func() error {
		st, err := d.status(ctx, "ministry")
		if err != nil {
			return err
		}
		byID := map[string]shuan.Node{}
		for _, n := range st.Subtree {
			byID[n.ID] = n.Node
		}
		for _, s := range Nodes()[1:] {
			own, err := d.status(ctx, s.Key)
			if err != nil {
				return err
			}
			got, ok := byID[own.Self.ID]
			if !ok {
				return fmt.Errorf("%s (%s) not known at the ministry", s.Name, s.Key)
			}
			parent, _ := d.status(ctx, s.Parent)
			if got.ParentID != parent.Self.ID {
				return fmt.Errorf("%s is under %s at the ministry, want %s", s.Key, got.ParentID, parent.Self.ID)
			}
		}
		return nil
	})
}

func (d *Federation) checkHeartbeats(ctx context.Context) error {
	return eventually(ctx, func() error {
		st, err := d.status(ctx, "ministry")
		if err != nil {
			return err
		}
		if len(st.Subtree) != 6 {
			return fmt.Errorf("ministry knows %d nodes, want 6", len(st.Subtree))
		}
		for _, n := range st.Subtree {
			if !n.Online {
				return fmt.Errorf("%s shows offline at the ministry", n.Name)
			}
		}
		return nil
	})
}

type noticeRow struct {
	shuan.Notice
	Delivered, Read, Acked int
}

func (d *Federation) notices(ctx context.Context, key string) ([]noticeRow, error) {
	out, err := d.shuan(ctx, "", "notice", "list", "--data", d.nodes[key].dir, "--json")
	if err != nil {
		return nil, err
	}
	var rows []noticeRow
	return rows, json.Unmarshal([]byte(out), &rows)
}

func (d *Federation) sendNotice(ctx context.Context) error {
	id, err := d.shuan(ctx, "", "notice", "send", "--data", d.nodes["ministry"].dir, "--title", "关于开展2026年度数据安全风险评估工作的通知",
		"--body", "请各单位于12月31日前完成年度数据安全风险评估并报送评估报告。", "--severity", "warning", "--target", "all")
	if err != nil {
		return err
	}
	d.notice = strings.TrimSpace(id)
	return eventually(ctx, func() error {
		for _, k := range []string{"steel", "icfab", "auto", "textile"} {
			rows, err := d.notices(ctx, k)
			if err != nil {
				return err
			}
			if len(rows) == 0 || rows[0].ID != d.notice {
				return fmt.Errorf("notice not yet at %s", k)
			}
		}
		return nil
	})
}

func (d *Federation) ackNotice(ctx context.Context) error {
	for _, k := range []string{"steel", "icfab", "auto", "textile"} {
		if _, err := d.shuan(ctx, "", "notice", "ack", "--data", d.nodes[k].dir, "--id", d.notice); err != nil {
			return err
		}
	}
	return eventually(ctx, func() error {
		rows, err := d.notices(ctx, "ministry")
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.ID == d.notice {
				if r.Acked != 4 {
					return fmt.Errorf("ministry sees %d of 4 acknowledgements", r.Acked)
				}
				return nil
			}
		}
		return errors.New("notice missing at the ministry")
	})
}

func (d *Federation) checkAudit(ctx context.Context) error {
	for _, n := range d.order {
		if _, err := d.shuan(ctx, "", "audit", "verify", "--data", n.dir); err != nil {
			return err
		}
	}
	return nil
}

func (d *Federation) printURLs() {
	d.say("\n控制台 / consoles (账号 login: admin / %s):", Password)
	for _, n := range d.order {
		d.say("  %-6s %-28s http://%s/", n.Role.Label(), n.Name, n.consAddr)
	}
}

// prefixWriter prefixes each line written to w with the node key.
func prefixWriter(w io.Writer, key string) io.Writer {
	if w == nil {
		return io.Discard
	}
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintf(w, "%-9s| %s\n", key, sc.Text())
		}
	}()
	return pw
}

// incidentDoc is the part of an incident record the demo checks.
type incidentDoc struct {
	Incident struct {
		ID      string   `json:"id"`
		Status  string   `json:"status"`
		Risks   []string `json:"risks"`
		Grading struct {
			Level   string `json:"level"`
			LevelZH string `json:"level_zh"`
		} `json:"grading"`
	} `json:"incident"`
	Revision int64  `json:"revision"`
	NodeID   string `json:"node_id"`
	NodeName string `json:"node_name"`
}

func (d *Federation) incidents(ctx context.Context, key string) ([]incidentDoc, error) {
	var l []incidentDoc
	out, err := d.shuan(ctx, "", "incident", "list", "--data", d.nodes[key].dir, "--json")
	if err != nil {
		return nil, err
	}
	return l, json.Unmarshal([]byte(out), &l)
}

// scriptedLeak writes an NDJSON file of bulk reads of the steel works' most
// sensitive catalogued table and points its monitor at it, as an operator
// would with `shuan monitor set`; the serving node picks the change up.
func (d *Federation) scriptedLeak(ctx context.Context) error {
	v, err := d.catalogShow(ctx, "steel")
	if err != nil {
		return err
	}
	table, level := "", ""
	for _, e := range v.Entries {
		if len(e.Tables) > 0 && (table == "" || e.Level == shuan.LevelCore && level != shuan.LevelCore) {
			table, level = e.Tables[0], e.Level
		}
	}
	if table == "" {
		return fmt.Errorf("the steel works' catalog names no table")
	}
	var b bytes.Buffer
	t0 := time.Now().UTC().Add(-2 * time.Minute)
	for i := range 20 {
		ev := shuan.Event{ID: fmt.Sprintf("demo-leak-%d", i), Time: t0.Add(time.Duration(i) * time.Second), Source: "ndjson",
			Actor: "contractor_li", Client: "10.20.30.40", Database: "mes", Object: table, Action: "SELECT", Class: "READ",
			Rows: 1000, Statement: "SELECT * FROM " + table, Success: true}
		line, _ := json.Marshal(ev)
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(d.o.Dir, "steel-leak.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return err
	}
	if _, err := d.shuan(ctx, "", "monitor", "set", "--data", d.nodes["steel"].dir, "--ndjson", path, "--from-start", "--refresh", "1s"); err != nil {
		return err
	}
	steel, err := d.status(ctx, "steel")
	if err != nil {
		return err
	}
	var found incidentDoc
	err = eventually(ctx, func() error {
		l, err := d.incidents(ctx, "ministry")
		if err != nil {
			return err
		}
		for _, in := range l {
			if in.NodeID == steel.Self.ID && slices.Contains(in.Incident.Risks, shuan.RiskLeakage) && in.Incident.Grading.Level != "" {
				found = in
				return nil
			}
		}
		return fmt.Errorf("no leakage incident of the steel works at the ministry (%d incidents)", len(l))
	})
	if err != nil {
		return err
	}
	d.incident = found.Incident.ID
	d.say("    %s: %s %s (%s data in %s), revision %d", found.NodeName, found.Incident.ID, found.Incident.Grading.LevelZH, level, table, found.Revision)
	if l, err := d.incidents(ctx, "guangdong"); err != nil || len(l) != 0 {
		return fmt.Errorf("guangdong sees %d incidents (%v)", len(l), err)
	}
	// The serving node leaves its counts for `shuan monitor status`.
	return eventually(ctx, func() error {
		var st struct {
			Running bool  `json:"running"`
			Events  int64 `json:"events"`
			Alerts  int64 `json:"alerts"`
		}
		out, err := d.shuan(ctx, "", "monitor", "status", "--data", d.nodes["steel"].dir, "--json")
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			return err
		}
		if !st.Running || st.Events < 20 || st.Alerts == 0 {
			return fmt.Errorf("monitor status %+v", st)
		}
		return nil
	})
}

// confirmIncident confirms the incident at the enterprise through the CLI.
func (d *Federation) confirmIncident(ctx context.Context) error {
	if _, err := d.shuan(ctx, "", "incident", "transition", "--data", d.nodes["steel"].dir, "--note", "演示：已核实为外包账号越权批量读取", d.incident, "confirmed"); err != nil {
		return err
	}
	return eventually(ctx, func() error {
		l, err := d.incidents(ctx, "ministry")
		if err != nil {
			return err
		}
		for _, in := range l {
			if in.Incident.ID == d.incident && in.Incident.Status == "confirmed" {
				return nil
			}
		}
		return fmt.Errorf("incident %s not confirmed at the ministry yet", d.incident)
	})
}
