package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/auth"
	"github.com/shuan-dev/shuan/node"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/scan/fixture"
	"github.com/shuan-dev/shuan/web"
)

// newScanConsole serves the console of a real enterprise node runtime
// (its own SQLite store and seal key), with one user per role, and with
// the runtime as the console's ScanActions.
func newScanConsole(t *testing.T) (*console, *node.Runtime) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	_, err := node.Init(ctx, dir, node.InitOptions{Role: shuan.RoleEnterprise, Name: "苏钢集团有限公司", Region: "320500", Industry: "C3120",
		Listen: "127.0.0.1:0", Hosts: []string{"127.0.0.1"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := node.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	for _, role := range []shuan.UserRole{shuan.UserAdmin, shuan.UserOfficer, shuan.UserReviewer, shuan.UserAnalyst, shuan.UserAuditor} {
		h, err := auth.HashPasswordWith(testPassword, cheap)
		if err != nil {
			t.Fatal(err)
		}
		u := shuan.User{ID: "u-" + string(role), Name: string(role), Role: role, Created: t0}
		if err := r.DB.CreateUser(ctx, u, h); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: t0}
	acts := &fakeActions{db: r.DB, selfID: r.Cfg.ID, now: clk.Now}
	h, err := web.New(web.Config{SelfID: r.Cfg.ID, Store: r.DB, Actions: acts, Scans: r, Now: clk.Now, Version: "v0.1.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &console{t: t, db: r.DB, clock: clk, actions: acts, srv: srv, handler: h}, r
}

// plantDB writes a SQLite database with a few labelled fixture tables.
func plantDB(t testing.TB, tables ...string) string {
	t.Helper()
	spec, err := fixture.Load("../testdata/fixtures/labels.txt")
	if err != nil {
		t.Fatal(err)
	}
	spec.Tables = slices.DeleteFunc(spec.Tables, func(tb fixture.Table) bool { return !slices.Contains(tables, tb.Name) })
	path := filepath.Join(t.TempDir(), "plant.db")
	if err := fixture.WriteSQLite(path, spec, spec.Data(40, 11)); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitScan reloads a scan's page until it no longer runs.
func (c *console) waitScan(cl *http.Client, path string) string {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, body := c.get(cl, path)
		if resp.StatusCode != http.StatusOK {
			c.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		if resp.Header.Get("Refresh") == "" {
			return body
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("scan %s still running", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestScanPagesHidden(t *testing.T) {
	// Without Scans the pages and the link do not exist.
	e := newConsole(t, steel)
	cl := e.login("officer")
	resp, body := e.get(cl, "/sources")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /sources without Scans: %d", resp.StatusCode)
	}
	_, body = e.get(cl, "/")
	mustNotContain(t, body, `href="/sources"`)

	// At a ministry they are hidden even when configured.
	_, r := newScanConsole(t)
	m := newConsole(t, ministry, func(c *web.Config) { c.Scans = r })
	mcl := m.login("admin")
	if resp, _ := m.get(mcl, "/sources"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /sources at the ministry: %d", resp.StatusCode)
	}
	_, body = m.get(mcl, "/")
	mustNotContain(t, body, `href="/sources"`)
}

func TestSourcesAddScanConfirm(t *testing.T) {
	c, r := newScanConsole(t)
	ctx := context.Background()
	officer := c.login("officer")
	_, body := c.get(officer, "/")
	mustContain(t, body, `href="/sources"`, "数据分类分级")
	_, body = c.get(officer, "/sources")
	mustContain(t, body, `id="source-form"`, "尚未登记数据源", `type="password"`)

	// A form with problems comes back without any password in it.
	resp, body := c.postBody(officer, "/sources", url.Values{"name": {"ERP"}, "url": {"mysql://scanner:Url-Pw-5521@10.0.0.5:3306/erp"},
		"password": {"Field-Pw-7781"}, "sample": {"many"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", resp.StatusCode)
	}
	mustContain(t, body, `id="source-errors"`, "抽样行数须为非负整数", "mysql://scanner@10.0.0.5:3306/erp")
	mustNotContain(t, body, "Url-Pw-5521", "Field-Pw-7781")
	resp, body = c.postBody(officer, "/sources", url.Values{"name": {"ERP"}, "url": {"http://example.com/x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unsupported URL: %d", resp.StatusCode)
	}
	mustContain(t, body, "unsupported source")

	// Analysts read but do not register.
	analyst := c.login("analyst")
	if resp := c.post(analyst, "/sources", url.Values{"name": {"x"}, "url": {"/tmp"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst POST /sources: %d", resp.StatusCode)
	}
	_, body = c.get(analyst, "/sources")
	mustNotContain(t, body, `id="source-form"`)

	// Register a database with a password, and the plant's SQLite file.
	resp = c.post(officer, "/sources", url.Values{"name": {"ERP"}, "url": {"mysql://scanner@127.0.0.1:1/erp"}, "password": {"Field-Pw-7781"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add ERP: %d", resp.StatusCode)
	}
	resp = c.post(officer, "/sources", url.Values{"name": {"人事库"}, "url": {plantDB(t, "hr_yuangong", "mes_gycs")}, "sample": {"40"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sources?added=") {
		t.Fatalf("add 人事库: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = c.get(officer, resp.Header.Get("Location"))
	mustContain(t, body, `id="sources-table"`, "人事库", "ERP", "口令已加密", "mysql://scanner@127.0.0.1:1/erp", "已登记数据源“人事库”")
	mustNotContain(t, body, "Field-Pw-7781")
	src, err := r.Source(ctx, "人事库")
	if err != nil {
		t.Fatal(err)
	}

	// Run a scan; the page reloads itself until it is done.
	resp = c.post(officer, "/sources/"+src.ID+"/scan", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/scans/") {
		t.Fatalf("scan: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	scanPath := resp.Header.Get("Location")
	body = c.waitScan(officer, scanPath)
	mustContain(t, body, `id="scan-status"`, "已完成", "hr_yuangong", "mes_gycs", "身份证件号码", `id="download-xlsx"`, "待确认")
	if !regexp.MustCompile(`id="sum-tables">2<`).MatchString(body) {
		t.Errorf("summary does not count 2 tables")
	}
	// Officers also review; analysts see no forms.
	_, body = c.get(analyst, scanPath)
	mustNotContain(t, body, "confirm-form", `id="rescan"`)

	// A reviewer confirms a column; the reason is required.
	reviewer := c.login("reviewer")
	confirm := url.Values{"table": {"hr_yuangong"}, "column": {"gz"}, "category": {"mgmt.hr_finance"}, "pi": {"pi.other"},
		"level": {"important"}, "sub_level": {"0"}}
	resp, body = c.postBody(reviewer, scanPath+"/confirm", confirm)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("confirm without reason: %d", resp.StatusCode)
	}
	mustContain(t, body, `id="scan-errors"`, "请填写确认或修改的理由")
	bad := url.Values{}
	for k, v := range confirm {
		bad[k] = v
	}
	bad.Set("category", "bogus")
	bad.Set("reason", "x")
	resp, body = c.postBody(reviewer, scanPath+"/confirm", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("confirm bogus category: %d", resp.StatusCode)
	}
	mustContain(t, body, "is not a taxonomy code")
	if resp := c.post(analyst, scanPath+"/confirm", confirm); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst confirm: %d", resp.StatusCode)
	}
	confirm.Set("reason", "薪酬属重要数据")
	resp = c.post(reviewer, scanPath+"/confirm", confirm)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	_, body = c.get(reviewer, resp.Header.Get("Location"))
	mustContain(t, body, "已确认", "薪酬属重要数据", "confirmed-by", "reviewer", `id="flash"`)
	if !regexp.MustCompile(`id="sum-confirmed">1<`).MatchString(body) {
		t.Errorf("summary does not count the confirmed column")
	}
	if !regexp.MustCompile(`(?s)data-table="hr_yuangong" open`).MatchString(body) {
		t.Errorf("the confirmed column's table is not open")
	}

	// Downloads carry the confirmed label.
	resp, body = c.get(reviewer, scanPath+"/download?format=json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("json download: %d %v", resp.StatusCode, resp.Header)
	}
	res, err := scan.ReadResult(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Confirmed != 1 {
		t.Errorf("downloaded result has %d confirmed columns", res.Summary.Confirmed)
	}
	resp, body = c.get(reviewer, scanPath+"/download?format=xlsx")
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix([]byte(body), []byte("PK")) {
		t.Errorf("xlsx download: %d %q", resp.StatusCode, body[:min(len(body), 8)])
	}
	if resp, _ := c.get(reviewer, scanPath+"/download?format=exe"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown format: %d", resp.StatusCode)
	}
	resp, body = c.get(reviewer, scanPath+"?lang=en")
	if resp.StatusCode == http.StatusSeeOther {
		_, body = c.get(reviewer, resp.Header.Get("Location"))
	}
	mustContain(t, body, "Confirmed", "HR &amp; finance", "Evidence (masked)")

	// The JSON API has the same, and never a password.
	resp, body = c.get(analyst, "/api/v1/sources")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/sources: %d", resp.StatusCode)
	}
	mustContain(t, body, `"name":"人事库"`, `"password_sealed":true`, `"last_scan"`)
	mustNotContain(t, body, "Field-Pw-7781", "secret")
	resp, body = c.get(analyst, "/api/v1"+scanPath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1%s: %d", scanPath, resp.StatusCode)
	}
	mustContain(t, body, `"confirmed":true`, `"reason":"薪酬属重要数据"`, `"reviews":[{`)

	// A rescan keeps the confirmation.
	resp = c.post(officer, "/sources/"+src.ID+"/scan", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rescan: %d", resp.StatusCode)
	}
	body = c.waitScan(officer, resp.Header.Get("Location"))
	mustContain(t, body, "薪酬属重要数据", `id="scan-history"`, "未变化")

	// A scan that cannot connect is shown as failed, without the password.
	erp, err := r.Source(ctx, "ERP")
	if err != nil {
		t.Fatal(err)
	}
	resp = c.post(officer, "/sources/"+erp.ID+"/scan", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("scan ERP: %d", resp.StatusCode)
	}
	body = c.waitScan(officer, resp.Header.Get("Location"))
	mustContain(t, body, `id="scan-error"`, "失败", "connection refused")
	mustNotContain(t, body, "Field-Pw-7781", `id="scan-tables"`)

	// Remove the source.
	resp = c.post(officer, "/sources/"+src.ID+"/remove", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if resp, _ := c.get(officer, scanPath); resp.StatusCode != http.StatusNotFound {
		t.Errorf("scan of a removed source: %d", resp.StatusCode)
	}

	acts := c.auditActions()
	for _, want := range []string{"source.add user:officer", "scan.run user:officer", "label.override user:reviewer", "source.remove user:officer"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit %v lacks %q", acts, want)
		}
	}
	recs, err := c.db.AuditRecords(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if strings.Contains(rec.Detail, "Field-Pw-7781") {
			t.Errorf("audit record holds the password: %+v", rec)
		}
	}
}
