package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/web"
)

// fakeCatalog keeps one node's catalog and filings in memory, applying the
// catalog package's own rules, without signing or federating anything.
type fakeCatalog struct {
	mu       sync.Mutex
	self     shuan.Node
	now      func() time.Time
	versions []catalog.Version // oldest first
	filings  []catalog.Filing  // newest first
	changes  []catalog.ChangeDue
	reviews  []catalog.Review
}

func (f *fakeCatalog) CatalogVersions(ctx context.Context) ([]catalog.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.versions)
	slices.Reverse(out)
	return out, nil
}

func (f *fakeCatalog) CatalogVersion(ctx context.Context, seq int) (catalog.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.versions) == 0 {
		return catalog.Version{}, shuan.Errorf(shuan.ENOTFOUND, "no catalog")
	}
	if seq == 0 {
		return f.versions[len(f.versions)-1], nil
	}
	for _, v := range f.versions {
		if v.Seq == seq {
			return v, nil
		}
	}
	return catalog.Version{}, shuan.Errorf(shuan.ENOTFOUND, "version %d", seq)
}

func (f *fakeCatalog) SetCatalogEntry(ctx context.Context, by shuan.User, id string, fields [][2]string, remove bool) (catalog.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.versions) == 0 || f.versions[len(f.versions)-1].Status != catalog.Draft {
		v := catalog.Version{ID: "v", Seq: len(f.versions) + 1, Status: catalog.Draft}
		if len(f.versions) > 0 {
			v.Entries = slices.Clone(f.versions[len(f.versions)-1].Entries)
		}
		f.versions = append(f.versions, v)
	}
	v := f.versions[len(f.versions)-1]
	v.Entries = slices.Clone(v.Entries)
	e, ok := v.Entry(id)
	if !ok {
		v.Entries = append(v.Entries, catalog.Entry{ID: id})
		e = &v.Entries[len(v.Entries)-1]
	}
	for _, fd := range fields {
		if err := e.Set(fd[0], fd[1]); err != nil {
			return v, shuan.Errorf(shuan.EINVALID, "%v", err)
		}
	}
	if err := catalog.ValidateEntries(v.Entries, false); err != nil {
		return v, err
	}
	v.Touch(by.Name, f.now())
	f.versions[len(f.versions)-1] = v
	return v, nil
}

func (f *fakeCatalog) ApproveCatalog(ctx context.Context, by shuan.User, seq int) (catalog.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := &f.versions[len(f.versions)-1]
	return *v, v.Approve(by.Name, f.now())
}

func (f *fakeCatalog) SubmitFiling(ctx context.Context, by shuan.User, seq int) (catalog.Filing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.versions[len(f.versions)-1]
	fl := catalog.Filing{ID: "f-" + string(rune('a'+len(f.filings))), EnterpriseID: f.self.ID, EnterpriseName: f.self.Name,
		Region: f.self.Region, Industry: f.self.Industry, Seq: v.Seq, VersionID: v.ID, Status: catalog.Submitted,
		Submitted: f.now(), Totals: v.Totals(), Version: v}
	f.filings = append([]catalog.Filing{fl}, f.filings...)
	return fl, nil
}

func (f *fakeCatalog) ReviewFiling(ctx context.Context, by shuan.User, rv catalog.Review) (catalog.Filing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := rv.Validate(); err != nil {
		return catalog.Filing{}, err
	}
	for i := range f.filings {
		if f.filings[i].ID == rv.FilingID {
			f.filings[i].Apply(rv)
			f.reviews = append(f.reviews, rv)
			return f.filings[i], nil
		}
	}
	return catalog.Filing{}, shuan.Errorf(shuan.ENOTFOUND, "filing %s", rv.FilingID)
}

func (f *fakeCatalog) Filings(ctx context.Context, ff catalog.FilingFilter) ([]catalog.Filing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []catalog.Filing
	for _, fl := range f.filings {
		if (ff.Status == "" || fl.Status == ff.Status) && (ff.Region == "" || strings.HasPrefix(fl.Region, strings.TrimRight(ff.Region, "0"))) {
			out = append(out, fl)
		}
	}
	return out, nil
}

func (f *fakeCatalog) Filing(ctx context.Context, id string) (catalog.Filing, error) {
	fs, _ := f.Filings(ctx, catalog.FilingFilter{})
	for _, fl := range fs {
		if fl.ID == id {
			return fl, nil
		}
	}
	return catalog.Filing{}, shuan.Errorf(shuan.ENOTFOUND, "filing %s", id)
}

