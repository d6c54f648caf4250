package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/web/webtest"
)

// TestBrowserCatalogAndRollup drives an enterprise's catalog editor and the
// ministry's roll-up in headless Chromium: edit an entry in the form, approve
// as another user, submit; then see the three roll-up charts drawn under the
// strict CSP, with no page problems.
func TestBrowserCatalogAndRollup(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := webtest.StartBrowser(t)
	probs, err := webtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	run := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := chromedp.Run(rctx, a)
		must(err)
	}

	e, fc := catalogConsole(t, steel)
	bg := context.Background()
	if _, err := fc.SetCatalogEntry(bg, shuan.User{Name: "scanner"}, "D1", [][2]string{{"name", "转炉控制参数"},
		{"category", "prod.control"}, {"level", "important"}, {"records", "500"}}, false); err != nil {
		t.Fatal(err)
	}
	must(webtest.Login(ctx, e.srv.URL, "officer", testPassword))
	must(webtest.Navigate(ctx, e.srv.URL+"/catalog"))
	must(webtest.WaitText(ctx, "#entry-D1", "转炉控制参数"))
	must(webtest.WaitText(ctx, "#entry-D1", "责任人")) // missing fields are named
	// Fill the missing fields in the entry's form and save.
	run(chromedp.Click(chromedp.CSS(`#entries-table details summary`)))
	for k, v := range map[string]string{"description": "转炉联锁与设定值", "source": "自产", "system": "DCS", "purpose": "生产控制",
		"method": "存储、使用", "scope": "炼钢厂", "owner": "王工", "department": "数据安全办", "sharing": "无", "cross_border": "无", "security": "加密、审计"} {
		sel := `#entries-table .entry-form [name="` + k + `"]`
		run(chromedp.SetValue(chromedp.CSS(sel), v))
	}
	_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#entries-table .save-entry`)))
	must(err)
	must(webtest.WaitText(ctx, "#flash", "已保存"))
	must(webtest.WaitText(ctx, "#entry-D1", "完整"))

	must(webtest.Login(ctx, e.srv.URL, "reviewer", testPassword))
	must(webtest.Navigate(ctx, e.srv.URL+"/catalog"))
	_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("catalog-approve")))
	must(err)
	must(webtest.WaitText(ctx, "#catalog-status", "已审批"))
	must(webtest.Login(ctx, e.srv.URL, "officer", testPassword))
	must(webtest.Navigate(ctx, e.srv.URL+"/catalog"))
	_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("catalog-submit")))
	must(err)
	must(webtest.WaitText(ctx, "#filing-status", "已提交"))

	// The ministry's roll-up of what the provinces accepted.
	m, mc := catalogConsole(t, ministry)
	for _, n := range []shuan.Node{steel, carmaker} {
		f := fc.filings[0]
		f.ID, f.EnterpriseID, f.EnterpriseName, f.Region, f.Industry, f.Status = "f-"+n.ID, n.ID, n.Name, n.Region, n.Industry, catalog.Accepted
		mc.filings = append(mc.filings, f)
	}
	must(webtest.Login(ctx, m.srv.URL, "analyst", testPassword))
	must(webtest.Navigate(ctx, m.srv.URL+"/rollup"))
	must(webtest.WaitText(ctx, "#rollup-filed", "2 / 4"))
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	_, err = chromedp.Run(pctx, chromedp.Poll[bool](`document.querySelectorAll(".chart[data-ready] canvas").length === 3`))
	cancel()
	must(err)
	must(webtest.WaitText(ctx, "#accepted-filings", carmaker.Name))
	if p := probs.List(); len(p) > 0 {
		t.Errorf("page problems (CSP violations, script errors):\n%q", p)
	}
}
