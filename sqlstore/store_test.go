package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ledger"
	"github.com/shuan-dev/shuan/sqlstore"
	"github.com/shuan-dev/shuan/sqlstore/sqlstoretest"
)

// engines are the backends every store test runs against.
var engines = []struct {
	name string
	open func(testing.TB) *sqlstore.DB
}{
	{"sqlite", sqlstoretest.SQLite},
	{"postgres", sqlstoretest.Postgres},
}

// The store suite: each case gets a fresh, empty store.
var suite = []struct {
	name string
	fn   func(t *testing.T, db *sqlstore.DB)
}{
	{"Nodes", testNodes},
	{"NodeTree", testNodeTree},
	{"TouchNode", testTouchNode},
	{"Revocations", testRevocations},
	{"Tokens", testTokens},
	{"TokenRace", testTokenRace},
	{"Envelopes", testEnvelopes},
	{"Outbox", testOutbox},
	{"DownFeed", testDownFeed},
	{"DownFeedConcurrent", testDownFeedConcurrent},
	{"Notices", testNotices},
	{"Users", testUsers},
	{"Sessions", testSessions},
	{"Settings", testSettings},
	{"TxCommit", testTxCommit},
	{"TxRollback", testTxRollback},
	{"TxPanic", testTxPanic},
	{"Audit", testAudit},
	{"AuditConcurrent", testAuditConcurrent},
}

func TestStore(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range suite {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.fn(t, e.open(t))
				})
			}
		})
	}
}

var (
	ctx = context.Background()
	// t0 has sub-microsecond digits and a non-UTC zone: the store keeps
	// microseconds and returns UTC.
	t0 = time.Date(2026, 11, 25, 16, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
)

// at returns t0 plus d, truncated to what the store keeps.
func at(d time.Duration) time.Time { return t0.Add(d).Truncate(time.Microsecond).UTC() }

// wantCode fails t unless err carries the domain error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := shuan.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenSQLiteTwice(t *testing.T) {
	for _, dsn := range []string{"sqlite:" + filepath.Join(t.TempDir(), "a.db"), filepath.Join(t.TempDir(), "b.db")} {
		db, err := sqlstore.Open(ctx, dsn)
		must(t, err)
		must(t, db.PutSetting(ctx, "k", "v"))
		must(t, db.Close())
		db, err = sqlstore.Open(ctx, dsn) // migrations already applied
		must(t, err)
		if v, err := db.Setting(ctx, "k"); err != nil || v != "v" {
			t.Fatalf("Setting after reopen = %q, %v", v, err)
		}
		if db.Dialect() != sqlstore.SQLite {
			t.Fatalf("Dialect = %q", db.Dialect())
		}
		must(t, db.Close())
	}
}

func TestOpenPostgresDialect(t *testing.T) {
	if db := sqlstoretest.Postgres(t); db.Dialect() != sqlstore.Postgres {
		t.Fatalf("Dialect = %q", db.Dialect())
	}
}