func (f *fakeCatalog) ProveFiling(ctx context.Context, fl catalog.Filing) (catalog.Proof, error) {
	return catalog.Proof{Verified: true, SM3: "sm3-" + fl.ID, Signature: "sig-" + fl.ID}, nil
}

func (f *fakeCatalog) ChangesDue(ctx context.Context, all bool) ([]catalog.ChangeDue, error) {
	return f.changes, nil
}

func (f *fakeCatalog) CatalogRules(ctx context.Context) (catalog.Config, *catalog.Calendar, error) {
	return catalog.DefaultConfig(), catalog.DefaultCalendar(), nil
}

func (f *fakeCatalog) Rollup(ctx context.Context) (catalog.Rollup, error) {
	fs, _ := f.Filings(ctx, catalog.FilingFilter{})
	var ents []shuan.Node
	for _, n := range allNodes() {
		if n.Role == shuan.RoleEnterprise && (f.self.Role == shuan.RoleMinistry || n.ParentID == f.self.ID) {
			ents = append(ents, n)
		}
	}
	return catalog.Roll(fs, ents, f.changes, f.now()), nil
}

func catalogConsole(t *testing.T, self shuan.Node) (*console, *fakeCatalog) {
	fc := &fakeCatalog{self: self}
	c := newConsole(t, self, func(cfg *web.Config) { cfg.Catalog = fc })
	fc.now = c.clock.Now
	return c, fc
}

