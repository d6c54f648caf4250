package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/pki"
	"github.com/shuan-dev/shuan/sqlstore"
	"github.com/shuan-dev/shuan/sqlstore/sqlstoretest"
)

// tier is one node of an in-process test federation.
type tier struct {
	*Runtime
	url    string
	cancel context.CancelFunc
	done   chan error
}

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newNode initialises and opens a node in a temp dir (not yet serving).
func newNode(t testing.TB, role shuan.Role, name, region, industry string) *Runtime {
	return newNodeDB(t, role, name, region, industry, "")
}

// newNodeDB is newNode with the store at dsn ("" for embedded SQLite).
func newNodeDB(t testing.TB, role shuan.Role, name, region, industry, dsn string) *Runtime {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	_, err := Init(ctx, dir, InitOptions{Role: role, Name: name, Region: region, Industry: industry, DB: dsn,
		Listen: "127.0.0.1:0", Console: "", Hosts: []string{"127.0.0.1", "localhost"}}, time.Now())
	if err != nil {
		t.Fatalf("init %s: %v", name, err)
	}
	if err := SetHeartbeat(dir, "1s"); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, dir, testLog(t))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// serve starts r in the background and returns its federation URL.
func serve(t testing.TB, r *Runtime) *tier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, nil, func(f, _ string) { ready <- f }) }()
	select {
	case addr := <-ready:
		tr := &tier{Runtime: r, url: "https://" + addr, cancel: cancel, done: done}
		t.Cleanup(func() { cancel(); <-done })
		return tr
	case err := <-done:
		cancel()
		t.Fatalf("serve %s: %v", r.Cfg.Name, err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("serve %s: not ready", r.Cfg.Name)
	}
	return nil
}

