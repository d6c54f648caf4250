package node

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/fed"
)

// catalogUsers adds an editor and a reviewer to an enterprise.
func catalogUsers(t *testing.T, r *Runtime) (ed, rv shuan.User) {
	t.Helper()
	ctx := context.Background()
	ed, _, err := r.AddUser(ctx, "editor", shuan.UserOfficer, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	rv, _, err = r.AddUser(ctx, "reviewer", shuan.UserReviewer, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	return ed, rv
}

func completeEntry(id string, records int64) [][2]string {
	return [][2]string{{"name", "工艺配方" + id}, {"description", "d"}, {"category", "prod.process"}, {"level", "important"},
		{"source", "自产"}, {"records", fmt.Sprint(records)}, {"system", "MES"}, {"purpose", "生产"}, {"method", "存储、使用"},
		{"scope", "内部"}, {"owner", "王工"}, {"department", "数据安全办"}, {"sharing", "无"}, {"cross_border", "无"}, {"security", "加密"}}
}

// approvedCatalog builds and approves a two-entry catalog at r.
func approvedCatalog(t *testing.T, r *Runtime, ed, rv shuan.User) catalog.Version {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"A", "B"} {
		if _, err := r.SetCatalogEntry(ctx, ed, id, completeEntry(id, 1000), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.ApproveCatalog(ctx, ed, 0); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Fatalf("editor approving: %v", err)
	}
	v, err := r.ApproveCatalog(ctx, rv, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func filingStatus(r *Runtime, id, want string) func() error {
	return func() error {
		f, err := r.Filing(context.Background(), id)
		if err != nil {
			return err
		}
		if f.Status != want {
			return fmt.Errorf("filing %s is %s at %s, want %s", id, f.Status, r.Cfg.Name, want)
		}
		return nil
	}
}

func TestFilingAcrossTiers(t *testing.T) {
	ctx := context.Background()
	f := newFederation(t)
	sEd, sRv := catalogUsers(t, f.steel.Runtime)
	aEd, aRv := catalogUsers(t, f.auto.Runtime)
	approvedCatalog(t, f.steel.Runtime, sEd, sRv)
	approvedCatalog(t, f.auto.Runtime, aEd, aRv)
	steel1, err := f.steel.SubmitFiling(ctx, sEd, 0)
	if err != nil {
		t.Fatal(err)
	}
	auto1, err := f.auto.SubmitFiling(ctx, aEd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.steel.SubmitFiling(ctx, sEd, 0); shuan.ErrorCode(err) != shuan.ECONFLICT {
		t.Fatalf("second submission while one is open: %v", err)
	}
	waitFor(t, "steel's filing at Jiangsu", filingStatus(f.js.Runtime, steel1.ID, catalog.Submitted))
	waitFor(t, "auto's filing at Guangdong", filingStatus(f.gd.Runtime, auto1.ID, catalog.Submitted))

	// A province never sees another province's filings.
	for _, c := range []struct {
		p    *tier
		want string
	}{{f.js, steel1.ID}, {f.gd, auto1.ID}} {
		fs, err := c.p.Filings(ctx, catalog.FilingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].ID != c.want {
			t.Errorf("%s holds %d filings (%v), want only %s", c.p.Cfg.Name, len(fs), fs, c.want)
		}
		ru, err := c.p.Rollup(ctx)
		if want := map[*tier]int{f.js: 2, f.gd: 1}[c.p]; err != nil || ru.Coverage.Registered != want || ru.Coverage.Filed != 0 {
			t.Errorf("%s coverage %+v (%v), want %d registered, none filed", c.p.Cfg.Name, ru.Coverage, err, want)
		}
	}
	// The ministry sees nothing before a province accepts.
	if fs, _ := f.ministry.Filings(ctx, catalog.FilingFilter{}); len(fs) != 0 {
		t.Fatalf("ministry holds %d filings before acceptance", len(fs))
	}

	// Jiangsu reviews: the due date runs on working days; it returns with comments.
	jf, _ := f.js.Filing(ctx, steel1.ID)
	_, cal, _ := f.js.CatalogRules(ctx)
	if jf.Due != cal.Deadline(jf.Submitted, 20) {
		t.Errorf("due %v, want 20 working days after %v", jf.Due, jf.Submitted)
	}
	reviewer, _, _ := f.js.AddUser(ctx, "shenhe", shuan.UserReviewer, "", "test")
	if _, err := f.js.ReviewFiling(ctx, reviewer, catalog.Review{FilingID: steel1.ID, Decision: catalog.Returned}); shuan.ErrorCode(err) != shuan.EINVALID {
		t.Fatalf("return without comment: %v", err)
	}
	if _, err := f.js.ReviewFiling(ctx, reviewer, catalog.Review{FilingID: steel1.ID, Decision: catalog.Returned,
		Comment: "请补充", Comments: []catalog.Comment{{EntryID: "A", Text: "安全措施不具体"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "returned at steel", filingStatus(f.steel.Runtime, steel1.ID, catalog.Returned))
	sf, _ := f.steel.Filing(ctx, steel1.ID)
	if len(sf.Comments) != 1 || sf.Comments[0].EntryID != "A" || sf.Reviewer != "shenhe" {
		t.Errorf("steel's returned filing = %+v", sf)
	}

	// The enterprise revises, re-approves and resubmits a version linked to the returned filing.
	if _, err := f.steel.SetCatalogEntry(ctx, sEd, "A", [][2]string{{"security", "SM4加密、密钥年度轮换"}}, false); err != nil {
		t.Fatal(err)
	}
	v2, err := f.steel.ApproveCatalog(ctx, sRv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Seq != 2 || v2.Revises != steel1.ID {
		t.Errorf("revised version %d revises %q", v2.Seq, v2.Revises)
	}
	steel2, err := f.steel.SubmitFiling(ctx, sEd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if steel2.Revises != steel1.ID {
		t.Errorf("resubmission revises %q, want %s", steel2.Revises, steel1.ID)
	}
	waitFor(t, "resubmission at Jiangsu", filingStatus(f.js.Runtime, steel2.ID, catalog.Submitted))
	if _, err := f.js.ReviewFiling(ctx, reviewer, catalog.Review{FilingID: steel2.ID, Decision: catalog.Accepted}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "accepted at steel", filingStatus(f.steel.Runtime, steel2.ID, catalog.Accepted))
	waitFor(t, "accepted at the ministry", filingStatus(f.ministry.Runtime, steel2.ID, catalog.Accepted))
	mf, _ := f.ministry.Filing(ctx, steel2.ID)
	proof, err := f.ministry.ProveFiling(ctx, mf)
	if err != nil || !proof.Verified || !proof.AcceptanceVerified {
		t.Fatalf("ministry proof %+v, %v", proof, err)
	}
	ru, err := f.ministry.Rollup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ru.Coverage.Filed != 1 || ru.Coverage.Registered != 3 || ru.Totals.Entries != 2 || len(ru.ByIndustry) != 1 {
		t.Errorf("ministry roll-up %+v", ru)
	}
	sp, _ := f.steel.ProveFiling(ctx, steel2)
	if !sp.Verified || sp.Delivery != shuan.OutboxDelivered || !strings.Contains(sp.Receipt, shuan.ReceiptAccepted) {
		t.Errorf("steel's proof and receipt %+v", sp)
	}

	// A rescan that grows an entry by more than 30 % makes a change filing due, seen above.
	if _, err := f.steel.SetCatalogEntry(ctx, sEd, "A", [][2]string{{"records", "1500"}}, false); err != nil {
		t.Fatal(err)
	}
	due, _ := f.steel.ChangesDue(ctx, false)
	if len(due) != 1 || due[0].Reasons[0].Kind != catalog.TriggerScale {
		t.Fatalf("changes due at steel %+v", due)
	}
	for _, p := range []*tier{f.js, f.ministry} {
		waitFor(t, "change due at "+p.Cfg.Name, func() error {
			cs, err := p.DB.FindChangesDue(ctx, f.steel.Cfg.ID, false)
			if err == nil && len(cs) != 1 {
				err = fmt.Errorf("%d changes due", len(cs))
			}
			return err
		})
	}
}

func TestFilingReceivedExactlyOnceAndOnlyFromOwnEnterprises(t *testing.T) {
	ctx := context.Background()
	f := newFederation(t)
	sEd, sRv := catalogUsers(t, f.steel.Runtime)
	v := approvedCatalog(t, f.steel.Runtime, sEd, sRv)
	_, raw, err := fed.Seal(f.steel.SignKey, f.steel.Cfg.ID, fed.KindFiling, catalog.Submission{Version: v}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := rawClient(t, f.steel.Runtime)
	for i, want := range []string{shuan.ReceiptAccepted, shuan.ReceiptDuplicate, shuan.ReceiptDuplicate} {
		_, pr := push(t, c, f.js.url, raw)
		if len(pr.Receipts) != 1 || pr.Receipts[0].Status != want {
			t.Fatalf("push %d: receipts %+v, want %s", i+1, pr.Receipts, want)
		}
	}
	fs, _ := f.js.Filings(ctx, catalog.FilingFilter{})
	if n, _ := f.js.DB.CountEnvelopes(ctx, fed.KindFiling); len(fs) != 1 || n != 1 {
		t.Fatalf("after three pushes: %d filings, %d envelopes, want 1 and 1", len(fs), n)
	}

	// An enterprise of Guangdong cannot file at Jiangsu, directly or relayed.
	aEd, aRv := catalogUsers(t, f.auto.Runtime)
	av := approvedCatalog(t, f.auto.Runtime, aEd, aRv)
	_, foreign, err := fed.Seal(f.auto.SignKey, f.auto.Cfg.ID, fed.KindFiling, catalog.Submission{Version: av}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := push(t, rawClient(t, f.auto.Runtime), f.js.url, foreign); code != http.StatusForbidden {
		t.Errorf("Guangdong enterprise pushing to Jiangsu: HTTP %d, want 403", code)
	}
	_, pr := push(t, c, f.js.url, foreign)
	if pr.Receipts[0].Status != shuan.ReceiptRejected {
		t.Errorf("relayed foreign filing: %+v", pr.Receipts[0])
	}
	// A filing whose version is not approved, or not the signer's, is refused.
	draft := v
	draft.Status = catalog.Draft
	_, bad, _ := fed.Seal(f.steel.SignKey, f.steel.Cfg.ID, fed.KindFiling, catalog.Submission{Version: draft}, time.Now())
	_, pr = push(t, c, f.js.url, bad)
	if pr.Receipts[0].Status != shuan.ReceiptRejected || !strings.Contains(pr.Receipts[0].Reason, "approved") {
		t.Errorf("draft filing: %+v", pr.Receipts[0])
	}
	if fs, _ := f.js.Filings(ctx, catalog.FilingFilter{}); len(fs) != 1 {
		t.Errorf("Jiangsu holds %d filings, want 1", len(fs))
	}
	if fs, _ := f.js.Filings(ctx, catalog.FilingFilter{Region: "440000"}); len(fs) != 0 {
		t.Errorf("Jiangsu holds Guangdong filings: %v", fs)
	}
}

func TestImportReplacesDraftOrNothing(t *testing.T) {
	ctx := context.Background()
	r := newNode(t, shuan.RoleEnterprise, "甲", "320281", "C31")
	ed, _ := catalogUsers(t, r)
	if _, err := r.SetCatalogEntry(ctx, ed, "A", completeEntry("A", 10), false); err != nil {
		t.Fatal(err)
	}
	bad := []catalog.Entry{{ID: "X", Name: "x", Category: "prod.process", Level: "important"}, {ID: "Y", Name: "", Level: "secret"}}
	if _, err := r.ImportCatalog(ctx, ed, bad); shuan.ErrorCode(err) != shuan.EINVALID {
		t.Fatalf("import of an invalid entry: %v", err)
	}
	v, _ := r.CatalogVersion(ctx, 0)
	if len(v.Entries) != 1 || v.Entries[0].ID != "A" {
		t.Fatalf("draft after a refused import: %+v", v.Entries)
	}
	analyst, _, _ := r.AddUser(ctx, "analyst", shuan.UserAnalyst, "", "test")
	if _, err := r.SetCatalogEntry(ctx, analyst, "A", [][2]string{{"owner", "x"}}, false); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Fatalf("analyst editing: %v", err)
	}
}