func entryForm(id string, kv ...string) url.Values {
	f := url.Values{"id": {id}, "name": {"工艺配方"}, "description": {"d"}, "category": {"prod.process"}, "level": {"important"},
		"source": {"自产"}, "records": {"1200"}, "system": {"MES"}, "purpose": {"生产"}, "method": {"存储"}, "scope": {"内部"},
		"owner": {"王工"}, "department": {"数据办"}, "sharing": {"无"}, "cross_border": {"无"}, "security": {"加密"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestCatalogEditorApprovalAndSubmission(t *testing.T) {
	c, fc := catalogConsole(t, steel)
	officer, reviewer := c.login("officer"), c.login("reviewer")
	if resp, body := c.get(officer, "/catalog"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="nav-catalog"`) {
		t.Fatalf("empty catalog page: %d", resp.StatusCode)
	}
	if resp, body := c.postBody(officer, "/catalog/entries", entryForm("A", "level", "secret")); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "catalog-error") {
		t.Fatalf("bad level: status %d", resp.StatusCode)
	}
	if resp := c.post(officer, "/catalog/entries", entryForm("A")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save entry: %d", resp.StatusCode)
	}
	_, body := c.get(officer, "/catalog")
	for _, want := range []string{`id="entry-A"`, "工艺配方", `id="catalog-status">草稿`} {
		if !strings.Contains(body, want) {
			t.Errorf("catalog page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="catalog-approve"`) {
		t.Error("the officer (editor, without approval right) is offered approval")
	}
	if resp := c.post(officer, "/catalog/approve", url.Values{"version": {"1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("officer approving: %d, want 403", resp.StatusCode)
	}
	if _, body := c.get(reviewer, "/catalog"); !strings.Contains(body, `id="catalog-approve"`) {
		t.Error("the reviewer is not offered approval")
	}
	if resp := c.post(reviewer, "/catalog/approve", url.Values{"version": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reviewer approving: %d", resp.StatusCode)
	}
	if _, body := c.get(officer, "/catalog"); !strings.Contains(body, `id="catalog-submit"`) || !strings.Contains(body, `id="catalog-approver">reviewer`) {
		t.Error("approved catalog offers no submission")
	}
	resp := c.post(officer, "/catalog/submit", url.Values{"version": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/filings/f-a") {
		t.Fatalf("submit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = c.get(officer, "/filings/f-a")
	if !strings.Contains(body, `id="filing-status">已提交`) || !strings.Contains(body, "已验证") {
		t.Error("filing page lacks status or verified signature")
	}
	// A second version, then the diff view shows the scale change in percent.
	if resp := c.post(officer, "/catalog/entries", entryForm("A", "records", "1800")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	if resp, body := c.get(officer, "/catalog/diff?from=1&to=2"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "50.0%") {
		t.Errorf("diff: %d, percent shown %v", resp.StatusCode, strings.Contains(body, "50.0%"))
	}
	resp, body = c.get(officer, "/catalog/export?version=1")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(body, "PK") {
		t.Errorf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := c.get(officer, "/rollup"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("roll-up at an enterprise: %d", resp.StatusCode)
	}
	if len(fc.filings) != 1 {
		t.Errorf("%d filings", len(fc.filings))
	}
}

func TestProvinceReviewQueueAndAPI(t *testing.T) {
	c, fc := catalogConsole(t, jiangsu)
	v := catalog.Version{ID: "v1", Seq: 1, Status: catalog.Approved, Approver: "r",
		Entries: []catalog.Entry{{ID: "A", Name: "高炉工艺", Category: "prod.process", Level: shuan.LevelCore, Records: 100}}}
	_, cal, _ := fc.CatalogRules(context.Background())
	old := t0.AddDate(0, -2, 0)
	fc.filings = []catalog.Filing{
		{ID: "f-new", EnterpriseID: textile.ID, EnterpriseName: textile.Name, Region: textile.Region, Industry: textile.Industry,
			Seq: 1, Status: catalog.Submitted, Submitted: t0, Due: cal.Deadline(t0, 20), Version: v},
		{ID: "f-old", EnterpriseID: steel.ID, EnterpriseName: steel.Name, Region: steel.Region, Industry: steel.Industry,
			Seq: 1, Status: catalog.Submitted, Submitted: old, Due: cal.Deadline(old, 20), Version: v},
	}
	rv := c.login("reviewer")
	resp, body := c.get(rv, "/filings")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("filings: %d", resp.StatusCode)
	}
	// Oldest deadline first, the overdue one highlighted.
	if i, j := strings.Index(body, steel.Name), strings.Index(body, textile.Name); i < 0 || j < 0 || i > j {
		t.Error("review queue not ordered by deadline")
	}
	if !strings.Contains(body, `class="filing-row overdue"`) || !strings.Contains(body, `id="overdue-reviews">1<`) {
		t.Error("overdue review not highlighted")
	}
	if !strings.Contains(body, "剩余 20 个工作日") {
		t.Error("working days left not shown")
	}
	_, body = c.get(rv, "/filings/f-new")
	if !strings.Contains(body, `name="comment_A"`) || !strings.Contains(body, `id="review-accept"`) {
		t.Fatal("no review form with per-entry comments")
	}
	if resp, body := c.postBody(rv, "/filings/f-new/review", url.Values{"decision": {"returned"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "review-error") {
		t.Errorf("return without comment: %d", resp.StatusCode)
	}
	resp = c.post(rv, "/filings/f-new/review", url.Values{"decision": {"returned"}, "comment_A": {"规模口径不清"}, "comment": {"请修改"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("return: %d", resp.StatusCode)
	}
	if got := fc.reviews[0]; got.Decision != catalog.Returned || len(got.Comments) != 1 || got.Comments[0].EntryID != "A" || got.Comment != "请修改" {
		t.Errorf("review sent %+v", got)
	}
	analyst := c.login("analyst")
	if resp := c.post(analyst, "/filings/f-old/review", url.Values{"decision": {"accepted"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst reviewing: %d", resp.StatusCode)
	}
	if resp := c.post(rv, "/filings/f-old/review", url.Values{"decision": {"accepted"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", resp.StatusCode)
	}

	resp, body = c.get(rv, "/api/v1/filings")
	var rows []struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Overdue bool   `json:"overdue"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &rows) != nil || len(rows) != 2 {
		t.Fatalf("api filings: %d %s", resp.StatusCode, body)
	}
	resp, body = c.get(rv, "/api/v1/rollup")
	var ru catalog.Rollup
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &ru) != nil {
		t.Fatalf("api rollup: %d %s", resp.StatusCode, body)
	}
	if ru.Coverage.Registered != 2 || ru.Coverage.Filed != 1 || ru.Totals.Core != 1 || len(ru.ByIndustry) != 1 {
		t.Errorf("roll-up %+v", ru)
	}
	if resp, body := c.get(rv, "/rollup"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="chart-data"`) || !strings.Contains(body, "verified") {
		t.Errorf("roll-up page: %d", resp.StatusCode)
	}
	if resp, body := c.get(rv, "/filings/f-old/print"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "sig-f-old") || !strings.Contains(body, "sm3-f-old") {
		t.Errorf("printable form: %d", resp.StatusCode)
	}
}
