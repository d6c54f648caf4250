package ingest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shuan-dev/shuan"
)

// collector is a sink that keeps every event.
type collector struct {
	mu  sync.Mutex
	evs []shuan.Event
}

func (c *collector) sink(ctx context.Context, evs []shuan.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, evs...)
	return nil
}

func (c *collector) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.evs {
		out = append(out, e.Message)
	}
	return out
}

func (c *collector) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		got := len(c.evs)
		c.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("got %d events, want %d: %v", len(c.messages()), n, c.messages())
}

func syslogLine(i int) string {
	return fmt.Sprintf("Nov 25 19:00:00 host app[1]: msg-%06d\n", i)
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(syslogLine(i))
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// wantRange checks that msgs are msg-from … msg-(to-1) exactly once, in order.
func wantRange(t *testing.T, msgs []string, from, to int) {
	t.Helper()
	if len(msgs) != to-from {
		t.Fatalf("got %d messages, want %d (first %v)", len(msgs), to-from, msgs[:min(3, len(msgs))])
	}
	for i, m := range msgs {
		if want := fmt.Sprintf("msg-%06d", from+i); m != want {
			t.Fatalf("message %d = %q, want %q", i, m, want)
		}
	}
}

func newTailer(path, state string, t *testing.T) *Tailer {
	pos, err := OpenPositions(state)
	if err != nil {
		t.Fatal(err)
	}
	return &Tailer{Path: path, Parser: NewSyslog(Options{}), Positions: pos, Stats: &Stats{}, Poll: 20 * time.Millisecond, BatchSize: 7}
}

func TestTailRotation(t *testing.T) {
	for _, mode := range []string{"rename", "copytruncate"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			appendLines(t, path, 0, 100)
			tl := newTailer(path, filepath.Join(dir, "state"), t)
			var c collector
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- tl.Run(ctx, c.sink) }()
			c.waitFor(t, 100)
			appendLines(t, path, 100, 150)
			c.waitFor(t, 150)
			switch mode {
			case "rename":
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
				appendLines(t, path+".1", 150, 160) // the writer still holds the old file
				appendLines(t, path, 160, 200)
			case "copytruncate":
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
				time.Sleep(60 * time.Millisecond)
				appendLines(t, path, 150, 200)
			}
			c.waitFor(t, 200)
			time.Sleep(100 * time.Millisecond)
			cancel()
			<-done
			wantRange(t, c.messages(), 0, 200)
			ids := map[string]bool{}
			for _, e := range c.evs {
				if ids[e.ID] {
					t.Fatalf("duplicate id %s", e.ID)
				}
				ids[e.ID] = true
			}
		})
	}
}

func TestTailRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	state := filepath.Join(dir, "state")
	appendLines(t, path, 0, 50)
	var all collector
	run := func() {
		tl := newTailer(path, state, t)
		tl.Once = true
		if err := tl.Run(context.Background(), all.sink); err != nil {
			t.Fatal(err)
		}
	}
	run()
	appendLines(t, path, 50, 80)
	run()
	// Rotated while stopped: the rest of the old file comes first.
	appendLines(t, path, 80, 90)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 90, 120)
	run()
	run()
	wantRange(t, all.messages(), 0, 120)
	// Re-reading from scratch yields the same ids.
	tl := newTailer(path, "", t)
	tl.Once = true
	var again collector
	if err := tl.Run(context.Background(), again.sink); err != nil {
		t.Fatal(err)
	}
	if len(again.evs) != 30 {
		t.Fatalf("re-read %d events, want 30", len(again.evs))
	}
	for i, e := range again.evs {
		if e.ID != all.evs[90+i].ID {
			t.Fatalf("event %d: id %s on re-read, %s before", i, e.ID, all.evs[90+i].ID)
		}
	}
}

