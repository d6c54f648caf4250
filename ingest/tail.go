package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
)

// MaxRecord bounds one record; a longer one is handed to the parser as is
// (and is usually reported malformed).
const MaxRecord = 1 << 20

// genBytes is how much of a file's start identifies it.
const genBytes = 1024

// Tailer follows one log file through rotation and hands its events to a
// sink in batches, saving the position after each batch the sink accepts.
//
// Rotation by rename and create is seen as a new file at Path; the old one
// is read to its end first. Copy-and-truncate is seen as the file shrinking
// or its first line changing. On restart a file whose first line no longer
// matches the saved one is looked for among Path's rotated siblings
// (Path.1, Path-20260101 …) and read to its end before Path.
type Tailer struct {
	Path      string
	Parser    Parser
	Positions *Positions // nil: start afresh on every run
	Stats     *Stats
	Poll      time.Duration // how often to look for new data; 250ms when 0
	BatchSize int           // events per batch; 512 when 0
	FromEnd   bool          // with no saved position, start at the end
	Once      bool          // stop at the end of the file instead of following
}

// cursor is the read state of one open file.
type cursor struct {
	f        *os.File
	fi       os.FileInfo
	gen      string
	off      int64 // next byte to read
	line     int64 // complete lines before off
	carry    []byte
	rec      []byte
	hasRec   bool // rec holds a record being assembled
	recOff   int64
	recLine  int64
	done     FilePos // end of the last record emitted
	lastData time.Time
}

// Run implements Input.
func (t *Tailer) Run(ctx context.Context, sink Sink) error {
	if t.Parser == nil {
		return errors.New("tail: no parser")
	}
	origin, err := filepath.Abs(t.Path)
	if err != nil {
		return fmt.Errorf("tail %s: %w", t.Path, err)
	}
	poll := t.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	r := &tailRun{t: t, origin: origin, key: t.Parser.Source() + " " + origin, sink: sink, poll: poll}
	r.batchSize = t.BatchSize
	if r.batchSize <= 0 {
		r.batchSize = 512
	}
	r.pos = t.Positions
	if r.pos == nil {
		r.pos, _ = OpenPositions("")
	}
	return r.run(ctx)
}

type tailRun struct {
	t         *Tailer
	pos       *Positions
	origin    string
	key       string
	sink      Sink
	poll      time.Duration
	batchSize int
	batch     []shuan.Event
	buf       []byte
}

func (r *tailRun) run(ctx context.Context) error {
	var c *cursor
	for c == nil {
		var err error
		c, err = r.open(ctx)
		if err != nil {
			return err
		}
		if c == nil {
			if r.t.Once {
				return fmt.Errorf("tail %s: file does not exist", r.t.Path)
			}
			if err := sleep(ctx, r.poll); err != nil {
				return err
			}
		}
	}
	defer func() { c.f.Close() }()
	for {
		if err := r.pump(ctx, c); err != nil {
			return err
		}
		idle := time.Since(c.lastData) >= r.poll
		if c.hasRec && (r.t.Once || idle) {
			r.emit(c)
		}
		if err := r.flush(ctx, c); err != nil {
			return err
		}
		if r.t.Once {
			return nil
		}
		// Rotation: a new file at the path, or this one shrunk or rewritten.
		st, err := os.Stat(r.t.Path)
		switch {
		case err != nil:
			// Renamed away and not yet recreated: keep reading the old one.
		case !os.SameFile(st, c.fi):
			if err := r.pump(ctx, c); err != nil {
				return err
			}
			r.finish(c)
			if err := r.flush(ctx, c); err != nil {
				return err
			}
			nf, err := os.Open(r.t.Path)
			if err != nil {
				break // replaced again meanwhile; retry next poll
			}
			nfi, err := nf.Stat()
			if err != nil {
				nf.Close()
				break
			}
			c.f.Close()
			*c = cursor{f: nf, fi: nfi, gen: genOf(nf), lastData: time.Now()}
			continue
		case st.Size() < c.off || c.gen != "" && genOf(c.f) != c.gen:
			r.finish(c)
			if err := r.flush(ctx, c); err != nil {
				return err
			}
			*c = cursor{f: c.f, fi: st, gen: genOf(c.f), lastData: time.Now()}
			continue
		}
		if err := sleep(ctx, r.poll); err != nil {
			return err
		}
	}
}

// open opens Path and positions it from the saved state, first reading a
// rotated predecessor to its end when the saved file has moved away. It
// returns nil when Path does not exist yet.
func (r *tailRun) open(ctx context.Context) (*cursor, error) {
	f, err := os.Open(r.t.Path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tail: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tail: %w", err)
	}
	c := &cursor{f: f, fi: fi, gen: genOf(f), lastData: time.Now()}
	saved, ok := r.pos.Get(r.key)
	switch {
	case ok && saved.Gen != "" && saved.Gen == c.gen && fi.Size() >= saved.Offset:
		c.off, c.line, c.done = saved.Offset, saved.Line, saved
	case ok && saved.Gen != "" && saved.Gen != c.gen:
		if err := r.drainRotated(ctx, saved); err != nil {
			f.Close()
			return nil, err
		}
	case !ok && r.t.FromEnd:
		c.off = fi.Size()
		c.done = FilePos{Gen: c.gen, Offset: c.off}
	}
	return c, nil
}

