package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/i18n"
	"github.com/shuan-dev/shuan/ledger"
	"github.com/shuan-dev/shuan/web"
)

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page does not contain %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
		t.FailNow()
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

func TestNewNeedsDependencies(t *testing.T) {
	if _, err := web.New(web.Config{}); err == nil {
		t.Error("New accepted an empty config")
	}
	if _, err := web.New(web.Config{SelfID: "x"}); err == nil {
		t.Error("New accepted a config without a store")
	}
}

func TestLoginRedirectsAnonymous(t *testing.T) {
	c := newConsole(t, ministry)
	resp, _ := c.get(c.client(), "/nodes?role=enterprise")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous GET /nodes: status %d, want 303", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/nodes?role=enterprise") {
		t.Fatalf("redirect to %q", loc)
	}
	resp, body := c.get(c.client(), "/login")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	mustContain(t, body, `<html lang="zh-CN">`, "工业数据安全监管平台", "用户名", "密码", `name="next" value="/"`)
}

func TestLoginFailure(t *testing.T) {
	c := newConsole(t, ministry)
	for _, tc := range []struct{ name, pw string }{
		{"admin", "wrong-password"},
		{"nobody", testPassword},
		{"", ""},
	} {
		cl := c.client()
		resp, body := c.postBody(cl, "/login", url.Values{"name": {tc.name}, "password": {tc.pw}})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("login %q/%q: status %d, want 200 (the form again)", tc.name, tc.pw, resp.StatusCode)
		}
		mustContain(t, body, "用户名或密码错误")
		for _, ck := range resp.Cookies() {
			if strings.HasPrefix(ck.Name, "shuan_session") && ck.Value != "" {
				t.Errorf("failed login set a session cookie")
			}
		}
	}
	got := c.auditActions()
	want := []string{"user.login_failed user:admin", "user.login_failed user:nobody", "user.login_failed user:"}
	if !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func TestLoginSuccessAndLogout(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.client()
	resp := c.post(cl, "/login", url.Values{"name": {"admin"}, "password": {testPassword}, "next": {"/nodes"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/nodes" {
		t.Fatalf("login: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if strings.HasPrefix(ck.Name, "shuan_session_") {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.MaxAge != int(web.SessionTTL.Seconds()) {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure, 12h", session)
	}
	resp, body := c.get(cl, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / after login: %d", resp.StatusCode)
	}
	mustContain(t, body, "工业和信息化部", ">部级<", "总览", "节点树", "江苏省工业和信息化厅", "粤芯集成电路制造有限公司")

	// Logging in again while logged in goes straight to the target.
	resp, _ = c.get(cl, "/login?next=/notices")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/notices" {
		t.Errorf("GET /login when logged in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp = c.post(cl, "/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The old token is dead even if a client kept it.
	stale := c.client()
	u, _ := url.Parse(c.srv.URL)
	stale.Jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: session.Value}})
	if resp, _ := c.get(stale, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / with a logged-out token: %d, want 303", resp.StatusCode)
	}
	got := c.auditActions()
	want := []string{"user.login user:admin", "user.logout user:admin"}
	if !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func TestLoginNextStaysLocal(t *testing.T) {
	c := newConsole(t, ministry)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/login"} {
		resp := c.post(c.client(), "/login", url.Values{"name": {"admin"}, "password": {testPassword}, "next": {next}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q, want /", next, loc)
		}
	}
}

func TestSecureCookies(t *testing.T) {
	c := newConsole(t, ministry, func(cfg *web.Config) { cfg.SecureCookies = true })
	resp := c.post(c.client(), "/login", url.Values{"name": {"admin"}, "password": {testPassword}})
	var found bool
	for _, ck := range resp.Cookies() {
		if strings.HasPrefix(ck.Name, "__Host-shuan_session_") {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("secure cookie %+v", ck)
			}
		}
	}
	if !found {
		t.Fatalf("no __Host- session cookie in %v", resp.Cookies())
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts == "" {
		t.Error("no HSTS header with secure cookies")
	}
}

func TestSessionExpiry(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("analyst")
	if resp, _ := c.get(cl, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh session: %d", resp.StatusCode)
	}
	c.clock.Add(web.SessionTTL - time.Minute)
	if resp, _ := c.get(cl, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("session just before expiry: %d", resp.StatusCode)
	}
	c.clock.Add(time.Minute)
	if resp, _ := c.get(cl, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expired session: %d, want 303 to login", resp.StatusCode)
	}
	resp, body := c.get(cl, "/api/v1/overview")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired session on API: %d", resp.StatusCode)
	}
	var eb httpapi.ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Code != shuan.EUNAUTHORIZED {
		t.Fatalf("API error body %q", body)
	}
}

