package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/auth"
	"github.com/shuan-dev/shuan/sqlstore"
	"github.com/shuan-dev/shuan/sqlstore/sqlstoretest"
	"github.com/shuan-dev/shuan/web"
)

// cheap keeps test logins fast; VerifyPassword reads the cost from the hash.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testPassword is every fixture user's password.
const testPassword = "Mima-2026-test"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeActions stands in for the node runtime: it stores and audits sent
// notices and marks without signing or federating anything.
type fakeActions struct {
	db     *sqlstore.DB
	selfID string
	now    func() time.Time
	mu     sync.Mutex
	sent   []shuan.Notice
}

func (a *fakeActions) SendNotice(ctx context.Context, by shuan.User, n shuan.Notice) (shuan.Notice, error) {
	if err := n.Validate(); err != nil {
		return shuan.Notice{}, err
	}
	var b [8]byte
	rand.Read(b[:])
	n.ID = "ntc-" + hex.EncodeToString(b[:])
	n.Origin = a.selfID
	n.Created = a.now()
	if err := a.db.CreateNotice(ctx, n); err != nil {
		return shuan.Notice{}, err
	}
	if _, err := a.db.AppendAudit(ctx, n.Created, "user:"+by.Name, "notice.send", n.ID, n.Title); err != nil {
		return shuan.Notice{}, err
	}
	a.mu.Lock()
	a.sent = append(a.sent, n)
	a.mu.Unlock()
	return n, nil
}

func (a *fakeActions) MarkNotice(ctx context.Context, by shuan.User, noticeID, status string) error {
	if err := a.db.SetNoticeStatus(ctx, shuan.NoticeStatus{NoticeID: noticeID, NodeID: a.selfID, Status: status, By: by.Name, At: a.now()}); err != nil {
		return err
	}
	_, err := a.db.AppendAudit(ctx, a.now(), "user:"+by.Name, "notice."+status, noticeID, "")
	return err
}

func (a *fakeActions) Sent() []shuan.Notice {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]shuan.Notice(nil), a.sent...)
}

// The fixture federation: one ministry, two provinces, four enterprises, and
// a province and enterprise outside the province console's tenancy.
var (
	t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

	ministry  = shuan.Node{ID: "m-1", Name: "工业和信息化部", Role: shuan.RoleMinistry, Enrolled: t0.Add(-72 * time.Hour)}
	jiangsu   = shuan.Node{ID: "p-js", Name: "江苏省工业和信息化厅", Role: shuan.RoleProvince, Region: "320000", ParentID: "m-1", Enrolled: t0.Add(-48 * time.Hour), LastSeen: t0.Add(-30 * time.Second), Health: shuan.Health{Version: "v0.1.0", Uptime: 7200}}
	guangdong = shuan.Node{ID: "p-gd", Name: "广东省工业和信息化厅", Role: shuan.RoleProvince, Region: "440000", ParentID: "m-1", Enrolled: t0.Add(-48 * time.Hour), LastSeen: t0.Add(-20 * time.Minute)}
	steel     = shuan.Node{ID: "e-steel", Name: "苏钢集团有限公司", Role: shuan.RoleEnterprise, Region: "320500", Industry: "C3120", USCC: uscc("91320500MA1XYP123"), ParentID: "p-js", Enrolled: t0.Add(-24 * time.Hour), LastSeen: t0.Add(-40 * time.Second)}
	textile   = shuan.Node{ID: "e-textile", Name: "无锡纺织股份有限公司", Role: shuan.RoleEnterprise, Region: "320200", Industry: "C1711", ParentID: "p-js", Enrolled: t0.Add(-24 * time.Hour)}
	carmaker  = shuan.Node{ID: "e-car", Name: "广汽智能汽车有限公司", Role: shuan.RoleEnterprise, Region: "440100", Industry: "C3611", ParentID: "p-gd", Enrolled: t0.Add(-24 * time.Hour), LastSeen: t0.Add(-10 * time.Second)}
	fab       = shuan.Node{ID: "e-fab", Name: "粤芯集成电路制造有限公司", Role: shuan.RoleEnterprise, Region: "440300", Industry: "C3973", ParentID: "p-gd", Enrolled: t0.Add(-24 * time.Hour), LastSeen: t0.Add(-1 * time.Minute)}
)

// uscc appends the GB 32100 check character.
func uscc(first17 string) string {
	c, ok := shuan.USCCCheck(first17)
	if !ok {
		panic("bad uscc prefix " + first17)
	}
	return first17 + string(c)
}

func allNodes() []shuan.Node {
	return []shuan.Node{ministry, jiangsu, guangdong, steel, textile, carmaker, fab}
}

// console is a running console over a real SQLite store.
type console struct {
	t       *testing.T
	db      *sqlstore.DB
	clock   *clock
	actions *fakeActions
	srv     *httptest.Server
	handler http.Handler
}

// newConsole serves the console of self over a store seeded with the whole
// fixture federation and one user per role (named after the role).
func newConsole(t *testing.T, self shuan.Node, opts ...func(*web.Config)) *console {
	t.Helper()
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	for _, n := range allNodes() {
		if err := db.UpsertNode(ctx, n); err != nil {
			t.Fatalf("seed node %s: %v", n.ID, err)
		}
	}
	for _, role := range []shuan.UserRole{shuan.UserAdmin, shuan.UserOfficer, shuan.UserReviewer, shuan.UserAnalyst, shuan.UserAuditor} {
		h, err := auth.HashPasswordWith(testPassword, cheap)
		if err != nil {
			t.Fatal(err)
		}
		u := shuan.User{ID: "u-" + string(role), Name: string(role), Role: role, Created: t0}
		if err := db.CreateUser(ctx, u, h); err != nil {
			t.Fatalf("seed user %s: %v", role, err)
		}
	}
	clk := &clock{t: t0}
	acts := &fakeActions{db: db, selfID: self.ID, now: clk.Now}
	cfg := web.Config{SelfID: self.ID, Store: db, Actions: acts, Now: clk.Now, Version: "v0.1.0-test"}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := web.New(cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &console{t: t, db: db, clock: clk, actions: acts, srv: srv, handler: h}
}

// client is a browser-like HTTP client with cookies that does not follow
// redirects, so tests see them.
func (c *console) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// login returns a client logged in as user.
func (c *console) login(user string) *http.Client {
	c.t.Helper()
	cl := c.client()
	resp := c.post(cl, "/login", url.Values{"name": {user}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d", user, resp.StatusCode)
	}
	return cl
}

// get fetches path and returns the response with its body read.
func (c *console) get(cl *http.Client, path string, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := cl.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// post submits a form as a same-origin browser would.
func (c *console) post(cl *http.Client, path string, form url.Values, hdr ...string) *http.Response {
	c.t.Helper()
	resp, _ := c.postBody(cl, path, form, hdr...)
	return resp
}

func (c *console) postBody(cl *http.Client, path string, form url.Values, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := cl.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// auditActions lists the actions recorded in the audit log, in order.
func (c *console) auditActions() []string {
	c.t.Helper()
	recs, err := c.db.AuditRecords(context.Background(), 0, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action+" "+r.Actor)
	}
	return out
}
