package demo

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/sqlstore"
	"github.com/shuan-dev/shuan/web/webtest"
)

var exe string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shuan-bin-")
	if err != nil {
		panic(err)
	}
	exe = filepath.Join(dir, "shuan")
	cmd := exec.Command("go", "build", "-o", exe, "../cmd/shuan")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		panic("build shuan: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestUSCCValid(t *testing.T) {
	for _, s := range Nodes() {
		if s.USCC == "" {
			continue
		}
		if err := shuan.CheckUSCC(s.USCC); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	// Known-valid example from REGULATIONS.md §8.2.
	if got := USCC("91350100", "M000100Y"); got != "91350100M000100Y43" {
		t.Errorf("USCC = %s, want 91350100M000100Y43", got)
	}
}

// TestSmoke runs the whole demo flow headless, as `shuan demo --smoke` does.
func TestSmoke(t *testing.T) {
	var out strings.Builder
	err := Run(context.Background(), Options{Exe: exe, Dir: t.TempDir() + "/demo", Smoke: true, Out: &out, Heartbeat: time.Second})
	if err != nil {
		t.Fatalf("smoke: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "smoke test passed") {
		t.Errorf("output lacks the success line:\n%s", out.String())
	}
}

// TestProvinceKill9 kills the province with SIGKILL while its enterprises keep
// sending, restarts it, and checks that every envelope reached the ministry
// exactly once.
func TestProvinceKill9(t *testing.T) {
	ctx := context.Background()
	specs := []Spec{Nodes()[0], Nodes()[1], Nodes()[3], Nodes()[4]} // ministry, Jiangsu, steel, IC fab
	f, err := Up(ctx, Options{Exe: exe, Dir: t.TempDir() + "/fed", Heartbeat: time.Second}, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	sent := map[string]bool{}
	probe := func(key string, n int) {
		out, err := f.Shuan(ctx, "", "node", "probe", "--data", f.Dir(key), "--count", itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range strings.Fields(out) {
			sent[id] = true
		}
	}
	probe("steel", 50)
	probe("icfab", 50)
	time.Sleep(300 * time.Millisecond) // some in flight
	if err := f.Kill("jiangsu"); err != nil {
		t.Fatal(err)
	}
	probe("steel", 100) // queued while the province is down
	probe("icfab", 100)
	time.Sleep(2 * time.Second) // enterprises retry against a dead province
	if err := f.Start(ctx, "jiangsu"); err != nil {
		t.Fatal(err)
	}
	probe("steel", 50)
	probe("icfab", 50)

	deadline := time.Now().Add(90 * time.Second)
	var got map[string]int
	for {
		got = probeCounts(t, f.Dir("ministry"))
		if len(got) >= len(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	lost, dup := 0, 0
	for id := range sent {
		switch got[id] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	extra := len(got) - (len(sent) - lost)
	if lost != 0 || dup != 0 || extra != 0 || len(sent) != 400 {
		t.Fatalf("sent %d: lost %d, duplicated %d, unexpected %d", len(sent), lost, dup, extra)
	}
	t.Logf("sent %d probes through a province killed with SIGKILL: 0 lost, 0 duplicated", len(sent))
}

// probeCounts counts, per envelope id, how often the ministry applied a probe
// (one audit record per application).
func probeCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(dir, "node.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts := map[string]int{}
	var after int64
	for {
		recs, err := db.AuditRecords(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return counts
		}
		for _, r := range recs {
			if r.Action == "fed.probe" {
				counts[r.Object]++
			}
		}
		after = recs[len(recs)-1].Seq
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestConsoleThreeTiers drives the real consoles of a running federation in
// headless Chromium: log in at the ministry, see the tree, send a notice,
// acknowledge it at an enterprise, and see the acknowledgement at the ministry.
func TestConsoleThreeTiers(t *testing.T) {
	if webtest.ChromiumPath() == "" && os.Getenv("SHUAN_REQUIRE_SERVICES") == "" {
		t.Skip("no Chromium (set SHUAN_CHROMIUM or install chromium)")
	}
	ctx := context.Background()
	specs := []Spec{Nodes()[0], Nodes()[1], Nodes()[3], Nodes()[4]}
	f, err := Up(ctx, Options{Exe: exe, Dir: t.TempDir() + "/fed", Heartbeat: time.Second}, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	b := webtest.StartBrowser(t)
	ministry, steel := f.ConsoleURL("ministry"), f.ConsoleURL("steel")
	if err := webtest.Login(b, ministry, "admin", Password); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"江苏省工业和信息化厅", "江苏华澄特钢股份有限公司", "无锡芯源集成电路制造有限公司"} {
		if err := webtest.WaitPageText(b, ministry+"/", "#node-tree", name, 30*time.Second); err != nil {
			t.Fatalf("node tree at the ministry lacks %s: %v", name, err)
		}
	}
	const title = "关于开展数据安全自查的通知"
	if err := webtest.ComposeNotice(b, ministry, webtest.Notice{Title: title, Body: "请于月底前完成自查。", Severity: "warning"}); err != nil {
		t.Fatal(err)
	}
	if err := webtest.Login(b, steel, "admin", Password); err != nil {
		t.Fatal(err)
	}
	if err := webtest.WaitPageText(b, steel+"/notices", "#notices-table", title, 30*time.Second); err != nil {
		t.Fatalf("notice never reached the enterprise console: %v", err)
	}
	if err := webtest.MarkNotice(b, steel, title, "acked"); err != nil {
		t.Fatal(err)
	}
	out, err := f.Shuan(ctx, "", "notice", "list", "--data", f.Dir("ministry"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []noticeRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("notice list at the ministry: %v %s", err, out)
	}
	if err := webtest.WaitPageText(b, ministry+"/notices/"+rows[0].ID, "#n-acked", "1", 30*time.Second); err != nil {
		t.Fatalf("acknowledgement not shown at the ministry: %v", err)
	}
}