// drainRotated finds the file saved was read from among Path's rotated
// siblings and reads it from the saved offset to its end.
func (r *tailRun) drainRotated(ctx context.Context, saved FilePos) error {
	matches, _ := filepath.Glob(r.t.Path + "?*")
	for _, m := range matches {
		if strings.HasSuffix(m, ".gz") || strings.HasSuffix(m, ".zst") || strings.HasSuffix(m, ".bz2") || strings.HasSuffix(m, ".xz") {
			continue
		}
		f, err := os.Open(m)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err != nil || genOf(f) != saved.Gen || fi.Size() < saved.Offset {
			f.Close()
			continue
		}
		c := &cursor{f: f, fi: fi, gen: saved.Gen, off: saved.Offset, line: saved.Line, done: saved}
		err = r.pump(ctx, c)
		if err == nil {
			r.finish(c)
			err = r.flush(ctx, c)
		}
		f.Close()
		return err
	}
	return nil
}

// pump reads what is available from c and assembles records.
func (r *tailRun) pump(ctx context.Context, c *cursor) error {
	if r.buf == nil {
		r.buf = make([]byte, 64<<10)
	}
	for {
		n, err := c.f.ReadAt(r.buf, c.off+int64(len(c.carry)))
		if n > 0 {
			c.lastData = time.Now()
			data := r.buf[:n]
			if len(c.carry) > 0 {
				c.carry = append(c.carry, data...)
				data = c.carry
			}
			start := 0
			for {
				i := bytes.IndexByte(data[start:], '\n')
				if i < 0 {
					break
				}
				r.line(c, data[start:start+i+1])
				start += i + 1
				if len(r.batch) >= r.batchSize {
					// Keep the unread rest, then hand over the batch.
					c.carry = append(c.carry[:0:0], data[start:]...)
					data, start = c.carry, 0
					if err := r.flush(ctx, c); err != nil {
						return err
					}
				}
			}
			rest := data[start:]
			if len(rest) > MaxRecord {
				// A line without end: take it as a record of its own.
				r.line(c, rest)
				rest = nil
			}
			c.carry = append(c.carry[:0:0], rest...)
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tail %s: %w", r.t.Path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// line takes one complete line starting at c.off.
func (r *tailRun) line(c *cursor, line []byte) {
	if c.off == 0 && c.gen == "" {
		c.gen = genFromBytes(line)
	}
	if c.hasRec && len(c.rec) < MaxRecord && r.t.Parser.Continues(c.rec, line) {
		c.rec = append(c.rec, line...)
	} else {
		if c.hasRec {
			r.emit(c)
		}
		c.rec = append(c.rec[:0], line...)
		c.hasRec = true
		c.recOff, c.recLine = c.off, c.line+1
	}
	c.off += int64(len(line))
	c.line++
}

// emit parses the pending record.
func (r *tailRun) emit(c *cursor) {
	at := Position{Origin: r.origin, Key: fileKey(c.gen, c.recOff), Line: c.recLine}
	var ev shuan.Event
	ok, err := r.t.Parser.Parse(c.rec, at, &ev)
	r.t.Stats.add(r.t.Parser.Source(), at, c.recOff, ok, err)
	if ok && err == nil {
		r.batch = append(r.batch, ev)
	}
	c.done = FilePos{Gen: c.gen, Offset: c.recOff + int64(len(c.rec)), Line: c.line}
	c.rec = c.rec[:0]
	c.hasRec = false
}

// finish emits the pending record of a file that will not grow.
func (r *tailRun) finish(c *cursor) {
	if c.hasRec {
		r.emit(c)
	}
}

// flush hands the batch to the sink and saves the position after it.
func (r *tailRun) flush(ctx context.Context, c *cursor) error {
	if len(r.batch) > 0 {
		if err := r.sink(ctx, r.batch); err != nil {
			return fmt.Errorf("tail %s: sink: %w", r.t.Path, err)
		}
		r.batch = r.batch[:0]
	}
	if c.done.Gen == "" && c.done.Offset == 0 {
		return nil
	}
	return r.pos.Set(r.key, c.done)
}

// genOf identifies f by its first line (up to genBytes); "" while the file
// holds less than a line.
func genOf(f *os.File) string {
	b := make([]byte, genBytes)
	n, _ := f.ReadAt(b, 0)
	b = b[:n]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return genFromBytes(b[:i+1])
	}
	if n < genBytes {
		return ""
	}
	return genFromBytes(b)
}

func genFromBytes(line []byte) string {
	if len(line) > genBytes {
		line = line[:genBytes]
	}
	return gm.HexSum(line)[:32]
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
