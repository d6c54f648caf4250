package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shuan-dev/shuan/source"
	"github.com/shuan-dev/shuan/source/sourcetest"
)

// makeSchema creates a random schema holding the conformance table.
func makeSchema(t *testing.T) (url, schema string) {
	t.Helper()
	url = sourcetest.Env(t, "SHUAN_TEST_PG_URL")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	schema = fmt.Sprintf("src_%d", rand.Int64N(1<<40))
	exec := func(s string) {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	exec("SET search_path = " + schema)
	for _, s := range sourcetest.Schema("postgres") {
		exec(s)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	return url, schema
}

func TestConformance(t *testing.T) {
	url, schema := makeSchema(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	c, err := Open(context.Background(), url+sep+"schema="+schema, source.Options{Conns: 2, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sourcetest.Check(t, c, schema+".staff", true)
	if strings.Contains(c.Info().Location, "schema=") && strings.Contains(c.Info().Location, ":@") {
		t.Errorf("location %q", c.Info().Location)
	}
}

func TestReadOnlyAndTimeout(t *testing.T) {
	url, schema := makeSchema(t)
	c, err := Open(context.Background(), url, source.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	pc, err := c.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.release(pc, nil)
	if _, err := pc.Exec(ctx, "DELETE FROM "+schema+".staff"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write on a scan session: err = %v, want read-only transaction error", err)
	}
	if _, err := pc.Exec(ctx, "SELECT pg_sleep(2)"); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("slow statement: err = %v, want statement timeout", err)
	}
}

func TestPasswordNotShown(t *testing.T) {
	url := sourcetest.Env(t, "SHUAN_TEST_PG_URL")
	c, err := Open(context.Background(), url, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if loc := c.Info().Location; strings.Contains(loc, ":@") || strings.Count(loc, ":") > 2 {
		t.Errorf("location %q may carry a password", loc)
	}
	_, err = Open(context.Background(), "postgres://nobody:s3cr3t-pw@127.0.0.1:1/x", source.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error %v leaks password or is nil", err)
	}
}

func TestBigTableSample(t *testing.T) {
	url, schema := makeSchema(t)
	c, err := Open(context.Background(), url, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tables, err := c.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name != schema+".staff" {
			continue
		}
		tb.Rows = BigTable * 2 // pretend the statistics say big: TABLESAMPLE path
		var rows int
		var counted int64
		read := func() []string {
			rows, counted = 0, 0
			var got []string
			err := c.Read(context.Background(), tb, source.ReadOptions{Limit: 10}, func(b source.Batch) error {
				rows += b.Rows
				counted += b.TableRows
				got = append(got, b.Values[2]...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		first := read()
		if rows == 0 || rows > 10 || counted != 0 {
			t.Errorf("TABLESAMPLE read %d rows (count %d), want 1..10 and no exact count", rows, counted)
		}
		if again := read(); strings.Join(first, ",") != strings.Join(again, ",") {
			t.Errorf("TABLESAMPLE not repeatable")
		}
		return
	}
	t.Fatal("staff not listed")
}
