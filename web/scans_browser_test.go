package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shuan-dev/shuan/web/webtest"
)

// TestBrowserScan drives an enterprise console in headless Chromium: an
// officer registers a SQLite data source and scans it, and a reviewer opens
// the result, confirms a column with a reason and sees it marked confirmed.
func TestBrowserScan(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := webtest.StartBrowser(t)
	probs, err := webtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newScanConsole(t)
	base := c.srv.URL
	db := plantDB(t, "hr_yuangong", "mes_gycs")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		if dir := os.Getenv("SHUAN_SCREENSHOT_DIR"); dir != "" {
			must(webtest.Screenshot(ctx, filepath.Join(dir, name+".png")))
		}
	}
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		must(chromedp.Do(tctx, actions...))
	}
	click := func(css string) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := chromedp.RunResponse(tctx, chromedp.Click(chromedp.CSS(css)))
		must(err)
	}

	must(webtest.Login(ctx, base, "officer", testPassword))
	run(chromedp.Click(chromedp.ID("nav-sources")), chromedp.WaitVisible(chromedp.ID("source-form")))
	run(
		chromedp.SetValue(chromedp.ID("src-name"), "人事库"),
		chromedp.SetValue(chromedp.ID("src-url"), "sqlite:"+db),
		chromedp.SetValue(chromedp.ID("src-password"), "not-needed-but-sealed"),
		chromedp.SetValue(chromedp.ID("src-sample"), "40"),
	)
	click("#source-submit")
	must(webtest.WaitText(ctx, "#flash", "人事库"))
	must(webtest.WaitText(ctx, "#sources-table", "口令已加密"))
	shot("scan-sources")

	click(`tr.source-row[data-source="人事库"] button.scan-run`)
	scanURL, err := chromedp.Run(ctx, chromedp.Location())
	must(err)
	if !strings.Contains(scanURL, "/scans/") {
		t.Fatalf("scan button led to %s", scanURL)
	}
	must(webtest.WaitPageText(ctx, scanURL, "#scan-status", "已完成", 30*time.Second))
	must(webtest.WaitText(ctx, "#scan-tables", "hr_yuangong"))

	// A reviewer confirms the name column with a reason.
	must(webtest.Login(ctx, base, "reviewer", testPassword))
	must(webtest.Navigate(ctx, scanURL))
	row := `tr.col-row[data-table="hr_yuangong"][data-column="xm"]`
	run(
		chromedp.Click(chromedp.CSS(`details.scan-table[data-table="hr_yuangong"] > summary`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` details.confirm > summary`)),
		chromedp.WaitVisible(chromedp.CSS(row+` input[name=reason]`)),
		chromedp.SetValue(chromedp.CSS(row+` input[name=reason]`), "已与人事系统核对"),
	)
	shot("scan-confirm-form")
	click(row + ` button.confirm-submit`)
	must(webtest.WaitText(ctx, "#flash", "hr_yuangong.xm"))
	must(webtest.WaitText(ctx, row+` td.review`, "已确认"))
	must(webtest.WaitText(ctx, row+` .confirmed-by`, "reviewer"))
	must(webtest.WaitText(ctx, row+` .confirmed-reason`, "已与人事系统核对"))
	must(webtest.WaitText(ctx, "#sum-confirmed", "1"))
	shot("scan-confirmed")

	if p := probs.List(); len(p) > 0 {
		t.Errorf("page problems (CSP violations, script errors):\n%q", p)
	}
}
