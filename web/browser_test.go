package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/web/webtest"
)

// TestBrowser drives the ministry's and an enterprise's consoles in headless
// Chromium: log in, see the node tree and charts, send a notice, see it
// listed, acknowledge it at the enterprise and see the acknowledgement
// counted at the ministry. The federation between the two is simulated by
// copying rows; the lead's three-tier test runs it for real.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := webtest.StartBrowser(t)
	probs, err := webtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := newConsole(t, ministry)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// SHUAN_SCREENSHOT_DIR keeps a picture of every page visited, for review.
	shot := func(name string) {
		t.Helper()
		if dir := os.Getenv("SHUAN_SCREENSHOT_DIR"); dir != "" {
			must(webtest.Screenshot(ctx, filepath.Join(dir, name+".png")))
		}
	}

	if err := webtest.Login(ctx, m.srv.URL, "officer", "wrong"); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	shot("login-failed")
	must(webtest.Login(ctx, m.srv.URL, "officer", testPassword))
	must(webtest.WaitText(ctx, "#tier", "部级"))
	must(webtest.WaitText(ctx, "#node-tree", "江苏省工业和信息化厅"))
	must(webtest.WaitText(ctx, "#node-tree", "粤芯集成电路制造有限公司"))
	must(webtest.WaitText(ctx, "#count-enterprises", "4"))
	// ECharts drew both charts (a canvas each) under the strict CSP.
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	_, err = chromedp.Run(pctx, chromedp.Poll[bool](`document.querySelectorAll(".chart[data-ready] canvas").length === 2`))
	cancel()
	must(err)
	must(webtest.Screenshot(ctx, "/tmp/shuan-overview.png"))

	title := "关于开展工业数据分类分级自查的通知"
	must(webtest.ComposeNotice(ctx, m.srv.URL, webtest.Notice{Title: title, Body: "请于十二月底前完成。", Severity: "urgent"}))
	must(webtest.WaitText(ctx, "#notices-table", title))
	must(webtest.WaitText(ctx, "#notices-table", "紧急"))
	shot("ministry-notices")
	must(webtest.Navigate(ctx, m.srv.URL+"/nodes"))
	shot("ministry-nodes")
	sent := m.actions.Sent()
	if len(sent) != 1 || !sent[0].Target.All {
		t.Fatalf("sent %+v", sent)
	}

	// The notice reaches the steel works (copied, standing in for the
	// federation); a reviewer there acknowledges it in the same browser,
	// whose cookies for the two consoles must not collide.
	e := newConsole(t, steel)
	bg := context.Background()
	must(e.db.CreateNotice(bg, sent[0]))
	must(webtest.Login(ctx, e.srv.URL, "reviewer", testPassword))
	must(webtest.WaitText(ctx, "#tier", "企业"))
	must(webtest.MarkNotice(ctx, e.srv.URL, title, "acked"))
	must(webtest.WaitText(ctx, "#notices-table", "已确认"))
	shot("enterprise-notices")
	st, err := e.db.NoticeStatuses(bg, sent[0].ID)
	must(err)
	if len(st) != 1 || st[0].Status != shuan.NoticeAcked || st[0].By != "reviewer" {
		t.Fatalf("enterprise statuses %+v", st)
	}
	st[0].NodeID = steel.ID
	must(m.db.SetNoticeStatus(bg, st[0]))
	must(webtest.WaitPageText(ctx, m.srv.URL+"/notices/"+sent[0].ID, "#status-table", "已确认", 10*time.Second))
	must(webtest.WaitText(ctx, "#n-acked", "1"))
	shot("ministry-notice")

	// The ministry session survived the enterprise login.
	must(webtest.Navigate(ctx, m.srv.URL+"/"))
	must(webtest.WaitText(ctx, "#tier", "部级"))
	// Logging in again as someone else replaces the session.
	must(webtest.Login(ctx, m.srv.URL, "admin", testPassword))
	must(webtest.WaitText(ctx, ".who", "admin"))

	// English on request, on every page.
	_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("lang-switch")))
	must(err)
	must(webtest.WaitText(ctx, "#tier", "Ministry"))
	must(webtest.WaitText(ctx, "#tree-panel", "Node tree"))
	shot("ministry-overview-en")

	if p := probs.List(); len(p) > 0 {
		t.Errorf("page problems (CSP violations, script errors):\n%q", p)
	}
}
