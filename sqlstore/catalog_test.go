package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/sqlstore/sqlstoretest"
)

func TestCatalogVersionsAreImmutableOnceApproved(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	v := catalog.Version{ID: "v1", NodeID: "n", Seq: 1, Status: catalog.Draft, Created: now, Updated: now,
		Entries: []catalog.Entry{{ID: "A", Name: "a", Category: "prod.process", Level: shuan.LevelImportant}}}
	if err := db.SaveCatalogVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	v.Entries[0].Name = "b"
	v.Status = catalog.Approved
	if err := db.SaveCatalogVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	v.Entries[0].Name = "c"
	if err := db.SaveCatalogVersion(ctx, v); shuan.ErrorCode(err) != shuan.ECONFLICT {
		t.Fatalf("changing an approved version: %v", err)
	}
	got, err := db.FindCatalogVersion(ctx, "n", 0)
	if err != nil || got.Entries[0].Name != "b" || got.Status != catalog.Approved {
		t.Fatalf("stored %+v, %v", got, err)
	}
	if _, err := db.FindCatalogVersion(ctx, "n", 7); shuan.ErrorCode(err) != shuan.ENOTFOUND {
		t.Fatalf("missing version: %v", err)
	}
}

func TestFilingsByRegionAndChangesDue(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i, f := range []catalog.Filing{
		{ID: "f1", EnterpriseID: "e1", Region: "320281", Status: catalog.Submitted, Submitted: now},
		{ID: "f2", EnterpriseID: "e2", Region: "440115", Status: catalog.Accepted, Submitted: now.Add(time.Second)},
	} {
		if err := db.SaveFiling(ctx, f); err != nil {
			t.Fatal(i, err)
		}
	}
	js, _ := db.FindFilings(ctx, catalog.FilingFilter{Region: "320000"})
	if len(js) != 1 || js[0].ID != "f1" {
		t.Errorf("Jiangsu filings %+v", js)
	}
	acc, _ := db.FindFilings(ctx, catalog.FilingFilter{Status: catalog.Accepted})
	if len(acc) != 1 || acc[0].ID != "f2" {
		t.Errorf("accepted filings %+v", acc)
	}
	c := catalog.ChangeDue{ID: "c1", EnterpriseID: "e1", Detected: now.Add(-time.Hour), Due: now.AddDate(0, 3, 0)}
	if err := db.SaveChangeDue(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.ResolveChangesDue(ctx, "e1", catalog.Filing{ID: "f9", Submitted: now}, now); err != nil {
		t.Fatal(err)
	}
	if open, _ := db.FindChangesDue(ctx, "e1", false); len(open) != 0 {
		t.Errorf("open after a later filing: %+v", open)
	}
	all, _ := db.FindChangesDue(ctx, "", true)
	if len(all) != 1 || all[0].ResolvedBy != "f9" {
		t.Errorf("all changes %+v", all)
	}
}
