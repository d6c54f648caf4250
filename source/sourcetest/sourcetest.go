// Package sourcetest is the conformance suite every database connector runs
// against a table created with Schema.
package sourcetest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/shuan-dev/shuan/source"
)

// Rows is the number of rows Inserts creates.
const Rows = 30

// Schema returns the statements creating the conformance table "staff"
// (id, xm, sjh, note) for a dialect ("postgres", "mysql", "sqlite"), with
// comments where the dialect keeps them.
func Schema(dialect string) []string {
	var stmts []string
	switch dialect {
	case "postgres":
		stmts = []string{
			`CREATE TABLE staff (id integer PRIMARY KEY, xm varchar(20), sjh varchar(20), note text)`,
			`COMMENT ON TABLE staff IS '员工表'`,
			`COMMENT ON COLUMN staff.xm IS '姓名'`,
			`COMMENT ON COLUMN staff.sjh IS '手机号'`,
		}
	case "mysql":
		stmts = []string{"CREATE TABLE staff (id int PRIMARY KEY, xm varchar(20) COMMENT '姓名', sjh varchar(20) COMMENT '手机号', note text) COMMENT='员工表'"}
	default:
		stmts = []string{`CREATE TABLE staff (id integer PRIMARY KEY, xm text, sjh text, note text)`}
	}
	return append(stmts, Inserts()...)
}

// Inserts returns the INSERT statements of the conformance rows; every
// fifth note is NULL.
func Inserts() []string {
	var out []string
	names := []string{"张伟", "王芳", "李娜", "刘洋", "陈静"}
	for i := 1; i <= Rows; i++ {
		note := "'备注" + strings.Repeat("x", i%3) + "'"
		if i%5 == 0 {
			note = "NULL"
		}
		out = append(out, "INSERT INTO staff VALUES ("+itoa(i)+", '"+names[i%5]+"', '1380013"+pad4(i)+"', "+note+")")
	}
	return out
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func pad4(i int) string { s := itoa(i); return strings.Repeat("0", 4-len(s)) + s }

// Check runs the conformance checks on a connection to a source holding the
// table; name is how the connector names it (e.g. "schema.staff").
func Check(t *testing.T, c source.Conn, name string, comments bool) {
	t.Helper()
	ctx := context.Background()
	tables, err := c.Tables(ctx)
	if err != nil {
		t.Fatalf("Tables: %v", err)
	}
	i := slices.IndexFunc(tables, func(tb source.Table) bool { return tb.Name == name })
	if i < 0 {
		t.Fatalf("Tables: no %q in %v", name, tables)
	}
	tb := tables[i]
	var names []string
	for _, col := range tb.Columns {
		names = append(names, col.Name)
	}
	if want := []string{"id", "xm", "sjh", "note"}; !slices.Equal(names, want) {
		t.Fatalf("columns = %v, want %v", names, want)
	}
	if comments {
		if tb.Comment != "员工表" || tb.Columns[1].Comment != "姓名" || tb.Columns[2].Comment != "手机号" {
			t.Errorf("comments = %q %q %q, want 员工表 姓名 手机号", tb.Comment, tb.Columns[1].Comment, tb.Columns[2].Comment)
		}
	}
	if tb.Columns[0].Type == "" {
		t.Errorf("column type empty")
	}
	for _, tc := range []struct {
		name string
		o    source.ReadOptions
		rows int
		n    int // batches
	}{
		{"sample", source.ReadOptions{Limit: 10}, 10, 1},
		{"sample all", source.ReadOptions{Limit: 1000}, Rows, 1},
		{"full", source.ReadOptions{Limit: 7, Full: true}, Rows, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, batches := 0, 0
			var total int64
			var first, again []string
			read := func(into *[]string) {
				rows, batches = 0, 0
				err := c.Read(ctx, tb, tc.o, func(b source.Batch) error {
					batches++
					rows += b.Rows
					if b.TableRows > 0 {
						total = b.TableRows
					}
					if len(b.Values) != 4 {
						t.Fatalf("batch has %d value columns", len(b.Values))
					}
					*into = append(*into, b.Values[2]...)
					for _, v := range b.Values[2] {
						if !strings.HasPrefix(v, "1380013") {
							t.Fatalf("sjh value %q", v)
						}
					}
					if nulls := b.Rows - len(b.Values[3]); tc.o.Full && b.Rows == 7 && nulls < 1 {
						t.Errorf("NULL notes were not dropped")
					}
					return nil
				})
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
			}
			read(&first)
			if rows != tc.rows || batches < tc.n {
				t.Errorf("read %d rows in %d batches, want %d in ≥%d", rows, batches, tc.rows, tc.n)
			}
			if total != Rows && tb.Rows != Rows {
				t.Errorf("row count = %d (listed %d), want %d", total, tb.Rows, Rows)
			}
			read(&again)
			if !slices.Equal(first, again) {
				t.Errorf("sample not repeatable: %v vs %v", first, again)
			}
		})
	}
}

// Env returns a service URL from the environment, skipping the test when it
// is missing unless SHUAN_REQUIRE_SERVICES=1.
func Env(t testing.TB, key string) string {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		if os.Getenv("SHUAN_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s not set and SHUAN_REQUIRE_SERVICES=1", key)
		}
		t.Skipf("%s not set", key)
	}
	return v
}