// Several processes may start on one database at once (replicas of shuan
// serve): migrations must apply exactly once.
func TestOpenConcurrently(t *testing.T) {
	for _, dsn := range map[string]func(testing.TB) string{
		"sqlite":   func(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "node.db") },
		"postgres": sqlstoretest.PostgresDSN,
	} {
		dsn := dsn(t)
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				db, err := sqlstore.Open(ctx, dsn)
				if err != nil {
					t.Error(err)
					return
				}
				defer db.Close()
				if err := db.PutSetting(ctx, "k", "v"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

func testNodes(t *testing.T, db *sqlstore.DB) {
	_, err := db.FindNode(ctx, "nope")
	wantCode(t, err, shuan.ENOTFOUND)

	n := shuan.Node{
		ID: "e1", Name: "苏州钢铁", Role: shuan.RoleEnterprise, Region: "320500", Industry: "C31",
		USCC: "91320500MA1XXXXX0X", ParentID: "p32", CertPEM: "-----BEGIN CERTIFICATE-----\n",
		Enrolled: t0, LastSeen: t0.Add(time.Minute), Key: true,
		Health: shuan.Health{Version: "v1", Uptime: 60, OutboxDepth: 2},
	}
	must(t, db.UpsertNode(ctx, n))
	got, err := db.FindNode(ctx, "e1")
	must(t, err)
	n.Enrolled, n.LastSeen = at(0), at(time.Minute) // as stored
	if diff := cmp.Diff(n, got); diff != "" {
		t.Fatalf("FindNode (-want +got):\n%s", diff)
	}
	if got.Enrolled.Location() != time.UTC || got.Enrolled.Nanosecond()%1000 != 0 {
		t.Fatalf("Enrolled = %v, want UTC truncated to µs", got.Enrolled)
	}

	// An update with zero LastSeen and Health keeps them; the rest changes.
	n2 := n
	n2.Name, n2.LastSeen, n2.Health, n2.Key = "苏州特钢", time.Time{}, shuan.Health{}, false
	must(t, db.UpsertNode(ctx, n2))
	got, err = db.FindNode(ctx, "e1")
	must(t, err)
	want := n
	want.Name, want.Key = "苏州特钢", false
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("after upsert with zero fields (-want +got):\n%s", diff)
	}

	// An older LastSeen does not move it back, nor does its health apply.
	n3 := n
	n3.LastSeen, n3.Health = t0, shuan.Health{Version: "old"}
	must(t, db.UpsertNode(ctx, n3))
	got, _ = db.FindNode(ctx, "e1")
	if !got.LastSeen.Equal(n.LastSeen) || got.Health != n.Health {
		t.Fatalf("older report moved node back: %v %+v", got.LastSeen, got.Health)
	}
	// A newer one does.
	n3.LastSeen, n3.Health = at(time.Hour), shuan.Health{Version: "v2"}
	must(t, db.UpsertNode(ctx, n3))
	got, _ = db.FindNode(ctx, "e1")
	if !got.LastSeen.Equal(n3.LastSeen) || got.Health != n3.Health {
		t.Fatalf("newer report not applied: %v %+v", got.LastSeen, got.Health)
	}
}

// tree is a ministry, two provinces and four enterprises.
var tree = []shuan.Node{
	{ID: "m", Name: "工业和信息化部", Role: shuan.RoleMinistry, Region: "110000"},
	{ID: "p32", Name: "江苏省", Role: shuan.RoleProvince, Region: "320000", ParentID: "m"},
	{ID: "p44", Name: "广东省", Role: shuan.RoleProvince, Region: "440000", ParentID: "m"},
	{ID: "e1", Name: "苏州钢铁", Role: shuan.RoleEnterprise, Region: "320500", Industry: "C3110", ParentID: "p32"},
	{ID: "e2", Name: "无锡纺织", Role: shuan.RoleEnterprise, Region: "320200", Industry: "C1711", ParentID: "p32"},
	{ID: "e3", Name: "广州汽车", Role: shuan.RoleEnterprise, Region: "440100", Industry: "C3612", ParentID: "p44"},
	{ID: "e4", Name: "深圳芯片", Role: shuan.RoleEnterprise, Region: "440300", Industry: "C3973", ParentID: "p44"},
}

func ids(ns []shuan.Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func testNodeTree(t *testing.T, db *sqlstore.DB) {
	for i := len(tree) - 1; i >= 0; i-- { // children before parents: no ordering constraint
		n := tree[i]
		n.Enrolled = t0
		must(t, db.UpsertNode(ctx, n))
	}
	for _, c := range []struct {
		f    shuan.NodeFilter
		want []string
	}{
		{shuan.NodeFilter{}, []string{"m", "p32", "p44", "e2", "e1", "e3", "e4"}},
		{shuan.NodeFilter{Under: "m"}, []string{"p32", "p44", "e2", "e1", "e3", "e4"}},
		{shuan.NodeFilter{Under: "p32"}, []string{"e2", "e1"}},
		{shuan.NodeFilter{Under: "p44"}, []string{"e3", "e4"}},
		{shuan.NodeFilter{Under: "e1"}, nil},
		{shuan.NodeFilter{Under: "unknown"}, nil},
		{shuan.NodeFilter{Role: shuan.RoleProvince}, []string{"p32", "p44"}},
		{shuan.NodeFilter{Under: "m", Role: shuan.RoleEnterprise}, []string{"e2", "e1", "e3", "e4"}},
		{shuan.NodeFilter{Region: "320500"}, []string{"p32", "e2", "e1"}},
		{shuan.NodeFilter{Under: "m", Region: "440000", Role: shuan.RoleEnterprise}, []string{"e3", "e4"}},
		{shuan.NodeFilter{Industry: "C3"}, []string{"e1", "e3", "e4"}},
		{shuan.NodeFilter{Industry: "C36"}, []string{"e3"}},
		{shuan.NodeFilter{Industry: "c3"}, nil}, // case-sensitive on both engines
		{shuan.NodeFilter{Under: "p32", Industry: "C3"}, []string{"e1"}},
	} {
		got, err := db.FindNodes(ctx, c.f)
		must(t, err)
		if diff := cmp.Diff(c.want, ids(got)); diff != "" {
			t.Errorf("FindNodes(%+v) (-want +got):\n%s", c.f, diff)
		}
	}
	for _, c := range []struct {
		anc, id string
		want    bool
	}{
		{"m", "p32", true}, {"m", "e1", true}, {"m", "e4", true}, {"p32", "e1", true},
		{"p44", "e1", false}, {"p32", "e3", false}, {"e1", "p32", false}, {"m", "m", false},
		{"e1", "e1", false}, {"m", "unknown", false}, {"unknown", "e1", false},
	} {
		got, err := db.IsDescendant(ctx, c.anc, c.id)
		must(t, err)
		if got != c.want {
			t.Errorf("IsDescendant(%q, %q) = %v, want %v", c.anc, c.id, got, c.want)
		}
	}
}

func testTouchNode(t *testing.T, db *sqlstore.DB) {
	wantCode(t, db.TouchNode(ctx, "nope", t0, shuan.Health{}), shuan.ENOTFOUND)
	must(t, db.UpsertNode(ctx, shuan.Node{ID: "e1", Name: "x", Role: shuan.RoleEnterprise, Enrolled: t0}))
	h1 := shuan.Health{Version: "v1", Uptime: 10, OutboxDepth: 1}
	must(t, db.TouchNode(ctx, "e1", t0.Add(time.Minute), h1))
	must(t, db.TouchNode(ctx, "e1", t0, shuan.Health{Version: "stale"})) // older: ignored
	n, err := db.FindNode(ctx, "e1")
	must(t, err)
	if !n.LastSeen.Equal(at(time.Minute)) || n.Health != h1 {
		t.Fatalf("after stale touch: %v %+v", n.LastSeen, n.Health)
	}
	must(t, db.TouchNode(ctx, "e1", t0.Add(2*time.Minute), shuan.Health{})) // zero health kept
	n, _ = db.FindNode(ctx, "e1")
	if !n.LastSeen.Equal(at(2*time.Minute)) || n.Health != h1 {
		t.Fatalf("after touch with zero health: %v %+v", n.LastSeen, n.Health)
	}
	if !n.Online(t0.Add(3*time.Minute)) || n.Online(t0.Add(10*time.Minute)) {
		t.Fatal("Online wrong after TouchNode")
	}
}

func testRevocations(t *testing.T, db *sqlstore.DB) {
	must(t, db.UpsertNode(ctx, shuan.Node{ID: "e1", Name: "x", Role: shuan.RoleEnterprise, Enrolled: t0}))
	r := shuan.Revocation{Serial: "123456789012345678901234567890", NodeID: "e1", At: at(time.Hour), Reason: "key compromise"}
	must(t, db.RevokeNode(ctx, r))
	wantCode(t, db.RevokeNode(ctx, r), shuan.ECONFLICT)
	wantCode(t, db.RevokeNode(ctx, shuan.Revocation{NodeID: "e1"}), shuan.EINVALID)
	// A node unknown here (a sibling's certificate) is still recorded.
	r2 := shuan.Revocation{Serial: "42", NodeID: "elsewhere", At: at(2 * time.Hour)}
	must(t, db.RevokeNode(ctx, r2))

	n, err := db.FindNode(ctx, "e1")
	must(t, err)
	if !n.Revoked.Equal(r.At) {
		t.Fatalf("Revoked = %v, want %v", n.Revoked, r.At)
	}
	// An upsert without a revocation time does not undo it.
	n.Revoked = time.Time{}
	must(t, db.UpsertNode(ctx, n))
	if n, _ = db.FindNode(ctx, "e1"); !n.Revoked.Equal(r.At) {
		t.Fatalf("upsert undid revocation: %v", n.Revoked)
	}
	got, err := db.Revocations(ctx)
	must(t, err)
	if diff := cmp.Diff([]shuan.Revocation{r, r2}, got); diff != "" {
		t.Fatalf("Revocations (-want +got):\n%s", diff)
	}
}

func testTokens(t *testing.T, db *sqlstore.DB) {
	tok := shuan.Token{ID: "t1", SecretHash: "h1", Role: shuan.RoleEnterprise, Created: at(0), Expires: at(time.Hour), CreatedBy: "admin"}
	must(t, db.CreateToken(ctx, tok))
	wantCode(t, db.CreateToken(ctx, tok), shuan.ECONFLICT)
	expired := shuan.Token{ID: "t2", SecretHash: "h2", Role: shuan.RoleEnterprise, Created: at(-2 * time.Hour), Expires: at(-time.Hour)}
	must(t, db.CreateToken(ctx, expired))

	now := t0.Add(time.Minute)
	_, err := db.UseToken(ctx, "unknown", "h1", now, "e1")
	wantCode(t, err, shuan.ENOTFOUND)
	msgUnknown := shuan.ErrorMessage(err)
	_, err = db.UseToken(ctx, "t1", "wrong", now, "e1")
	wantCode(t, err, shuan.ENOTFOUND)
	if shuan.ErrorMessage(err) != msgUnknown || msgUnknown != "enrolment token not recognised" {
		t.Fatalf("wrong-hash message %q differs from unknown-id message %q", shuan.ErrorMessage(err), msgUnknown)
	}
	_, err = db.UseToken(ctx, "t2", "h2", now, "e1")
	wantCode(t, err, shuan.EEXPIRED)
	_, err = db.UseToken(ctx, "t1", "h1", at(time.Hour), "e1") // at the expiry instant: expired
	wantCode(t, err, shuan.EEXPIRED)

	used, err := db.UseToken(ctx, "t1", "h1", now, "e1")
	must(t, err)
	want := tok
	want.Used, want.UsedBy = at(time.Minute), "e1"
	if diff := cmp.Diff(want, used, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("UseToken (-want +got):\n%s", diff)
	}
	_, err = db.UseToken(ctx, "t1", "h1", now, "e2")
	wantCode(t, err, shuan.ECONFLICT)
	if shuan.ErrorMessage(err) != "enrolment token already used" {
		t.Fatalf("message %q", shuan.ErrorMessage(err))
	}

	all, err := db.FindTokens(ctx)
	must(t, err)
	if diff := cmp.Diff([]shuan.Token{want, expired}, all); diff != "" {
		t.Fatalf("FindTokens (-want +got):\n%s", diff)
	}
}

func testTokenRace(t *testing.T, db *sqlstore.DB) {
	must(t, db.CreateToken(ctx, shuan.Token{ID: "t", SecretHash: "h", Role: shuan.RoleProvince, Created: t0, Expires: t0.Add(time.Hour)}))
	var (
		wg        sync.WaitGroup
		wins      atomic.Int32
		conflicts atomic.Int32
		winner    atomic.Value
	)
	for i := range 20 {
		wg.Go(func() {
			node := fmt.Sprintf("n%d", i)
			_, err := db.UseToken(ctx, "t", "h", t0.Add(time.Second), node)
			switch shuan.ErrorCode(err) {
			case "":
				wins.Add(1)
				winner.Store(node)
			case shuan.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Errorf("UseToken: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 19 {
		t.Fatalf("wins = %d, conflicts = %d; want 1 and 19", wins.Load(), conflicts.Load())
	}
	toks, err := db.FindTokens(ctx)
	must(t, err)
	if toks[0].UsedBy != winner.Load().(string) {
		t.Fatalf("UsedBy = %q, winner %q", toks[0].UsedBy, winner.Load())
	}
}

func testEnvelopes(t *testing.T, db *sqlstore.DB) {
	_, err := db.FindEnvelope(ctx, "nope")
	wantCode(t, err, shuan.ENOTFOUND)
	_, err = db.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: "x"})
	wantCode(t, err, shuan.EINVALID)

	var envs []shuan.StoredEnvelope
	for i, kind := range []string{shuan.KindHeartbeat, shuan.KindNodeRegistered, shuan.KindHeartbeat, shuan.KindHeartbeat} {
		e := shuan.StoredEnvelope{
			ID: fmt.Sprintf("env-%d", i), Kind: kind, Origin: []string{"e1", "e2"}[i%2], From: "p32",
			IssuedAt: at(time.Duration(i) * time.Second), Received: at(time.Duration(i)*time.Second + time.Millisecond),
			// Verbatim bytes, including ones that are not UTF-8 and a NUL.
			Raw: []byte(fmt.Sprintf(`{"id":"env-%d","body":"数据\u0000"}`+"\xff\x00", i)),
		}
		ok, err := db.InsertEnvelope(ctx, e)
		must(t, err)
		if !ok {
			t.Fatalf("InsertEnvelope(%s) = false on first insert", e.ID)
		}
		envs = append(envs, e)
	}
	dup := envs[0]
	dup.Raw = []byte("changed")
	if ok, err := db.InsertEnvelope(ctx, dup); err != nil || ok {
		t.Fatalf("duplicate InsertEnvelope = %v, %v; want false, nil", ok, err)
	}
	got, err := db.FindEnvelope(ctx, "env-0")
	must(t, err)
	if diff := cmp.Diff(envs[0], got); diff != "" {
		t.Fatalf("FindEnvelope (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		f    sqlstore.EnvelopeFilter
		want []string
	}{
		{sqlstore.EnvelopeFilter{}, []string{"env-3", "env-2", "env-1", "env-0"}},
		{sqlstore.EnvelopeFilter{Kind: shuan.KindHeartbeat}, []string{"env-3", "env-2", "env-0"}},
		{sqlstore.EnvelopeFilter{Kind: shuan.KindHeartbeat, Limit: 2}, []string{"env-3", "env-2"}},
		{sqlstore.EnvelopeFilter{Origin: "e2"}, []string{"env-3", "env-1"}},
		{sqlstore.EnvelopeFilter{Origin: "e2", Kind: shuan.KindNodeRegistered}, []string{"env-1"}},
		{sqlstore.EnvelopeFilter{Kind: "none"}, nil},
	} {
		es, err := db.FindEnvelopes(ctx, c.f)
		must(t, err)
		var gotIDs []string
		for _, e := range es {
			gotIDs = append(gotIDs, e.ID)
		}
		if diff := cmp.Diff(c.want, gotIDs); diff != "" {
			t.Errorf("FindEnvelopes(%+v) (-want +got):\n%s", c.f, diff)
		}
	}
	for kind, want := range map[string]int{"": 4, shuan.KindHeartbeat: 3, shuan.KindNotice: 0} {
		if n, err := db.CountEnvelopes(ctx, kind); err != nil || n != want {
			t.Errorf("CountEnvelopes(%q) = %d, %v; want %d", kind, n, err, want)
		}
	}
}

func testOutbox(t *testing.T, db *sqlstore.DB) {
	wantCode(t, db.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: "x"}), shuan.EINVALID)
	for i := range 3 {
		must(t, db.Enqueue(ctx, shuan.OutboxItem{
			EnvelopeID: fmt.Sprintf("o%d", i), Kind: shuan.KindHeartbeat, Raw: []byte(fmt.Sprintf("raw%d", i)),
			Created: at(time.Duration(i) * time.Second),
		}))
	}
	// Enqueueing again changes nothing.
	must(t, db.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: "o0", Kind: "other", Raw: []byte("other"), Created: at(time.Hour)}))

	due, err := db.DueOutbox(ctx, at(time.Second), 0)
	must(t, err)
	want := []shuan.OutboxItem{
		{EnvelopeID: "o0", Kind: shuan.KindHeartbeat, Raw: []byte("raw0"), State: shuan.OutboxPending, NextAttempt: at(0), Created: at(0)},
		{EnvelopeID: "o1", Kind: shuan.KindHeartbeat, Raw: []byte("raw1"), State: shuan.OutboxPending, NextAttempt: at(time.Second), Created: at(time.Second)},
	}
	if diff := cmp.Diff(want, due); diff != "" {
		t.Fatalf("DueOutbox (-want +got):\n%s", diff)
	}
	if due, _ := db.DueOutbox(ctx, at(time.Hour), 1); len(due) != 1 || due[0].EnvelopeID != "o0" {
		t.Fatalf("DueOutbox limit 1 = %+v", due)
	}

	// o0 fails once, then is delivered; o1 is rejected; o2 stays pending.
	must(t, db.MarkRetry(ctx, "o0", 1, at(time.Minute), "connection refused"))
	if due, _ := db.DueOutbox(ctx, at(30*time.Second), 0); len(due) != 2 || due[0].EnvelopeID != "o1" {
		t.Fatalf("o0 still due before its retry time: %+v", due)
	}
	due, _ = db.DueOutbox(ctx, at(time.Minute), 0)
	if len(due) != 3 || due[0].Attempts != 1 || due[0].LastError != "connection refused" {
		t.Fatalf("after retry time: %+v", due)
	}
	must(t, db.MarkDelivered(ctx, "o0", at(2*time.Minute), []byte(`{"status":"accepted"}`)))
	must(t, db.MarkDelivered(ctx, "o0", at(3*time.Minute), []byte(`again`))) // already delivered: no-op
	must(t, db.MarkRejected(ctx, "o1", at(2*time.Minute), "bad signature"))
	must(t, db.MarkRejected(ctx, "o1", at(2*time.Minute), "bad signature"))

	wantCode(t, db.MarkDelivered(ctx, "o1", at(time.Hour), nil), shuan.ECONFLICT)
	wantCode(t, db.MarkRejected(ctx, "o0", at(time.Hour), "x"), shuan.ECONFLICT)
	wantCode(t, db.MarkRetry(ctx, "o0", 2, at(time.Hour), "x"), shuan.ECONFLICT)
	wantCode(t, db.MarkDelivered(ctx, "nope", at(time.Hour), nil), shuan.ENOTFOUND)
	wantCode(t, db.MarkRetry(ctx, "nope", 1, at(time.Hour), "x"), shuan.ENOTFOUND)
	wantCode(t, db.MarkRejected(ctx, "nope", at(time.Hour), "x"), shuan.ENOTFOUND)

	due, _ = db.DueOutbox(ctx, at(time.Hour), 0)
	if len(due) != 1 || due[0].EnvelopeID != "o2" {
		t.Fatalf("due after delivery = %+v", due)
	}
	st, err := db.OutboxStats(ctx)
	must(t, err)
	if diff := cmp.Diff(shuan.OutboxStats{Pending: 1, Delivered: 1, Rejected: 1, OldestPending: at(2 * time.Second)}, st); diff != "" {
		t.Fatalf("OutboxStats (-want +got):\n%s", diff)
	}
	delivered, err := db.FindOutbox(ctx, shuan.OutboxDelivered, 10)
	must(t, err)
	wantDelivered := []shuan.OutboxItem{{
		EnvelopeID: "o0", Kind: shuan.KindHeartbeat, Raw: []byte("raw0"), State: shuan.OutboxDelivered, Attempts: 1,
		NextAttempt: at(time.Minute), LastError: "connection refused", Created: at(0), Delivered: at(2 * time.Minute),
		Receipt: []byte(`{"status":"accepted"}`),
	}}
	if diff := cmp.Diff(wantDelivered, delivered); diff != "" {
		t.Fatalf("FindOutbox delivered (-want +got):\n%s", diff)
	}
	rejected, _ := db.FindOutbox(ctx, shuan.OutboxRejected, 0)
	if len(rejected) != 1 || rejected[0].LastError != "bad signature" || !rejected[0].Delivered.Equal(at(2*time.Minute)) {
		t.Fatalf("FindOutbox rejected = %+v", rejected)
	}
	all, _ := db.FindOutbox(ctx, "", 0)
	if len(all) != 3 || all[0].EnvelopeID != "o2" {
		t.Fatalf("FindOutbox all = %+v", all)
	}
	if st, _ := sqlstoretest.SQLite(t).OutboxStats(ctx); st != (shuan.OutboxStats{}) {
		t.Fatalf("empty OutboxStats = %+v", st)
	}
}

func testDownFeed(t *testing.T, db *sqlstore.DB) {
	if seq, err := db.LastDownSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("LastDownSeq on empty = %d, %v", seq, err)
	}
	var items []shuan.DownItem
	for i := range 3 {
		d := shuan.DownItem{
			EnvelopeID: fmt.Sprintf("d%d", i), Kind: shuan.KindNotice, Raw: []byte(fmt.Sprintf("raw%d", i)),
			Target: shuan.Target{Regions: []string{"320000"}, Nodes: []string{"e1"}}, Created: at(time.Duration(i) * time.Second),
		}
		seq, err := db.AppendDown(ctx, d)
		must(t, err)
		if seq != int64(i+1) {
			t.Fatalf("AppendDown #%d = %d", i, seq)
		}
		d.Seq = seq
		items = append(items, d)
	}
	if seq, err := db.AppendDown(ctx, shuan.DownItem{EnvelopeID: "d1", Raw: []byte("again")}); err != nil || seq != 2 {
		t.Fatalf("duplicate AppendDown = %d, %v; want 2", seq, err)
	}
	_, err := db.AppendDown(ctx, shuan.DownItem{EnvelopeID: "empty"})
	wantCode(t, err, shuan.EINVALID)

	got, err := db.DownSince(ctx, 0, 0)
	must(t, err)
	if diff := cmp.Diff(items, got); diff != "" {
		t.Fatalf("DownSince(0) (-want +got):\n%s", diff)
	}
	got, _ = db.DownSince(ctx, 1, 1)
	if len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("DownSince(1, 1) = %+v", got)
	}
	if got, _ = db.DownSince(ctx, 3, 0); len(got) != 0 {
		t.Fatalf("DownSince(3) = %+v", got)
	}
	if seq, _ := db.LastDownSeq(ctx); seq != 3 {
		t.Fatalf("LastDownSeq = %d", seq)
	}
}

