package catalog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/source"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCalendarWorkdays(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		date string
		work bool
	}{
		{"2026-11-25 10:00", true},  // Wednesday
		{"2026-11-28 10:00", false}, // Saturday
		{"2026-11-29 10:00", false}, // Sunday
		{"2026-10-01 10:00", false}, // National Day
		{"2026-10-10 10:00", true},  // Saturday worked in exchange
		{"2026-02-14 10:00", true},  // Saturday worked before the Spring Festival
		{"2026-02-16 10:00", false}, // Spring Festival, a Monday
		{"2025-01-26 10:00", true},  // Sunday worked in 2025
		{"2025-10-08 10:00", false}, // National Day and Mid-Autumn 2025
	} {
		if got := c.Workday(day(tc.date)); got != tc.work {
			t.Errorf("Workday(%s) = %v, want %v", tc.date, got, tc.work)
		}
	}
	// A Beijing date is what counts, whatever the instant's zone.
	if c.Workday(time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)) { // Saturday 01:00 in Beijing
		t.Error("Friday 17:00 UTC is Saturday in Beijing, not a working day")
	}
}

func TestDeadline(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		from string
		n    int
		want string // the last working day
	}{
		{"2026-11-25 15:00", 20, "2026-12-23"}, // plain weeks
		{"2026-11-27 23:00", 1, "2026-11-30"},  // Friday: Monday
		{"2026-09-21 09:00", 20, "2026-10-26"}, // over Mid-Autumn and National Day, Oct 10 worked
		{"2026-02-10 09:00", 5, "2026-02-24"},  // Feb 14 worked, 15-23 off
		{"2025-12-30 09:00", 3, "2026-01-05"},  // New Year 2026: 1-3 off, Sunday 4 worked
	} {
		got := c.Deadline(day(tc.from), tc.n)
		last := got.In(Beijing).Add(-time.Second).Format(time.DateOnly)
		if last != tc.want {
			t.Errorf("Deadline(%s, %d) ends on %s, want %s", tc.from, tc.n, last, tc.want)
		}
		if got.In(Beijing).Hour() != 0 || got.In(Beijing).Minute() != 0 {
			t.Errorf("deadline %v is not midnight Beijing", got)
		}
	}
	due := c.Deadline(day("2026-11-25 15:00"), 20)
	if n := c.WorkdaysLeft(day("2026-11-25 16:00"), due); n != 20 {
		t.Errorf("WorkdaysLeft on the day of filing = %d, want 20", n)
	}
	if n := c.WorkdaysLeft(day("2026-12-23 16:00"), due); n != 0 {
		t.Errorf("WorkdaysLeft on the last day = %d, want 0", n)
	}
	if n := c.WorkdaysLeft(day("2026-12-25 10:00"), due); n >= 0 {
		t.Errorf("WorkdaysLeft after the deadline = %d, want negative", n)
	}
	f := Filing{Status: Submitted, Due: due}
	if f.Overdue(day("2026-12-23 23:59")) || !f.Overdue(day("2026-12-24 00:01")) {
		t.Error("overdue must start at midnight after the last working day")
	}
}

func TestParseCalendarReportsEveryBadLine(t *testing.T) {
	_, err := ParseCalendar("2026-13-01 off x\n2026-01-02 maybe\nbad\n")
	if err == nil || strings.Count(err.Error(), "line") != 3 {
		t.Fatalf("err = %v, want three line errors", err)
	}
	c, err := ParseCalendar("# own list\n2027-01-01 off 元旦\n2027-01-09 work 调休\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Workday(day("2027-01-01 10:00")) || !c.Workday(day("2027-01-09 10:00")) {
		t.Error("configured calendar not applied")
	}
}

func entry(id string, records int64) Entry {
	return Entry{ID: id, Name: "数据集" + id, Description: "d", Category: "prod.process", Level: shuan.LevelImportant, Source: "自产",
		Records: records, System: "MES", Purpose: "p", Method: "m", Scope: "s", Owner: "o", Department: "dep",
		Sharing: "无", CrossBorder: "无", Security: "加密", Tables: []string{"t_" + id}}
}