func token(t testing.TB, parent *tier, ttl time.Duration) string {
	t.Helper()
	s, _, err := parent.NewToken(context.Background(), ttl, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func enrol(t testing.TB, parent *tier, child *Runtime) *tier {
	t.Helper()
	if err := child.Enroll(context.Background(), parent.url, token(t, parent, time.Hour)); err != nil {
		t.Fatalf("enrol %s: %v", child.Cfg.Name, err)
	}
	return serve(t, child)
}

type federation struct {
	ministry, js, gd, steel, ic, auto *tier
}

func newFederation(t testing.TB) *federation {
	f := &federation{}
	f.ministry = serve(t, newNode(t, shuan.RoleMinistry, "工业和信息化部", "", ""))
	f.js = enrol(t, f.ministry, newNode(t, shuan.RoleProvince, "江苏省工业和信息化厅", "320000", ""))
	f.gd = enrol(t, f.ministry, newNode(t, shuan.RoleProvince, "广东省工业和信息化厅", "440000", ""))
	f.steel = enrol(t, f.js, newNode(t, shuan.RoleEnterprise, "江苏特钢", "320281", "C31"))
	f.ic = enrol(t, f.js, newNode(t, shuan.RoleEnterprise, "无锡芯源", "320214", "C3973"))
	f.auto = enrol(t, f.gd, newNode(t, shuan.RoleEnterprise, "广州粤驰汽车", "440115", "C36"))
	return f
}

func waitFor(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestFederationTreeNoticeAndAcks(t *testing.T) {
	f := newFederation(t)
	ctx := context.Background()
	// The ministry learns about every enterprise through node_registered.
	waitFor(t, "ministry knows the whole tree", func() error {
		st, err := f.ministry.Status(ctx)
		if err != nil {
			return err
		}
		if len(st.Subtree) != 5 {
			return errorf("ministry subtree has %d nodes, want 5", len(st.Subtree))
		}
		for _, n := range st.Subtree {
			if !n.Online {
				return errorf("%s offline at the ministry", n.Name)
			}
		}
		return nil
	})
	// A province sees only its own enterprises.
	st, err := f.gd.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Subtree) != 1 || st.Subtree[0].ID != f.auto.Cfg.ID {
		t.Fatalf("guangdong subtree = %+v, want only its car maker", st.Subtree)
	}
	// A notice to Jiangsu's region reaches its two enterprises, not Guangdong's.
	n, err := f.ministry.SendNotice(ctx, shuan.User{}, shuan.Notice{Title: "江苏专项检查", Severity: shuan.SeverityUrgent,
		Target: shuan.Target{Regions: []string{"320000"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*tier{f.steel, f.ic} {
		waitFor(t, "notice at "+e.Cfg.Name, func() error {
			_, err := e.DB.FindNotice(ctx, n.ID)
			return err
		})
		if err := e.MarkNotice(ctx, shuan.User{}, n.ID, shuan.NoticeAcked); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "acks at the ministry", func() error {
		sts, err := f.ministry.DB.NoticeStatuses(ctx, n.ID)
		if err != nil {
			return err
		}
		acked := 0
		for _, s := range sts {
			if s.Status == shuan.NoticeAcked {
				acked++
			}
		}
		if acked != 2 {
			return errorf("%d acks, want 2 (%+v)", acked, sts)
		}
		return nil
	})
	time.Sleep(1500 * time.Millisecond) // a few more pulls
	if _, err := f.auto.DB.FindNotice(ctx, n.ID); shuan.ErrorCode(err) != shuan.ENOTFOUND {
		t.Errorf("Guangdong enterprise got a Jiangsu notice: err = %v", err)
	}
}

func errorf(format string, args ...any) error { return shuan.Errorf(shuan.EINVALID, format, args...) }

func TestEnrolmentRefusals(t *testing.T) {
	ctx := context.Background()
	ministry := serve(t, newNode(t, shuan.RoleMinistry, "部", "", ""))
	js := enrol(t, ministry, newNode(t, shuan.RoleProvince, "江苏", "320000", ""))

	// Replayed token.
	tok := token(t, js, time.Hour)
	if err := newNode(t, shuan.RoleEnterprise, "甲", "320100", "C31").Enroll(ctx, js.url, tok); err != nil {
		t.Fatal(err)
	}
	err := newNode(t, shuan.RoleEnterprise, "乙", "320100", "C31").Enroll(ctx, js.url, tok)
	if shuan.ErrorCode(err) != shuan.ECONFLICT || !strings.Contains(err.Error(), "already used") {
		t.Errorf("replayed token: err = %v", err)
	}
	// Expired token.
	tok = token(t, js, time.Second)
	time.Sleep(1100 * time.Millisecond)
	err = newNode(t, shuan.RoleEnterprise, "丙", "320100", "C31").Enroll(ctx, js.url, tok)
	if shuan.ErrorCode(err) != shuan.EEXPIRED {
		t.Errorf("expired token: err = %v", err)
	}
	// Wrong role: an enterprise with a ministry token (which enrols provinces).
	err = newNode(t, shuan.RoleEnterprise, "丁", "320100", "C31").Enroll(ctx, ministry.url, token(t, ministry, time.Hour))
	if shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Errorf("enterprise enrolling at the ministry: err = %v", err)
	}
	// Region outside the province.
	err = newNode(t, shuan.RoleEnterprise, "戊", "440100", "C31").Enroll(ctx, js.url, token(t, js, time.Hour))
	if shuan.ErrorCode(err) != shuan.EINVALID {
		t.Errorf("enterprise from another province: err = %v", err)
	}
	// A token for another federation's root is refused before anything is sent.
	other := serve(t, newNode(t, shuan.RoleMinistry, "另一个部", "", ""))
	err = newNode(t, shuan.RoleProvince, "己", "330000", "").Enroll(ctx, ministry.url, token(t, other, time.Hour))
	if err == nil {
		t.Error("enrolment with a token pinned to another root succeeded")
	}
	// Refusals changed nothing: the province still has exactly one enterprise.
	kids, err := js.DB.FindNodes(ctx, shuan.NodeFilter{Under: js.Cfg.ID})
	if err != nil || len(kids) != 1 {
		t.Errorf("province children after refusals = %d (%v), want 1", len(kids), err)
	}
}

// rawClient is an mTLS client with a node's own certificate, for sending
// hand-made requests.
func rawClient(t testing.TB, r *Runtime) *http.Client {
	c := pki.ClientConfig(*r.cert.get(), r.Roots, r.Revoked)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c}, Timeout: 10 * time.Second}
}

func push(t testing.TB, c *http.Client, url string, raws ...[]byte) (int, fed.PushResponse) {
	t.Helper()
	req := fed.PushRequest{}
	for _, r := range raws {
		req.Envelopes = append(req.Envelopes, r)
	}
	b, _ := json.Marshal(req)
	resp, err := c.Post(url+"/fed/v1/envelopes", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pr fed.PushResponse
	json.NewDecoder(resp.Body).Decode(&pr)
	return resp.StatusCode, pr
}

func TestBadEnvelopesRefusedAndNothingStored(t *testing.T) {
	ctx := context.Background()
	f := newFederation(t)
	c := rawClient(t, f.steel.Runtime)
	before, _ := f.js.DB.CountEnvelopes(ctx, shuan.KindProbe)

	good := func(key any) []byte {
		_, raw, err := fed.Seal(f.steel.SignKey, f.steel.Cfg.ID, shuan.KindProbe, fed.Probe{Seq: 1}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tampered := bytes.Replace(good(nil), []byte(`"seq":1`), []byte(`"seq":2`), 1)
	other, _ := gm.GenerateKey()
	_, forged, _ := fed.Seal(other, f.steel.Cfg.ID, shuan.KindProbe, fed.Probe{Seq: 3}, time.Now())
	// Cross-tenant: steel signs as itself but claims the IC fab as origin.
	_, spoofed, _ := fed.Seal(f.steel.SignKey, f.ic.Cfg.ID, shuan.KindProbe, fed.Probe{Seq: 4}, time.Now())
	// Cross-tenant: an origin from another province.
	_, foreign, _ := fed.Seal(f.steel.SignKey, f.auto.Cfg.ID, shuan.KindProbe, fed.Probe{Seq: 5}, time.Now())
	unknownKind := []byte(`{"id":"` + uuid.NewString() + `","kind":"wipe_all","version":1,"origin":"` + f.steel.Cfg.ID + `","issued_at":"2026-01-01T00:00:00Z","body":{},"sm3":"","signature":""}`)
	_, future, _ := fed.Seal(f.steel.SignKey, f.steel.Cfg.ID, shuan.KindProbe, fed.Probe{Seq: 6}, time.Now().Add(time.Hour))
	_, down, _ := fed.Seal(f.steel.SignKey, f.steel.Cfg.ID, shuan.KindNotice, fed.NoticeBody{Title: "x", Severity: "info", Target: shuan.Target{All: true}}, time.Now())

	code, pr := push(t, c, f.js.url, tampered, forged, spoofed, foreign, unknownKind, future, down, []byte(`{"id":1}`))
	if code != http.StatusOK {
		t.Fatalf("push status %d", code)
	}
	wants := []string{"SM3 digest does not match", "SM2 signature does not verify", "neither the sending node", "neither the sending node",
		`unknown kind "wipe_all"`, "lies in the future", "does not travel upward", "malformed envelope"}
	for i, w := range wants {
		if pr.Receipts[i].Status != shuan.ReceiptRejected || !strings.Contains(pr.Receipts[i].Reason, w) {
			t.Errorf("envelope %d: receipt %+v, want rejected with %q", i, pr.Receipts[i], w)
		}
	}
	after, _ := f.js.DB.CountEnvelopes(ctx, shuan.KindProbe)
	if after != before {
		t.Errorf("refused envelopes were stored: %d -> %d", before, after)
	}
	// An oversize request is refused as a whole.
	huge := bytes.Repeat([]byte("x"), shuan.MaxBodyBytes*14)
	resp, err := c.Post(f.js.url+"/fed/v1/envelopes", "application/json", bytes.NewReader(append(append([]byte(`{"envelopes":["`), huge...), `"]}`...)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize push: status %d, want 413", resp.StatusCode)
	}
	// The same envelope twice: accepted once, then a duplicate, applied once.
	raw := good(nil)
	_, p1 := push(t, c, f.js.url, raw)
	_, p2 := push(t, c, f.js.url, raw)
	if p1.Receipts[0].Status != shuan.ReceiptAccepted || p2.Receipts[0].Status != shuan.ReceiptDuplicate {
		t.Errorf("duplicate handling: %+v then %+v", p1.Receipts[0], p2.Receipts[0])
	}
	// An enterprise of Guangdong is a stranger at Jiangsu.
	gc := rawClient(t, f.auto.Runtime)
	resp, err = gc.Get(f.js.url + "/fed/v1/down?after=0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign enterprise pulling Jiangsu's feed: status %d, want 403", resp.StatusCode)
	}
	// No client certificate at all.
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.js.Roots, MinVersion: tls.VersionTLS13}}}
	resp, err = anon.Get(f.js.url + "/fed/v1/down?after=0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous pull: status %d, want 401", resp.StatusCode)
	}
}

func TestRevokedChildRefused(t *testing.T) {
	ctx := context.Background()
	ministry := serve(t, newNode(t, shuan.RoleMinistry, "部", "", ""))
	js := enrol(t, ministry, newNode(t, shuan.RoleProvince, "江苏", "320000", ""))
	e := newNode(t, shuan.RoleEnterprise, "甲", "320100", "C31")
	if err := e.Enroll(ctx, js.url, token(t, js, time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := rawClient(t, e)
	resp, err := c.Get(js.url + "/fed/v1/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := js.Revoke(ctx, e.Cfg.ID, "keyCompromise", "test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "revoked enterprise refused", func() error {
		c := rawClient(t, e)
		resp, err := c.Get(js.url + "/fed/v1/down?after=0")
		if err != nil {
			return nil // handshake refused: good
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusForbidden {
			return nil
		}
		return errorf("status %d", resp.StatusCode)
	})
}

// TestFederationOnPostgres runs the ministry and a province on PostgreSQL and
// an enterprise on SQLite, and checks an envelope's trip and a notice's.
func TestFederationOnPostgres(t *testing.T) {
	ctx := context.Background()
	ministry := serve(t, newNodeDB(t, shuan.RoleMinistry, "部", "", "", sqlstoretest.PostgresDSN(t)))
	js := enrol(t, ministry, newNodeDB(t, shuan.RoleProvince, "江苏", "320000", "", sqlstoretest.PostgresDSN(t)))
	steel := enrol(t, js, newNode(t, shuan.RoleEnterprise, "特钢", "320281", "C31"))
	if ministry.DB.Dialect() != sqlstore.Postgres || js.DB.Dialect() != sqlstore.Postgres {
		t.Fatalf("dialects %s/%s, want postgres", ministry.DB.Dialect(), js.DB.Dialect())
	}
	ids, err := steel.Probe(ctx, 20, "pg")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "probes at the ministry on PostgreSQL", func() error {
		for _, id := range ids {
			if _, err := ministry.DB.FindEnvelope(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
	// The ministry can verify the enterprise's own signature on what it stored.
	stored, err := ministry.DB.FindEnvelope(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	e, err := fed.Parse(stored.Raw)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ministry.DB.FindNode(ctx, steel.Cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	certs, _ := pki.ParseCertsPEM([]byte(n.CertPEM))
	id, err := pki.IdentityOf(certs[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gm.ParsePublicKey(id.SignKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fed.Verify(e, pub); err != nil || e.Origin != steel.Cfg.ID {
		t.Fatalf("enterprise signature at the ministry: %v (origin %s)", err, e.Origin)
	}
}

// TestRenewalBeforeExpiry gives an enterprise a 6-second certificate and
// checks that it renews it before expiry and keeps talking to its parent.
func TestRenewalBeforeExpiry(t *testing.T) {
	ctx := context.Background()
	ministry := serve(t, newNode(t, shuan.RoleMinistry, "部", "", ""))
	jsNode := newNode(t, shuan.RoleProvince, "江苏", "320000", "")
	jsNode.IssueTTL = 6 * time.Second
	js := enrol(t, ministry, jsNode)
	e := newNode(t, shuan.RoleEnterprise, "甲", "320100", "C31")
	e.Maintain = 500 * time.Millisecond
	ent := enrol(t, js, e)
	first := ent.cert.get().Leaf
	if first == nil || time.Until(first.NotAfter) > 10*time.Second {
		t.Fatalf("enterprise certificate expires at %v, want within about 6s", first.NotAfter)
	}
	waitFor(t, "certificate renewed", func() error {
		if c := ent.cert.get().Leaf; c != nil && c.SerialNumber.Cmp(first.SerialNumber) != 0 {
			return nil
		}
		return errorf("still the first certificate")
	})
	time.Sleep(time.Until(first.NotAfter) + 500*time.Millisecond)
	ids, err := ent.Probe(ctx, 1, "after expiry of the first certificate")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "probe after the first certificate expired", func() error {
		_, err := js.DB.FindEnvelope(ctx, ids[0])
		return err
	})
}

// TestRevocationTravelsDown revokes a province at the ministry and checks
// that the enterprises of the other province receive the new CRL.
func TestRevocationTravelsDown(t *testing.T) {
	ctx := context.Background()
	f := newFederation(t)
	if err := f.ministry.Revoke(ctx, f.gd.Cfg.ID, "cessationOfOperation", "test"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*tier{f.steel, f.ic} {
		waitFor(t, "CRL at "+e.Cfg.Name, func() error {
			v, err := e.DB.Setting(ctx, "crl."+f.ministry.Cfg.ID)
			if err != nil || v == "" {
				return errorf("no CRL from the ministry yet (%v)", err)
			}
			return nil
		})
	}
	// The revoked province is refused by the ministry.
	c := rawClient(t, f.gd.Runtime)
	resp, err := c.Get(f.ministry.url + "/fed/v1/down?after=0")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("revoked province pulling from the ministry: status %d, want 403", resp.StatusCode)
		}
	}
}