func testDownFeedConcurrent(t *testing.T, db *sqlstore.DB) {
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Every item twice, concurrently: each must get exactly one number.
			for range 2 {
				if _, err := db.AppendDown(ctx, shuan.DownItem{EnvelopeID: fmt.Sprintf("c%d", i), Kind: shuan.KindNotice, Raw: []byte("x")}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := db.DownSince(ctx, 0, 0)
	must(t, err)
	if len(got) != n {
		t.Fatalf("%d items, want %d", len(got), n)
	}
	for i, d := range got {
		if d.Seq != int64(i+1) {
			t.Fatalf("item %d has seq %d: numbers must be 1..%d without gaps", i, d.Seq, n)
		}
	}
}

func testNotices(t *testing.T, db *sqlstore.DB) {
	_, err := db.FindNotice(ctx, "nope")
	wantCode(t, err, shuan.ENOTFOUND)
	n1 := shuan.Notice{ID: "n1", Title: "关于开展数据安全检查的通知", Body: "正文", Severity: shuan.SeverityWarning,
		Target: shuan.Target{All: true}, Origin: "m", Created: at(0)}
	n2 := shuan.Notice{ID: "n2", Title: "second", Severity: shuan.SeverityUrgent,
		Target: shuan.Target{Regions: []string{"320000"}, Industries: []string{"C31"}}, Origin: "m", Created: at(time.Hour)}
	must(t, db.CreateNotice(ctx, n1))
	must(t, db.CreateNotice(ctx, n2))
	changed := n1
	changed.Title = "changed"
	must(t, db.CreateNotice(ctx, changed)) // idempotent: keeps the first
	got, err := db.FindNotice(ctx, "n1")
	must(t, err)
	if diff := cmp.Diff(n1, got); diff != "" {
		t.Fatalf("FindNotice (-want +got):\n%s", diff)
	}
	all, err := db.FindNotices(ctx, 0)
	must(t, err)
	if diff := cmp.Diff([]shuan.Notice{n2, n1}, all); diff != "" {
		t.Fatalf("FindNotices (-want +got):\n%s", diff)
	}
	if one, _ := db.FindNotices(ctx, 1); len(one) != 1 || one[0].ID != "n2" {
		t.Fatalf("FindNotices(1) = %+v", one)
	}

	wantCode(t, db.SetNoticeStatus(ctx, shuan.NoticeStatus{NoticeID: "n1", NodeID: "e1", Status: "lost"}), shuan.EINVALID)
	steps := []shuan.NoticeStatus{
		{NoticeID: "n1", NodeID: "e1", Status: shuan.NoticeDelivered, At: at(time.Minute)},
		{NoticeID: "n1", NodeID: "e1", Status: shuan.NoticeAcked, By: "alice", At: at(3 * time.Minute)},
		{NoticeID: "n1", NodeID: "e1", Status: shuan.NoticeRead, By: "bob", At: at(4 * time.Minute)},    // late: ignored
		{NoticeID: "n1", NodeID: "e1", Status: shuan.NoticeDelivered, At: at(5 * time.Minute)},          // late: ignored
		{NoticeID: "n1", NodeID: "e1", Status: shuan.NoticeAcked, By: "carol", At: at(6 * time.Minute)}, // same rank: ignored
		{NoticeID: "n1", NodeID: "e2", Status: shuan.NoticeRead, By: "dave", At: at(2 * time.Minute)},   // another node
		{NoticeID: "n2", NodeID: "e1", Status: shuan.NoticeDelivered, At: at(2 * time.Minute)},          // another notice
	}
	for _, st := range steps {
		must(t, db.SetNoticeStatus(ctx, st))
	}
	sts, err := db.NoticeStatuses(ctx, "n1")
	must(t, err)
	if diff := cmp.Diff([]shuan.NoticeStatus{steps[1], steps[5]}, sts); diff != "" {
		t.Fatalf("NoticeStatuses (-want +got):\n%s", diff)
	}
}

func testUsers(t *testing.T, db *sqlstore.DB) {
	u := shuan.User{ID: "u1", Name: "alice", Role: shuan.UserAdmin, Created: at(0)}
	must(t, db.CreateUser(ctx, u, "argon2id$hash"))
	wantCode(t, db.CreateUser(ctx, shuan.User{ID: "u2", Name: "alice", Role: shuan.UserAnalyst}, "h"), shuan.ECONFLICT)
	wantCode(t, db.CreateUser(ctx, shuan.User{ID: "u1", Name: "other", Role: shuan.UserAnalyst}, "h"), shuan.ECONFLICT)
	must(t, db.CreateUser(ctx, shuan.User{ID: "u0", Name: "zed", Role: shuan.UserAuditor, Created: at(time.Second), Disabled: true}, "h0"))

	got, hash, err := db.FindUserByName(ctx, "alice")
	must(t, err)
	if diff := cmp.Diff(u, got); diff != "" || hash != "argon2id$hash" {
		t.Fatalf("FindUserByName: hash %q (-want +got):\n%s", hash, diff)
	}
	_, _, err = db.FindUserByName(ctx, "nobody")
	wantCode(t, err, shuan.ENOTFOUND)
	if got, err = db.FindUser(ctx, "u1"); err != nil || got != u {
		t.Fatalf("FindUser = %+v, %v", got, err)
	}
	_, err = db.FindUser(ctx, "nope")
	wantCode(t, err, shuan.ENOTFOUND)
	all, err := db.FindUsers(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Name != "alice" || all[1].Name != "zed" || !all[1].Disabled {
		t.Fatalf("FindUsers = %+v", all)
	}
	must(t, db.SetPasswordHash(ctx, "u1", "new"))
	if _, hash, _ = db.FindUserByName(ctx, "alice"); hash != "new" {
		t.Fatalf("hash after SetPasswordHash = %q", hash)
	}
	wantCode(t, db.SetPasswordHash(ctx, "nope", "x"), shuan.ENOTFOUND)
	wantCode(t, db.SetUserDisabled(ctx, "nope", true), shuan.ENOTFOUND)
}

func testSessions(t *testing.T, db *sqlstore.DB) {
	u := shuan.User{ID: "u1", Name: "alice", Role: shuan.UserOfficer, Created: at(0)}
	must(t, db.CreateUser(ctx, u, "h"))
	se := shuan.Session{TokenHash: "sh", UserID: "u1", Created: at(0), Expires: at(time.Hour)}
	must(t, db.CreateSession(ctx, se))
	wantCode(t, db.CreateSession(ctx, se), shuan.ECONFLICT)
	wantCode(t, db.CreateSession(ctx, shuan.Session{TokenHash: "other", UserID: "nope", Expires: at(time.Hour)}), shuan.ENOTFOUND)

	gotSe, gotU, err := db.FindSession(ctx, "sh", t0.Add(time.Minute))
	must(t, err)
	if diff := cmp.Diff(se, gotSe); diff != "" {
		t.Fatalf("session (-want +got):\n%s", diff)
	}
	if gotU != u {
		t.Fatalf("user = %+v", gotU)
	}
	_, _, err = db.FindSession(ctx, "sh", at(time.Hour))
	wantCode(t, err, shuan.EUNAUTHORIZED)
	_, _, err = db.FindSession(ctx, "nope", t0)
	wantCode(t, err, shuan.EUNAUTHORIZED)

	must(t, db.SetUserDisabled(ctx, "u1", true))
	_, _, err = db.FindSession(ctx, "sh", t0)
	wantCode(t, err, shuan.EUNAUTHORIZED)
	must(t, db.SetUserDisabled(ctx, "u1", false))
	_, _, err = db.FindSession(ctx, "sh", t0)
	must(t, err)

	must(t, db.DeleteSession(ctx, "sh"))
	must(t, db.DeleteSession(ctx, "sh"))
	_, _, err = db.FindSession(ctx, "sh", t0)
	wantCode(t, err, shuan.EUNAUTHORIZED)

	must(t, db.CreateSession(ctx, shuan.Session{TokenHash: "old", UserID: "u1", Expires: at(time.Minute)}))
	must(t, db.CreateSession(ctx, shuan.Session{TokenHash: "new", UserID: "u1", Expires: at(time.Hour)}))
	if n, err := db.DeleteExpiredSessions(ctx, at(time.Minute)); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	if _, _, err := db.FindSession(ctx, "new", t0); err != nil {
		t.Fatal(err)
	}
}

func testSettings(t *testing.T, db *sqlstore.DB) {
	if v, err := db.Setting(ctx, "down_cursor"); err != nil || v != "" {
		t.Fatalf("absent Setting = %q, %v", v, err)
	}
	must(t, db.PutSetting(ctx, "down_cursor", "1"))
	must(t, db.PutSetting(ctx, "down_cursor", "2"))
	if v, err := db.Setting(ctx, "down_cursor"); err != nil || v != "2" {
		t.Fatalf("Setting = %q, %v", v, err)
	}
}

func testTxCommit(t *testing.T, db *sqlstore.DB) {
	err := db.Tx(ctx, func(s *sqlstore.Store) error {
		e := shuan.StoredEnvelope{ID: "e", Kind: shuan.KindNotice, Origin: "m", Raw: []byte("raw"), Received: t0}
		if ok, err := s.InsertEnvelope(ctx, e); err != nil || !ok {
			return fmt.Errorf("insert: %v %v", ok, err)
		}
		// A duplicate inside the transaction does not abort it.
		if ok, err := s.InsertEnvelope(ctx, e); err != nil || ok {
			return fmt.Errorf("duplicate insert: %v %v", ok, err)
		}
		// Nor does a domain error from a statement that did not fail.
		if _, err := s.UseToken(ctx, "nope", "h", t0, "x"); shuan.ErrorCode(err) != shuan.ENOTFOUND {
			return fmt.Errorf("UseToken: %v", err)
		}
		if _, err := s.AppendDown(ctx, shuan.DownItem{EnvelopeID: "e", Kind: shuan.KindNotice, Raw: []byte("raw")}); err != nil {
			return err
		}
		if err := s.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: "e", Kind: shuan.KindNotice, Raw: []byte("raw"), Created: t0}); err != nil {
			return err
		}
		_, err := s.AppendAudit(ctx, t0, "system", "receive", "envelope e", "")
		return err
	})
	must(t, err)
	if n, _ := db.CountEnvelopes(ctx, ""); n != 1 {
		t.Fatalf("envelopes = %d", n)
	}
	if seq, _ := db.LastDownSeq(ctx); seq != 1 {
		t.Fatalf("down seq = %d", seq)
	}
	if st, _ := db.OutboxStats(ctx); st.Pending != 1 {
		t.Fatalf("outbox = %+v", st)
	}
	if recs, _ := db.AuditRecords(ctx, 0, 0); len(recs) != 1 {
		t.Fatalf("audit = %+v", recs)
	}
}

// writeAll does one write of every kind through s.
func writeAll(s *sqlstore.Store) error {
	steps := []func() error{
		func() error {
			return s.UpsertNode(ctx, shuan.Node{ID: "n", Name: "n", Role: shuan.RoleEnterprise, Enrolled: t0})
		},
		func() error {
			_, err := s.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: "e", Kind: shuan.KindNotice, Raw: []byte("r"), Received: t0})
			return err
		},
		func() error {
			return s.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: "e", Kind: shuan.KindNotice, Raw: []byte("r"), Created: t0})
		},
		func() error {
			_, err := s.AppendDown(ctx, shuan.DownItem{EnvelopeID: "e", Kind: shuan.KindNotice, Raw: []byte("r")})
			return err
		},
		func() error {
			return s.CreateNotice(ctx, shuan.Notice{ID: "e", Title: "t", Severity: shuan.SeverityInfo, Created: t0})
		},
		func() error {
			return s.SetNoticeStatus(ctx, shuan.NoticeStatus{NoticeID: "e", NodeID: "n", Status: shuan.NoticeRead, At: t0})
		},
		func() error { return s.CreateUser(ctx, shuan.User{ID: "u", Name: "uu", Role: shuan.UserAdmin}, "h") },
		func() error { return s.CreateToken(ctx, shuan.Token{ID: "t", SecretHash: "h", Expires: t0}) },
		func() error { return s.PutSetting(ctx, "k", "v") },
		func() error { return s.RevokeNode(ctx, shuan.Revocation{Serial: "1", NodeID: "n", At: t0}) },
		func() error { _, err := s.AppendAudit(ctx, t0, "a", "b", "c", "d"); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// wantEmpty fails t if anything was written to db.
func wantEmpty(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ns, _ := db.FindNodes(ctx, shuan.NodeFilter{})
	envs, _ := db.CountEnvelopes(ctx, "")
	ob, _ := db.OutboxStats(ctx)
	seq, _ := db.LastDownSeq(ctx)
	notices, _ := db.FindNotices(ctx, 0)
	sts, _ := db.NoticeStatuses(ctx, "e")
	users, _ := db.FindUsers(ctx)
	toks, _ := db.FindTokens(ctx)
	v, _ := db.Setting(ctx, "k")
	revs, _ := db.Revocations(ctx)
	recs, _ := db.AuditRecords(ctx, 0, 0)
	if len(ns)+envs+ob.Pending+int(seq)+len(notices)+len(sts)+len(users)+len(toks)+len(v)+len(revs)+len(recs) != 0 {
		t.Fatalf("rolled-back writes left: nodes %d envelopes %d outbox %+v down %d notices %d statuses %d users %d tokens %d setting %q revocations %d audit %d",
			len(ns), envs, ob, seq, len(notices), len(sts), len(users), len(toks), v, len(revs), len(recs))
	}
}

func testTxRollback(t *testing.T, db *sqlstore.DB) {
	boom := errors.New("boom")
	err := db.Tx(ctx, func(s *sqlstore.Store) error {
		if err := writeAll(s); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want boom", err)
	}
	wantEmpty(t, db)

	// A domain error returned from inside keeps its code.
	err = db.Tx(ctx, func(s *sqlstore.Store) error {
		must(t, s.PutSetting(ctx, "k", "v"))
		return s.CreateToken(ctx, shuan.Token{})
	})
	wantCode(t, err, shuan.EINVALID)
	wantEmpty(t, db)

	// The store is usable afterwards.
	must(t, writeAll(db.Store))
}

func testTxPanic(t *testing.T, db *sqlstore.DB) {
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("recovered %v, want the panic to propagate", p)
			}
		}()
		db.Tx(ctx, func(s *sqlstore.Store) error {
			if err := writeAll(s); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	wantEmpty(t, db)
	must(t, writeAll(db.Store))
}

func testAudit(t *testing.T, db *sqlstore.DB) {
	if recs, err := db.AuditRecords(ctx, 0, 0); err != nil || len(recs) != 0 {
		t.Fatalf("empty AuditRecords = %v, %v", recs, err)
	}
	var want []ledger.Record
	for i := range 5 {
		// Nanoseconds and a non-UTC zone: the returned record must equal the
		// stored one, or the chain would not verify after a round trip.
		rec, err := db.AppendAudit(ctx, t0.Add(time.Duration(i)*time.Second), "alice", "user.login", fmt.Sprintf("user u%d", i), `{"ip":"10.0.0.1"}`)
		must(t, err)
		if rec.Seq != int64(i+1) {
			t.Fatalf("Seq = %d, want %d", rec.Seq, i+1)
		}
		want = append(want, rec)
	}
	got, err := db.AuditRecords(ctx, 0, 0)
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("AuditRecords (-want +got):\n%s", diff)
	}
	must(t, ledger.Verify(got))
	if got[0].At.Location() != time.UTC {
		t.Fatalf("At not UTC: %v", got[0].At)
	}
	page, err := db.AuditRecords(ctx, 2, 2)
	must(t, err)
	if diff := cmp.Diff(want[2:4], page); diff != "" {
		t.Fatalf("AuditRecords(2, 2) (-want +got):\n%s", diff)
	}
}

func testAuditConcurrent(t *testing.T, db *sqlstore.DB) {
	const writers, each = 10, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := db.AppendAudit(ctx, time.Now(), fmt.Sprintf("w%d", w), "test.append", fmt.Sprint(i), ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// One writer appends inside transactions together with other writes.
	wg.Go(func() {
		for i := range each {
			err := db.Tx(ctx, func(s *sqlstore.Store) error {
				if err := s.PutSetting(ctx, "k", fmt.Sprint(i)); err != nil {
					return err
				}
				_, err := s.AppendAudit(ctx, time.Now(), "tx", "test.append", fmt.Sprint(i), "")
				return err
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	recs, err := db.AuditRecords(ctx, 0, 0)
	must(t, err)
	if len(recs) != (writers+1)*each {
		t.Fatalf("%d records, want %d", len(recs), (writers+1)*each)
	}
	if err := ledger.Verify(recs); err != nil {
		t.Fatalf("chain forked: %v", err)
	}
}