func TestPermissionDenied(t *testing.T) {
	c := newConsole(t, ministry)
	analyst := c.login("analyst")
	resp, body := c.get(analyst, "/audit")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst GET /audit: %d, want 403", resp.StatusCode)
	}
	mustContain(t, body, "403", "您没有执行此操作的权限")
	mustNotContain(t, body, `href="/audit"`) // the nav hides what the role may not open

	auditor := c.login("auditor")
	resp, _ = c.postBody(auditor, "/notices", url.Values{"title": {"x"}, "severity": {"info"}, "target": {"all"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("auditor POST /notices: %d, want 403", resp.StatusCode)
	}
	if len(c.actions.Sent()) != 0 {
		t.Fatal("a notice was sent by an auditor")
	}
	resp, body = c.get(auditor, "/audit")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("auditor GET /audit: %d", resp.StatusCode)
	}
	mustContain(t, body, "哈希链校验通过", "user.login")
	_, body = c.get(auditor, "/notices")
	mustNotContain(t, body, `id="compose-form"`)
}

func TestEnterpriseCannotSend(t *testing.T) {
	c := newConsole(t, steel)
	admin := c.login("admin")
	_, body := c.get(admin, "/notices")
	mustNotContain(t, body, `id="compose-form"`)
	resp, _ := c.postBody(admin, "/notices", url.Values{"title": {"x"}, "severity": {"info"}, "target": {"all"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("enterprise POST /notices: %d, want 403", resp.StatusCode)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("officer")
	form := url.Values{"title": {"跨站通知"}, "severity": {"info"}, "target": {"all"}}
	for name, hdr := range map[string][]string{
		"sec-fetch-site": {"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		"origin only":    {"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		resp, body := c.postBody(cl, "/notices", form, hdr...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: cross-origin POST /notices: %d, want 403", name, resp.StatusCode)
		}
		mustContain(t, body, "跨站请求已被拒绝")
	}
	// Logout is state-changing too.
	if resp := c.post(cl, "/logout", nil, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin logout: %d, want 403", resp.StatusCode)
	}
	if n := len(c.actions.Sent()); n != 0 {
		t.Fatalf("%d notices sent by cross-origin requests", n)
	}
	if resp, _ := c.get(cl, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("session was ended by a cross-origin request: %d", resp.StatusCode)
	}
	// The same form from the same origin goes through.
	if resp := c.post(cl, "/notices", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST /notices: %d", resp.StatusCode)
	}
}

func TestLanguageSwitch(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("admin")
	// Chinese by default, whatever the browser prefers.
	_, body := c.get(cl, "/", "Accept-Language", "en-US,en;q=0.9")
	mustContain(t, body, `<html lang="zh-CN">`, "总览", `href="/?lang=en"`, ">English<")

	resp, _ := c.get(cl, "/nodes?role=enterprise&lang=en")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/nodes?role=enterprise" {
		t.Fatalf("?lang=en: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = c.get(cl, "/nodes?role=enterprise")
	mustContain(t, body, `<html lang="en">`, "Overview", "Nodes", "Enterprise", ">中文<", "4 nodes")
	mustNotContain(t, body, "总览")

	c.get(cl, "/?lang=zh-CN")
	_, body = c.get(cl, "/")
	mustContain(t, body, `<html lang="zh-CN">`, "总览")

	// The login page switches too, before anyone logs in.
	anon := c.client()
	c.get(anon, "/login?lang=en")
	_, body = c.get(anon, "/login")
	mustContain(t, body, "User name", "Password")
}

func TestOverviewPerTier(t *testing.T) {
	t.Run("ministry", func(t *testing.T) {
		c := newConsole(t, ministry)
		_, body := c.get(c.login("analyst"), "/")
		mustContain(t, body,
			`id="count-provinces">2<`, `id="count-enterprises">4<`,
			`id="count-online">4<`, `id="count-offline">2<`, // gd is stale, textile never reported
			`id="chart-data"`, `id="chart-province"`, `id="chart-industry"`,
			"江苏省", "广东省", "集成电路制造", "黑色金属冶炼和压延加工业",
			`/static/vendor/echarts.min.js`, `/static/js/charts.js`)
		// The chart data is JSON in a non-executable script element.
		m := regexp.MustCompile(`(?s)<script type="application/json" id="chart-data">(.*?)</script>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no chart data")
		}
		var data struct {
			ByProvince []struct {
				Name  string `json:"name"`
				Value int    `json:"value"`
			} `json:"by_province"`
		}
		if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
			t.Fatalf("chart data %q: %v", m[1], err)
		}
		if len(data.ByProvince) != 2 || data.ByProvince[0].Value != 2 {
			t.Errorf("by province = %+v", data.ByProvince)
		}
	})
	t.Run("province", func(t *testing.T) {
		c := newConsole(t, jiangsu)
		_, body := c.get(c.login("analyst"), "/")
		mustContain(t, body, ">省级<", `id="count-enterprises">2<`, `id="parent-name">工业和信息化部<`, "苏钢集团有限公司", "无锡纺织股份有限公司", `id="chart-industry"`)
		// Tenancy: nothing of the other province or of the ministry's tree.
		mustNotContain(t, body, "广汽智能汽车有限公司", "粤芯集成电路制造有限公司", "广东省工业和信息化厅", `id="count-provinces"`, `id="chart-province"`)
	})
	t.Run("enterprise", func(t *testing.T) {
		c := newConsole(t, steel)
		_, body := c.get(c.login("analyst"), "/")
		mustContain(t, body, ">企业<", "苏钢集团有限公司", `id="count-unacked">0<`, `id="self-identity"`, steel.USCC, `id="parent-name">江苏省工业和信息化厅<`)
		mustNotContain(t, body, "无锡纺织股份有限公司", `id="chart-data"`, "echarts.min.js")
	})
}

func TestNodesPageAndTenancy(t *testing.T) {
	c := newConsole(t, jiangsu)
	cl := c.login("analyst")
	_, body := c.get(cl, "/nodes")
	mustContain(t, body, "苏钢集团有限公司", "无锡纺织股份有限公司", "共 2 个节点")
	mustNotContain(t, body, "广汽智能汽车有限公司")
	_, body = c.get(cl, "/nodes?industry=C31")
	mustContain(t, body, "苏钢集团有限公司", "共 1 个节点")
	mustNotContain(t, body, "无锡纺织股份有限公司")

	resp, body := c.get(cl, "/nodes/e-steel")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("own enterprise: %d", resp.StatusCode)
	}
	mustContain(t, body, "苏钢集团有限公司", steel.USCC, "江苏省工业和信息化厅", "黑色金属冶炼和压延加工业")
	// Another province's enterprise is in this store (test data) but
	// outside the tenancy: not found, like anything unknown.
	for _, id := range []string{"e-car", "p-gd", "m-1", "no-such-node"} {
		if resp, _ := c.get(cl, "/nodes/"+id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /nodes/%s at Jiangsu: %d, want 404", id, resp.StatusCode)
		}
	}
	if resp, _ := c.get(cl, "/nodes?role=bogus"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad role filter: %d", resp.StatusCode)
	}
}

func TestComposeValidationInChinese(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("officer")
	for _, tc := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"title": {"  "}, "severity": {"info"}, "target": {"all"}}, []string{"标题不能为空"}},
		{url.Values{"title": {strings.Repeat("长", 201)}, "severity": {"info"}, "target": {"all"}}, []string{"标题不能超过 200 个字符（当前 201 个）"}},
		{url.Values{"title": {"t"}, "severity": {"critical"}, "target": {"all"}}, []string{"请选择通知级别"}},
		{url.Values{"title": {"t"}, "severity": {"info"}}, []string{"请选择接收范围"}},
		{url.Values{"title": {"t"}, "severity": {"info"}, "target": {"regions"}}, []string{"按地区发布时，请至少选择一个地区"}},
		{url.Values{"title": {"t"}, "severity": {"info"}, "target": {"regions"}, "region": {"999999"}}, []string{"地区代码“999999”不是有效的 6 位行政区划代码"}},
		{url.Values{"title": {"t"}, "severity": {"info"}, "target": {"industries"}, "industry": {"31"}}, []string{"行业代码“31”不是有效的国民经济行业分类代码"}},
		{url.Values{"title": {"t"}, "severity": {"info"}, "target": {"nodes"}}, []string{"指定节点发布时，请至少选择一个节点"}},
		{url.Values{"title": {"t"}, "severity": {"info"}, "target": {"nodes"}, "node": {"m-1"}}, []string{"节点“m-1”不在本节点的管辖范围内"}},
		{url.Values{"title": {""}, "body": {"保留的正文"}, "severity": {"x"}, "target": {"all"}}, []string{"标题不能为空", "请选择通知级别", "保留的正文"}},
	} {
		resp, body := c.postBody(cl, "/notices", tc.form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("form %v: status %d, want 422", tc.form, resp.StatusCode)
		}
		mustContain(t, body, append([]string{"通知未发布，请修改以下问题"}, tc.want...)...)
	}
	if n := len(c.actions.Sent()); n != 0 {
		t.Fatalf("%d invalid notices sent", n)
	}
}

func TestComposeAndProgress(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("officer")
	resp := c.post(cl, "/notices", url.Values{
		"title": {"关于开展数据安全自查的通知"}, "body": {"请各单位于月底前完成自查。"},
		"severity": {"warning"}, "target": {"regions"}, "region": {"320000"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("compose: %d", resp.StatusCode)
	}
	sent := c.actions.Sent()
	if len(sent) != 1 || !slices.Equal(sent[0].Target.Regions, []string{"320000"}) || sent[0].Severity != "warning" {
		t.Fatalf("sent %+v", sent)
	}
	id := sent[0].ID
	if loc := resp.Header.Get("Location"); loc != "/notices?sent="+id {
		t.Fatalf("redirect %q", loc)
	}
	_, body := c.get(cl, "/notices?sent="+id)
	mustContain(t, body, "通知“关于开展数据安全自查的通知”已签名发布", "重要", "工业和信息化部")

	// Progress reported from below shows as counts and per node.
	ctx := context.Background()
	for _, st := range []shuan.NoticeStatus{
		{NoticeID: id, NodeID: "p-js", Status: shuan.NoticeDelivered, At: t0},
		{NoticeID: id, NodeID: "e-steel", Status: shuan.NoticeAcked, By: "zhang", At: t0},
		{NoticeID: id, NodeID: "e-textile", Status: shuan.NoticeRead, By: "li", At: t0},
	} {
		if err := c.db.SetNoticeStatus(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	_, body = c.get(cl, "/notices/"+id)
	mustContain(t, body, "请各单位于月底前完成自查。", "江苏省(320000)", "2026-11-25 18:00:00", // t0 10:00 UTC in Beijing time
		`id="n-delivered">3<`, `id="n-read">2<`, `id="n-acked">1<`,
		"苏钢集团有限公司", "已确认", "zhang", "无锡纺织股份有限公司", "已读")
	mustNotContain(t, body, "广汽智能汽车有限公司") // not targeted

	var api struct {
		Notice struct {
			ID        string `json:"id"`
			Targeted  int    `json:"targeted"`
			Delivered int    `json:"delivered"`
			Acked     int    `json:"acked"`
		} `json:"notice"`
		Statuses []struct {
			NodeID string `json:"node_id"`
			Status string `json:"status"`
		} `json:"statuses"`
	}
	_, js := c.get(cl, "/api/v1/notices/"+id)
	if err := json.Unmarshal([]byte(js), &api); err != nil {
		t.Fatalf("api: %v: %s", err, js)
	}
	if api.Notice.ID != id || api.Notice.Targeted != 3 || api.Notice.Delivered != 3 || api.Notice.Acked != 1 || len(api.Statuses) != 3 {
		t.Errorf("api notice = %+v", api)
	}
	if !slices.Contains(c.auditActions(), "notice.send user:officer") {
		t.Errorf("send not audited: %q", c.auditActions())
	}
}

func TestEnterpriseMarksNotice(t *testing.T) {
	c := newConsole(t, steel)
	ctx := context.Background()
	n := shuan.Notice{ID: "ntc-1", Title: "紧急：勒索软件预警", Body: "立即检查备份。", Severity: shuan.SeverityUrgent,
		Target: shuan.Target{All: true}, Origin: "p-js", Created: t0}
	if err := c.db.CreateNotice(ctx, n); err != nil {
		t.Fatal(err)
	}
	cl := c.login("reviewer")
	_, body := c.get(cl, "/")
	mustContain(t, body, `id="count-unacked">1<`)
	_, body = c.get(cl, "/notices")
	mustContain(t, body, "收到的通知", "紧急：勒索软件预警", "江苏省工业和信息化厅", "未读", "标记已读", "确认收到")

	resp := c.post(cl, "/notices/ntc-1/mark", url.Values{"status": {"read"}, "back": {"/notices"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/notices" {
		t.Fatalf("mark read: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = c.get(cl, "/notices/ntc-1")
	mustContain(t, body, `id="my-status">已读<`, "确认收到")
	mustNotContain(t, body, "标记已读")

	c.post(cl, "/notices/ntc-1/mark", url.Values{"status": {"acked"}})
	_, body = c.get(cl, "/notices/ntc-1")
	mustContain(t, body, `id="my-status">已确认<`)
	mustNotContain(t, body, "确认收到")

	if resp, _ := c.postBody(cl, "/notices/ntc-1/mark", url.Values{"status": {"deleted"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad status: %d", resp.StatusCode)
	}
	if resp, _ := c.postBody(cl, "/notices/nope/mark", url.Values{"status": {"read"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown notice: %d", resp.StatusCode)
	}
	if resp, _ := c.postBody(c.login("analyst"), "/notices/ntc-1/mark", url.Values{"status": {"read"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst mark: %d", resp.StatusCode)
	}
	got := c.auditActions()
	if !slices.Contains(got, "notice.read user:reviewer") || !slices.Contains(got, "notice.acked user:reviewer") {
		t.Errorf("marks not audited: %q", got)
	}
}

func TestAPI(t *testing.T) {
	c := newConsole(t, ministry)
	if resp, body := c.get(c.client(), "/api/v1/nodes"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthorized"`) {
		t.Fatalf("anonymous API: %d %s", resp.StatusCode, body)
	}
	cl := c.login("analyst")
	var ov struct {
		Self   shuan.Node `json:"self"`
		Counts struct {
			Provinces, Enterprises, Online, Offline int
		} `json:"counts"`
		Tree struct {
			Children []struct {
				ID       string `json:"id"`
				Children []struct {
					ID string `json:"id"`
				} `json:"children"`
			} `json:"children"`
		} `json:"tree"`
	}
	resp, body := c.get(cl, "/api/v1/overview")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("overview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal([]byte(body), &ov); err != nil {
		t.Fatal(err)
	}
	if ov.Self.ID != "m-1" || ov.Counts.Provinces != 2 || ov.Counts.Enterprises != 4 || len(ov.Tree.Children) != 2 || len(ov.Tree.Children[0].Children) != 2 {
		t.Errorf("overview %+v", ov)
	}
	var nodes struct {
		Nodes []shuan.Node `json:"nodes"`
	}
	_, body = c.get(cl, "/api/v1/nodes?role=enterprise&region=440000")
	json.Unmarshal([]byte(body), &nodes)
	if len(nodes.Nodes) != 2 || nodes.Nodes[0].Region[:2] != "44" {
		t.Errorf("nodes %+v", nodes)
	}
	if resp, body := c.get(cl, "/api/v1/notices/none"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"code":"not_found"`) {
		t.Errorf("missing notice: %d %s", resp.StatusCode, body)
	}
	if resp, _ := c.get(cl, "/api/v1/bogus"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d", resp.StatusCode)
	}
	if resp, body := c.get(cl, "/api/v1/notices"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"notices":[]`) {
		t.Errorf("notices: %d %s", resp.StatusCode, body)
	}
}

func TestAuditPaging(t *testing.T) {
	c := newConsole(t, ministry)
	ctx := context.Background()
	for i := range 120 {
		if _, err := c.db.AppendAudit(ctx, t0.Add(time.Duration(i)*time.Second), "system", "test.fill", "x", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.db.AppendAudit(ctx, t0, "node:p-js", "node.registered", "e-steel", ""); err != nil {
		t.Fatal(err)
	}
	cl := c.login("auditor")
	_, body := c.get(cl, "/audit?after=0")
	mustContain(t, body, "哈希链校验通过（本页 50 条记录）", `id="audit-next"`, `href="/audit?after=50"`)
	// Without a position: the newest 50 (121 appended + this login = 122).
	_, body = c.get(cl, "/audit")
	mustContain(t, body, "哈希链校验通过（本页 50 条记录）", `<td class="num-cell">73</td>`, `<td class="num-cell">122</td>`, `href="/audit?after=22"`)
	mustNotContain(t, body, `<td class="num-cell">72</td>`, `id="audit-next"`)
	_, body = c.get(cl, "/audit?after=100")
	mustContain(t, body, `title="node:p-js">node:江苏省工业和信息化厅<`, `title="e-steel">苏钢集团有限公司<`)
	_, body = c.get(cl, "/audit?after=50")
	mustContain(t, body, "哈希链校验通过（本页 50 条记录）", `href="/audit?after=0"`, `href="/audit?after=100"`)
	_, body = c.get(cl, "/audit?after=100&verify=all")
	mustContain(t, body, "本页 22 条记录", "自创世记录起全链 122 条记录校验通过")
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9} {
		c2 := newConsole(t, ministry)
		for i := range n {
			c2.db.AppendAudit(ctx, t0.Add(time.Duration(i)*time.Second), "system", "test.fill", "x", "")
		}
		_, body := c2.get(c2.login("auditor"), "/audit")
		mustContain(t, body, fmt.Sprintf("本页 %d 条记录", n+1), fmt.Sprintf(`<td class="num-cell">%d</td>`, n+1))
	}
	mustNotContain(t, body, `id="audit-next"`)
	if resp, _ := c.get(cl, "/audit?after=-1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("negative after: %d", resp.StatusCode)
	}
}

// TestNoInlineCode keeps every page compatible with the strict CSP: no
// inline scripts (other than JSON data), handlers or style attributes.
func TestNoInlineCode(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("admin")
	c.post(cl, "/notices", url.Values{"title": {"t"}, "severity": {"info"}, "target": {"all"}})
	id := c.actions.Sent()[0].ID
	inline := regexp.MustCompile(`<script(?:\s+[^>]*)?>[^<]|\sstyle=|\son[a-z]+=|javascript:`)
	for _, path := range []string{"/", "/nodes", "/nodes/p-js", "/notices", "/notices/" + id, "/audit", "/nosuch", "/login"} {
		resp, body := c.get(cl, path)
		if path == "/login" {
			resp, body = c.get(c.client(), path)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: missing security headers", path)
		}
		for _, m := range inline.FindAllString(body, -1) {
			if !strings.Contains(m, `type="application/json"`) {
				t.Errorf("%s: inline code %q", path, m)
			}
		}
	}
}

func TestStaticAssets(t *testing.T) {
	c := newConsole(t, ministry)
	for path, ctype := range map[string]string{
		"/static/vendor/echarts.min.js": "text/javascript; charset=utf-8",
		"/static/js/charts.js":          "text/javascript; charset=utf-8",
		"/static/css/console.css":       "text/css; charset=utf-8",
		"/static/favicon.svg":           "image/svg+xml",
	} {
		resp, body := c.get(c.client(), path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype || len(body) == 0 {
			t.Errorf("%s: %d %q %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
	if _, body := c.get(c.client(), "/static/vendor/echarts.LICENSE"); !strings.Contains(body, "Apache License") {
		t.Error("ECharts licence not served beside it")
	}
	for _, dir := range []string{"/static/", "/static/vendor/"} {
		if resp, _ := c.get(c.client(), dir); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s lists a directory: %d", dir, resp.StatusCode)
		}
	}
}

// TestTemplateKeysExist checks that every message key the templates and
// handlers name exists in every language.
func TestTemplateKeysExist(t *testing.T) {
	re := regexp.MustCompile(`\.T "([a-z_.]+[a-z])"|T\("([a-z_.]+[a-z])"`)
	var keys []string
	for _, dir := range []string{"templates", "."} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if e.IsDir() || !(strings.HasSuffix(e.Name(), ".html") || strings.HasSuffix(e.Name(), ".go")) || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			b, err := os.ReadFile(dir + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				keys = append(keys, m[1]+m[2])
			}
		}
	}
	// Keys built from a prefix and a value.
	for prefix, values := range map[string][]string{
		"role.":         {"ministry", "province", "enterprise"},
		"tier.":         {"ministry", "province", "enterprise"},
		"urole.":        {"admin", "officer", "reviewer", "analyst", "auditor"},
		"state.":        {"online", "offline", "never", "revoked"},
		"severity.":     {"info", "warning", "urgent"},
		"status.":       {"pending", "delivered", "read", "acked", "unread"},
		"outbox.state.": {shuan.OutboxPending, shuan.OutboxDelivered, shuan.OutboxRejected},
	} {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys; is the pattern right?", len(keys))
	}
	for _, k := range keys {
		for _, l := range i18n.Langs() {
			if !i18n.Has(l, k) {
				t.Errorf("key %q missing in %s", k, l)
			}
		}
	}
}

func TestErrorsAreContained(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("admin")
	resp, body := c.get(cl, "/no/such/page")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown page: %d", resp.StatusCode)
	}
	mustContain(t, body, "404", "未找到所请求的内容")
	// A store failure shows a generic page, not the error.
	c.db.Close()
	resp, body = c.get(cl, "/")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("closed store: %d", resp.StatusCode)
	}
	mustContain(t, body, "服务器内部错误")
	mustNotContain(t, body, "sql")
	_ = context.Background
}

func TestLoginThrottled(t *testing.T) {
	c := newConsole(t, ministry)
	for i := range 10 {
		if resp := c.post(c.client(), "/login", url.Values{"name": {"admin"}, "password": {"guess"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("failure %d: status %d", i, resp.StatusCode)
		}
	}
	resp, body := c.postBody(c.client(), "/login", url.Values{"name": {"admin"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("11th attempt: %d, want 429", resp.StatusCode)
	}
	mustContain(t, body, "登录失败次数过多")
	c.clock.Add(15 * time.Minute)
	if resp := c.post(c.client(), "/login", url.Values{"name": {"admin"}, "password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want 303", resp.StatusCode)
	}
}

func TestReloginEndsOldSession(t *testing.T) {
	c := newConsole(t, ministry)
	cl := c.login("admin")
	u, _ := url.Parse(c.srv.URL)
	old := cl.Jar.Cookies(u)
	c.post(cl, "/login", url.Values{"name": {"admin"}, "password": {testPassword}})
	stale := c.client()
	stale.Jar.SetCookies(u, old)
	if resp, _ := c.get(stale, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("previous session still valid after a new login: %d", resp.StatusCode)
	}
	if resp, _ := c.get(cl, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("new session: %d", resp.StatusCode)
	}
}

func TestConsolesOnOneHostKeepSeparateSessions(t *testing.T) {
	m := newConsole(t, ministry)
	p := newConsole(t, jiangsu)
	cl := m.login("admin")
	// The same client (one cookie jar per host, like a browser) logs in
	// to the province too.
	if resp := p.post(cl, "/login", url.Values{"name": {"admin"}, "password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("province login failed")
	}
	for _, c := range []*console{m, p} {
		if resp, _ := c.get(cl, "/"); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: session lost: %d", c.srv.URL, resp.StatusCode)
		}
	}
}

func TestOverviewOutboxTroubleAndRevoked(t *testing.T) {
	c := newConsole(t, jiangsu)
	ctx := context.Background()
	for _, id := range []string{"env-1", "env-2", "env-3"} {
		it := shuan.OutboxItem{EnvelopeID: id, Kind: shuan.KindHeartbeat, Raw: []byte(`{}`), State: shuan.OutboxPending, NextAttempt: t0, Created: t0.Add(-time.Hour)}
		if err := c.db.Enqueue(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.db.MarkRetry(ctx, "env-1", 3, t0.Add(time.Minute), "dial tcp 10.0.0.1:8443: connection refused"); err != nil {
		t.Fatal(err)
	}
	if err := c.db.MarkRejected(ctx, "env-2", t0, "signature does not verify"); err != nil {
		t.Fatal(err)
	}
	if err := c.db.RevokeNode(ctx, shuan.Revocation{Serial: "7", NodeID: "e-textile", At: t0, Reason: "decommissioned"}); err != nil {
		t.Fatal(err)
	}
	_, body := c.get(c.login("analyst"), "/")
	mustContain(t, body, `id="outbox-pending">2<`, `id="outbox-rejected" class="bad-text">1<`, "需关注",
		`id="outbox-troubled"`, "connection refused", "signature does not verify", "被拒收", "重试中",
		`id="count-revoked">1<`, "已吊销", `id="outbox-oldest">1 小时<`)
	mustNotContain(t, body, "env-3")
}

// tamperedStore changes one audit record's detail as it is read, as an
// attacker editing the table would.
type tamperedStore struct {
	web.Store
	seq int64
}

func (s tamperedStore) AuditRecords(ctx context.Context, after int64, limit int) ([]ledger.Record, error) {
	recs, err := s.Store.AuditRecords(ctx, after, limit)
	for i := range recs {
		if recs[i].Seq == s.seq {
			recs[i].Detail = "edited"
		}
	}
	return recs, err
}

func TestAuditDetectsTampering(t *testing.T) {
	c := newConsole(t, ministry, func(cfg *web.Config) { cfg.Store = tamperedStore{Store: cfg.Store, seq: 60} })
	ctx := context.Background()
	for i := range 80 {
		if _, err := c.db.AppendAudit(ctx, t0.Add(time.Duration(i)*time.Second), "system", "test.fill", "x", "original"); err != nil {
			t.Fatal(err)
		}
	}
	cl := c.login("auditor")
	_, body := c.get(cl, "/audit?after=0")
	mustContain(t, body, "哈希链校验通过")
	_, body = c.get(cl, "/audit?after=50")
	mustContain(t, body, "哈希链校验失败", "seq 60")
	_, body = c.get(cl, "/audit?verify=all")
	mustContain(t, body, "全链校验失败（已通过 59 条）")
}

func TestHostileNamesAreEscaped(t *testing.T) {
	c := newConsole(t, ministry)
	evil := shuan.Node{ID: "e-evil", Name: `</script><script>alert(1)</script><img src=x onerror=alert(2)>`, Role: shuan.RoleEnterprise,
		Region: "320100", Industry: `C31"><b>`, ParentID: "p-js", Enrolled: t0}
	if err := c.db.UpsertNode(context.Background(), evil); err != nil {
		t.Fatal(err)
	}
	cl := c.login("admin")
	for _, path := range []string{"/", "/nodes", "/nodes/e-evil"} {
		_, body := c.get(cl, path)
		mustNotContain(t, body, "<script>alert", "<img src=x", `"><b>`)
		mustContain(t, body, "&lt;/script&gt;&lt;script&gt;alert(1)")
	}
}