func TestTailMultiline(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pg.log")
	p, _ := NewPgaudit(Options{})
	text := "2026-11-25 19:35:44.771 UTC [1] u@d 127.0.0.1(5) LOG:  AUDIT: SESSION,4,1,READ,SELECT,,,\"select *\n\t  from t\n\t where name = 'x'\",<not logged>,3\n" +
		"not a postgres line\n" +
		"2026-11-25 19:35:44.772 UTC [1] u@d 127.0.0.1(5) LOG:  AUDIT: SESSION,5,1,WRITE,DELETE,,,delete from t,<not logged>,9\n"
	os.WriteFile(path, []byte(text), 0o600)
	st := &Stats{}
	tl := &Tailer{Path: path, Parser: p, Stats: st, Once: true}
	var c collector
	if err := tl.Run(context.Background(), c.sink); err != nil {
		t.Fatal(err)
	}
	if len(c.evs) != 2 || c.evs[0].Statement != "select * from t where name = ?" || c.evs[1].Rows != 9 {
		t.Fatalf("got %+v", c.evs)
	}
	s := st.Snapshot()
	if len(s) != 1 || s[0].Malformed != 1 || s[0].Examples[0].Line != 4 || s[0].Events != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestTailKill kills a tailing process mid-file, rotates the file while it
// is down, and checks that the restarted tailer loses nothing; repeats can
// only come from the batch the sink took just before the kill, and carry
// the same ids.
func TestTailKill(t *testing.T) {
	if os.Getenv("SHUAN_TAIL_HELPER") != "" {
		tailHelper(t)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	out := filepath.Join(dir, "out.ndjson")
	state := filepath.Join(dir, "state")
	const n = 3000
	appendLines(t, path, 0, n)
	start := func(once bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTailKill$")
		cmd.Env = append(os.Environ(), "SHUAN_TAIL_HELPER=1", "SHUAN_TAIL_PATH="+path, "SHUAN_TAIL_OUT="+out, "SHUAN_TAIL_STATE="+state, "SHUAN_TAIL_ONCE="+strconv.FormatBool(once))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	cmd := start(false)
	// Kill once some but not all events are out.
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c := countLines(out); c > 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("helper wrote nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killedAt := countLines(out)
	if killedAt >= n {
		t.Fatalf("helper finished before the kill (%d lines)", killedAt)
	}
	appendLines(t, path, n, n+100)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, n+100, n+200)
	cmd = start(true)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]string{} // message → id
	repeats := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e shuan.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if id, ok := seen[e.Message]; ok {
			repeats++
			if id != e.ID {
				t.Fatalf("%s read twice with different ids", e.Message)
			}
		}
		seen[e.Message] = e.ID
	}
	for i := 0; i < n+200; i++ {
		if _, ok := seen[fmt.Sprintf("msg-%06d", i)]; !ok {
			t.Fatalf("msg-%06d lost", i)
		}
	}
	t.Logf("killed after %d events; %d repeated after restart (batch size 50)", killedAt, repeats)
	if repeats > 50 {
		t.Errorf("%d repeats, more than one batch", repeats)
	}
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// tailHelper runs a tailer whose sink appends events to a file and syncs,
// slowly, so the parent can kill it mid-file.
func tailHelper(t *testing.T) {
	out, err := os.OpenFile(os.Getenv("SHUAN_TAIL_OUT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := OpenPositions(os.Getenv("SHUAN_TAIL_STATE"))
	if err != nil {
		t.Fatal(err)
	}
	tl := &Tailer{Path: os.Getenv("SHUAN_TAIL_PATH"), Parser: NewSyslog(Options{}), Positions: pos, BatchSize: 50, Poll: 10 * time.Millisecond, Once: os.Getenv("SHUAN_TAIL_ONCE") == "true"}
	sink := func(ctx context.Context, evs []shuan.Event) error {
		var b []byte
		for _, e := range evs {
			j, _ := json.Marshal(e)
			b = append(append(b, j...), '\n')
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
		time.Sleep(2 * time.Millisecond)
		return out.Sync()
	}
	if err := tl.Run(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
}

func TestPipeline(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendLines(t, a, 0, 40)
	appendLines(t, b, 40, 100)
	var c collector
	busy := false
	sink := func(ctx context.Context, evs []shuan.Event) error {
		if busy {
			t.Error("sink called concurrently")
		}
		busy = true
		time.Sleep(time.Millisecond)
		busy = false
		return c.sink(ctx, evs)
	}
	p := &Pipeline{Inputs: []Input{
		&Tailer{Path: a, Parser: NewSyslog(Options{}), Once: true, BatchSize: 3},
		&Tailer{Path: b, Parser: NewSyslog(Options{}), Once: true, BatchSize: 3},
	}, Sink: sink}
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.evs) != 100 {
		t.Fatalf("got %d events", len(c.evs))
	}
	p.Inputs = append(p.Inputs, &Tailer{Path: filepath.Join(dir, "missing.log"), Parser: NewSyslog(Options{}), Once: true})
	if err := p.Run(context.Background()); err == nil {
		t.Error("missing file: no error")
	}
}