func TestCompare(t *testing.T) {
	a := Version{Seq: 1, Entries: []Entry{entry("A", 1000), entry("B", 10), entry("C", 5)}}
	bEntries := []Entry{entry("A", 1400), entry("B", 10), entry("D", 1)}
	bEntries[1].Owner = "新负责人"
	b := Version{Seq: 2, Entries: bEntries}
	d := Compare(a, b)
	if len(d.Added) != 1 || d.Added[0].ID != "D" || len(d.Removed) != 1 || d.Removed[0].ID != "C" {
		t.Fatalf("added %v removed %v", d.Added, d.Removed)
	}
	if len(d.Changed) != 2 {
		t.Fatalf("changed = %+v", d.Changed)
	}
	if d.Changed[0].ID != "A" || d.Changed[0].RecordsPct == nil || *d.Changed[0].RecordsPct != 40 {
		t.Errorf("A change = %+v", d.Changed[0])
	}
	if want := []FieldChange{{"owner", "o", "新负责人"}}; !cmp.Equal(d.Changed[1].Fields, want) || d.Changed[1].RecordsPct != nil {
		t.Errorf("B change = %+v", d.Changed[1])
	}
	if !Compare(a, a).Empty() {
		t.Error("a version differs from itself")
	}
}

func TestTriggers(t *testing.T) {
	cfg := DefaultConfig()
	filed := []Entry{entry("A", 1000), entry("B", 1000), entry("C", 1000)}
	kinds := func(tr []Trigger) string {
		var s []string
		for _, x := range tr {
			s = append(s, x.Kind+":"+x.EntryID)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name string
		edit func([]Entry) []Entry
		cfg  Config
		want string
	}{
		{"unchanged", func(e []Entry) []Entry { return e }, cfg, ""},
		{"30% exactly is not more than 30%", func(e []Entry) []Entry { e[0].Records = 1300; return e }, cfg, ""},
		{"growth over 30%", func(e []Entry) []Entry { e[0].Records = 1301; return e }, cfg, "scale:A"},
		{"shrink over 30%", func(e []Entry) []Entry { e[1].Records = 600; return e }, cfg, "scale:B"},
		{"storage counts too", func(e []Entry) []Entry { e[0].StorageBytes = 100; return e }, cfg, ""}, // from zero: unknown before
		{"configured 10%", func(e []Entry) []Entry { e[0].Records = 1150; return e }, Config{ScaleThreshold: 0.10, ChangeMonths: 3, ReviewDays: 20}, "scale:A"},
		{"added", func(e []Entry) []Entry { return append(e, entry("D", 1)) }, cfg, "added:D"},
		{"removed", func(e []Entry) []Entry { return e[:2] }, cfg, "removed:C"},
		{"destroyed", func(e []Entry) []Entry { e[2].Destroyed = "2026-11-20 物理销毁"; return e }, cfg, "destroyed:C"},
		{"level raised", func(e []Entry) []Entry { e[1].Level = shuan.LevelCore; return e }, cfg, "level:B"},
		{"other edits are not triggers", func(e []Entry) []Entry { e[1].Owner = "x"; return e }, cfg, ""},
	} {
		cur := tc.edit(append([]Entry(nil), filed...))
		if got := kinds(Triggers(filed, cur, tc.cfg)); got != tc.want {
			t.Errorf("%s: triggers %q, want %q", tc.name, got, tc.want)
		}
	}
	if due := cfg.DueAfter(day("2026-11-30 10:00")); due.In(Beijing).Format(time.DateOnly) != "2027-02-28" && due.In(Beijing).Format(time.DateOnly) != "2027-03-02" {
		t.Errorf("due three months after 30 Nov = %v", due)
	}
	c := ChangeDue{Detected: day("2026-01-01 10:00"), Due: cfg.DueAfter(day("2026-01-01 10:00"))}
	if c.Overdue(day("2026-03-31 10:00")) || !c.Overdue(day("2026-04-02 10:00")) {
		t.Error("change filing overdue after three months")
	}
}

func TestApproveNeedsAnotherReviewerAndCompleteEntries(t *testing.T) {
	now := day("2026-11-25 10:00")
	v := Version{Seq: 1, Status: Draft, Entries: []Entry{entry("A", 1)}}
	v.Touch("editor", now)
	if err := v.Approve("editor", now); shuan.ErrorCode(err) != shuan.EFORBIDDEN {
		t.Fatalf("editor approving own version: %v", err)
	}
	v.Entries[0].Owner = ""
	if err := v.Approve("reviewer", now); shuan.ErrorCode(err) != shuan.EINVALID || !strings.Contains(err.Error(), "owner") {
		t.Fatalf("incomplete entry approved: %v", err)
	}
	v.Entries[0].Owner = "o"
	if err := v.Approve("reviewer", now); err != nil {
		t.Fatal(err)
	}
	if v.Status != Approved || v.SM3 != v.Digest() || v.Approver != "reviewer" {
		t.Fatalf("approved version = %+v", v)
	}
	if err := v.Approve("other", now); shuan.ErrorCode(err) != shuan.ECONFLICT {
		t.Fatalf("approving twice: %v", err)
	}
}

func TestFromScansAndMerge(t *testing.T) {
	res := &scan.Result{Source: source.Info{Kind: "sqlite", Location: "/data/mes.db"}, Tables: []scan.Table{
		{Name: "litho_recipe", Rows: 500, Category: "prod.process", Level: shuan.LevelImportant},
		{Name: "hr", Rows: 90, Category: "mgmt.hr_finance", Level: shuan.LevelGeneral},
		{Name: "core_t", Comment: "核心工艺", Rows: -1, Category: "prod.control", Level: shuan.LevelCore},
	}}
	es := FromScans([]*scan.Result{res})
	if len(es) != 2 {
		t.Fatalf("entries = %+v", es)
	}
	for _, e := range es {
		if e.Findings[0].Location != "/data/mes.db" || e.Records < 0 || e.Database != "sqlite" {
			t.Errorf("entry %+v", e)
		}
	}
	cur := FromScans([]*scan.Result{res})
	for i := range cur {
		if cur[i].Tables[0] == "litho_recipe" {
			cur[i].Owner = "张三"
		}
	}
	res.Tables[0].Rows = 900
	merged := Merge(cur, FromScans([]*scan.Result{res}))
	for _, e := range merged {
		if e.Tables[0] == "litho_recipe" && (e.Records != 900 || e.Owner != "张三") {
			t.Errorf("merge lost the edit or the new scale: %+v", e)
		}
	}
}

func TestXLSXRoundTrip(t *testing.T) {
	v := Version{Seq: 3, Status: Approved, Entries: []Entry{entry("A", 1000), entry("B", 20)}}
	v.Entries[1].Level = shuan.LevelCore
	v.Entries[1].Destroyed = "2026-11-01 介质消磁"
	v.Entries[0].Findings = []Finding{{Location: "/data/mes.db", Table: "t_A", Level: "important", Category: "prod.process"}}
	v.Entries[0].Tables = []string{"t_A", "t_A2"}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, v, [][2]string{{"备案单位", "测试"}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadXLSX(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v.Entries, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	f, _ := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	hdr, _ := f.GetRows(SheetCatalog)
	if hdr[0][1] != "数据名称" || hdr[0][4] != "数据级别" || hdr[1][4] != "重要数据" {
		t.Errorf("headers/level = %v / %v", hdr[0][:5], hdr[1][:5])
	}
}

func TestXLSXImportRefusesAnyBadRow(t *testing.T) {
	v := Version{Entries: []Entry{entry("A", 1), entry("B", 2), entry("C", 3)}}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, v, nil); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellValue(SheetCatalog, "G3", "很多")  // records not a number, row 3
	f.SetCellValue(SheetCatalog, "E4", "机密")  // bad level, row 4
	f.SetCellValue(SheetCatalog, "A5", "A")   // duplicate id, row 5
	f.SetCellValue(SheetCatalog, "B5", "重复项") // otherwise fine
	f.SetCellValue(SheetCatalog, "D5", "prod.process")
	f.SetCellValue(SheetCatalog, "E5", "核心")
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		t.Fatal(err)
	}
	es, err := ReadXLSX(&out)
	var ie *ImportError
	if !errors.As(err, &ie) || es != nil {
		t.Fatalf("entries %v, err %v: want an ImportError and nothing", es, err)
	}
	rows := map[int]bool{}
	for _, r := range ie.Rows {
		rows[r.Row] = true
	}
	if !rows[3] || !rows[4] || !rows[5] || rows[2] {
		t.Errorf("row errors %+v: want rows 3, 4 and 5 only", ie.Rows)
	}
}

func TestRollupCountsAcceptedFilingsAndCoverage(t *testing.T) {
	now := day("2026-11-25 10:00")
	ents := []shuan.Node{
		{ID: "e1", Name: "甲", Role: shuan.RoleEnterprise, Region: "320281", Industry: "C31", Key: true},
		{ID: "e2", Name: "乙", Role: shuan.RoleEnterprise, Region: "440115", Industry: "C36"},
		{ID: "e3", Name: "丙", Role: shuan.RoleEnterprise, Region: "320214", Industry: "C3973", Key: true},
		{ID: "e4", Name: "丁", Role: shuan.RoleEnterprise, Region: "320214", Industry: "C17"},
	}
	v1 := Version{Entries: []Entry{entry("A", 10), entry("B", 20)}}
	v2 := Version{Entries: []Entry{entry("A", 10)}}
	fs := []Filing{
		{ID: "f1", EnterpriseID: "e1", Region: "320281", Industry: "C31", Status: Accepted, Submitted: now.Add(-time.Hour), Version: v1},
		{ID: "f0", EnterpriseID: "e1", Region: "320281", Industry: "C31", Status: Returned, Submitted: now.Add(-2 * time.Hour), Version: v2},
		{ID: "f2", EnterpriseID: "e2", Region: "440115", Industry: "C36", Status: Accepted, Submitted: now, Version: v2},
		{ID: "f3", EnterpriseID: "e3", Region: "320214", Industry: "C3973", Status: Submitted, Submitted: now.AddDate(0, -2, 0), Due: now.AddDate(0, -1, 0), Version: v1},
	}
	ch := []ChangeDue{{ID: "c1", EnterpriseID: "e2", Detected: now.AddDate(0, -4, 0), Due: now.AddDate(0, -1, 0)}}
	r := Roll(fs, ents, ch, now)
	if r.Totals.Entries != 3 || r.Totals.Records != 40 {
		t.Errorf("totals = %+v", r.Totals)
	}
	if r.Coverage.Registered != 4 || r.Coverage.Filed != 2 || r.Coverage.KeyRegistered != 2 || r.Coverage.KeyFiled != 1 {
		t.Errorf("coverage = %+v", r.Coverage)
	}
	if len(r.Coverage.Unfiled) != 2 || r.Coverage.Unfiled[0].ID != "e3" || r.Coverage.Unfiled[0].Status != Submitted {
		t.Errorf("unfiled (key first) = %+v", r.Coverage.Unfiled)
	}
	if len(r.ByRegion) != 2 || r.ByRegion[0].Key != "320000" || r.ByRegion[0].Entries != 2 {
		t.Errorf("by region = %+v", r.ByRegion)
	}
	if r.OverdueReviews != 1 || len(r.OverdueChanges) != 1 {
		t.Errorf("overdue reviews %d, changes %d", r.OverdueReviews, len(r.OverdueChanges))
	}
}

func TestPrintableHTML(t *testing.T) {
	v := Version{Seq: 1, Status: Approved, Approver: "r", SM3: "abc", Entries: []Entry{entry("A", 1)}}
	v.Entries[0].Name = "<script>x</script>"
	var buf bytes.Buffer
	err := WriteHTML(&buf, PrintData{Enterprise: shuan.Node{Name: "甲"}, Version: v, Filing: &Filing{ID: "f", Status: Accepted},
		SM3: "digest123", Signature: "sig456", Printed: day("2026-11-25 10:00")})
	if err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{"digest123", "sig456", "已备案", "&lt;script&gt;", "安全保护措施"} {
		if !strings.Contains(s, want) {
			t.Errorf("printable form lacks %q", want)
		}
	}
}
