package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shuan-dev/shuan/source"
	"github.com/shuan-dev/shuan/source/sourcetest"
)

func makeDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conf.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range sourcetest.Schema("sqlite") {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func TestConformance(t *testing.T) {
	path := makeDB(t)
	c, err := Open(context.Background(), "sqlite:"+path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sourcetest.Check(t, c, "staff", false)
}

func TestReadOnly(t *testing.T) {
	path := makeDB(t)
	c, err := Open(context.Background(), path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.db.Exec(`DELETE FROM staff`)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "readonly") && !strings.Contains(err.Error(), "read-only") && !strings.Contains(err.Error(), "query_only") {
		t.Fatalf("write on a scan connection: err = %v, want a read-only error", err)
	}
}

func TestMatch(t *testing.T) {
	for loc, want := range map[string]bool{
		"sqlite:x":           true,
		"plant.db":           true,
		"a/b.sqlite3":        true,
		"data.csv":           false,
		"postgres://x/y":     false,
		"/tmp/some.sqlite":   true,
		"mysql://u@h:1/x.db": false,
	} {
		if got := Match(loc) && !strings.Contains(loc, "://"); got != want {
			t.Errorf("Match(%q) = %v, want %v", loc, got, want)
		}
	}
}
