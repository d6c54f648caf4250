package scan

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math/bits"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/schollz/progressbar/v3"

	"github.com/shuan-dev/shuan/classify"
	"github.com/shuan-dev/shuan/source"
)

// DefaultSample is the number of rows sampled per table.
const DefaultSample = 1000

// Classifier labels one table from its schema and sampled values;
// *classify.Engine is the implementation.
type Classifier interface {
	Classify(t classify.Table, o classify.Options) classify.TableLabel
	Pack() classify.PackInfo
}

// Job is one scan of one source.
type Job struct {
	Source     source.Conn
	Classifier Classifier
	// Sample is the number of rows read per table (DefaultSample if 0); with
	// Full it is the size of each classified chunk.
	Sample int
	// Full reads every row, classifying chunk by chunk and keeping, for each
	// column, the most severe label any chunk gave.
	Full bool
	// Jobs bounds the tables read at once (GOMAXPROCS if 0).
	Jobs     int
	Industry string
	// Previous enables incremental rescans: unchanged tables keep their
	// labels, confirmed labels are kept, and Changes are reported.
	Previous *Result
	// Progress, if set, receives a progress bar.
	Progress io.Writer
	// Now stamps the result (time.Now if nil).
	Now func() time.Time

	sem chan struct{} // bounds concurrent chunk classification (full mode)
}

// skipper is implemented by connectors that list items they did not read.
type skipper interface {
	Skipped() []source.Skip
}

// Run scans every table of the source. A table that cannot be read is
// reported in Result.Skipped; Run fails only when the context ends, the
// source cannot be listed, or every table failed.
func (j *Job) Run(ctx context.Context) (*Result, error) {
	if j.Sample <= 0 {
		j.Sample = DefaultSample
	}
	if j.Jobs <= 0 {
		j.Jobs = runtime.GOMAXPROCS(0)
	}
	j.sem = make(chan struct{}, j.Jobs)
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	pack := j.Classifier.Pack()
	res := &Result{
		SchemaVersion: SchemaVersion,
		ScannedAt:     now().UTC(),
		Source:        j.Source.Info(),
		RulePack:      RulePack{Name: pack.Name, Version: pack.Version, SM3: pack.SM3},
		Sampling:      Sampling{Rows: j.Sample, Full: j.Full, Industry: j.Industry},
		Tables:        []Table{},
	}
	tables, err := j.Source.Tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("scan source %q: %w", res.Source.Location, err)
	}
	if s, ok := j.Source.(skipper); ok {
		res.Skipped = append(res.Skipped, s.Skipped()...)
	}
	prev := map[string]*Table{}
	reuse := false
	if j.Previous != nil {
		for i := range j.Previous.Tables {
			prev[j.Previous.Tables[i].Name] = &j.Previous.Tables[i]
		}
		reuse = j.Previous.RulePack.SM3 == pack.SM3 && j.Previous.Sampling == res.Sampling
	}
	var bar *progressbar.ProgressBar
	if j.Progress != nil {
		bar = progressbar.NewOptions(len(tables),
			progressbar.OptionSetWriter(j.Progress),
			progressbar.OptionSetDescription("scan"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	out := make([]*Table, len(tables))
	errs := make([]error, len(tables))
	caveats := make([]string, len(tables))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(j.Jobs, max(len(tables), 1)) {
		wg.Go(func() {
			for i := range next {
				t, cav, err := j.table(ctx, tables[i], prev[tables[i].Name], reuse)
				out[i], caveats[i], errs[i] = t, cav, err
				if bar != nil {
					bar.Add(1)
				}
			}
		})
	}
feed:
	for i := range tables {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var firstErr error
	for i, t := range out {
		if errs[i] != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("scan source %q: %w", tables[i].Name, errs[i])
			}
			res.Skipped = append(res.Skipped, source.Skip{Name: tables[i].Name, Reason: errs[i].Error()})
			continue
		}
		res.Tables = append(res.Tables, *t)
		if res.Caveat == "" {
			res.Caveat = caveats[i]
		}
	}
	if len(res.Tables) == 0 && firstErr != nil {
		return nil, firstErr
	}
	if res.Caveat == "" && j.Previous != nil {
		res.Caveat = j.Previous.Caveat
	}
	if res.Caveat == "" {
		res.Caveat = classify.Caveat
	}
	if j.Previous != nil {
		res.Changes = Diff(j.Previous, res)
	}
	res.summarize()
	return res, nil
}

// reading accumulates one table's batches.
type reading struct {
	cols    []source.Column
	index   map[string]int
	values  [][]string
	rows    int64
	total   int64
	content hash.Hash // digest over sampled values, batch by batch
	buf     []byte    // reused for hashing one column of a batch
	labels  *merged   // chunk labels (full mode)
}

func (r *reading) add(b source.Batch) {
	for i, c := range b.Columns {
		k, ok := r.index[c.Name]
		if !ok {
			k = len(r.cols)
			r.index[c.Name] = k
			r.cols = append(r.cols, c)
			r.values = append(r.values, nil)
		}
		if i < len(b.Values) {
			r.values[k] = append(r.values[k], b.Values[i]...)
			// One hash write per column: many tiny writes cost more than SM3 itself.
			r.buf = append(r.buf[:0], c.Name...)
			for _, v := range b.Values[i] {
				r.buf = append(r.buf, 0)
				r.buf = append(r.buf, v...)
			}
			r.buf = append(r.buf, 1)
			r.content.Write(r.buf)
		}
	}
	r.rows += int64(b.Rows)
	if b.TableRows > 0 {
		r.total = b.TableRows
	}
}

// table reads, fingerprints and labels one table.
func (j *Job) table(ctx context.Context, st source.Table, prev *Table, reuse bool) (*Table, string, error) {
	r := &reading{index: map[string]int{}, content: sm3.New(), total: st.Rows}
	for _, c := range st.Columns {
		r.index[c.Name] = len(r.cols)
		r.cols = append(r.cols, c)
		r.values = append(r.values, nil)
	}
	var chunks *chunker
	if j.Full {
		r.labels = &merged{}
		chunks = &chunker{job: j, st: st, merged: r.labels, done: map[int]chunkLabel{}}
	}
	err := j.Source.Read(ctx, st, source.ReadOptions{Limit: j.Sample, Full: j.Full}, func(b source.Batch) error {
		r.add(b)
		if j.Full && b.Rows > 0 {
			// Hand this chunk to the classifier and drop its values here:
			// at most Jobs chunks are in flight, so memory stays bounded.
			if err := chunks.submit(ctx, r.cols, r.values, r.total); err != nil {
				return err
			}
			r.values = make([][]string, len(r.cols))
		}
		return ctx.Err()
	})
	if chunks != nil {
		chunks.wait()
	}
	if err != nil {
		return nil, "", err
	}
	if j.Full {
		r.total = r.rows // a full pass counted every row
	}
	t := &Table{
		Name:        st.Name,
		Comment:     st.Comment,
		Rows:        r.total,
		SampledRows: r.rows,
		Fingerprint: fingerprint(st, r),
		Columns:     []Column{},
	}
	var caveat string
	if reuse && prev != nil && prev.Fingerprint == t.Fingerprint {
		carried := *prev
		carried.Columns = append([]Column(nil), prev.Columns...)
		carried.Rows, carried.SampledRows, carried.Comment = t.Rows, t.SampledRows, t.Comment
		carried.Unchanged = true
		t = &carried
	} else {
		var label classify.TableLabel
		if j.Full {
			label = r.labels.result(r.cols)
		} else {
			label = j.classify(st, r, int(r.rows))
		}
		caveat = label.Caveat
		t.Category, t.Level, t.SubLevel = label.Category, label.Level, label.SubLevel
		if len(label.Evidence) > 0 {
			t.Evidence = evidence(label.Evidence)
		}
		for i, c := range r.cols {
			col := Column{Name: c.Name, Type: c.Type, Comment: c.Comment, Evidence: []Evidence{}}
			if i < len(label.Columns) {
				l := label.Columns[i]
				col.Category, col.SensitivePI, col.Level, col.SubLevel = l.Category, l.SensitivePI, l.Level, l.SubLevel
				col.Confidence = l.Confidence
				if l.PI != "" {
					pi := l.PI
					col.PI = &pi
				}
				col.Evidence = evidence(l.Evidence)
			}
			t.Columns = append(t.Columns, col)
		}
	}
	if prev != nil {
		keepConfirmed(t, prev)
	}
	return t, caveat, nil
}

// classify labels the values gathered so far.
func (j *Job) classify(st source.Table, r *reading, rows int) classify.TableLabel {
	return j.label(st, r.cols, r.values, r.total)
}

func (j *Job) label(st source.Table, cols []source.Column, values [][]string, total int64) classify.TableLabel {
	ct := classify.Table{Name: st.Name, Comment: st.Comment, Rows: max(total, -1), Columns: make([]classify.Column, len(cols))}
	for i, c := range cols {
		ct.Columns[i] = classify.Column{Name: c.Name, Type: c.Type, Comment: c.Comment, Values: values[i]}
	}
	return j.Classifier.Classify(ct, classify.Options{Industry: j.Industry})
}

// chunker classifies the chunks of a full pass concurrently — at most Jobs
// classifications run at once across the whole scan — and merges their
// labels in chunk order, so the result does not depend on scheduling.
type chunker struct {
	job    *Job
	st     source.Table
	wg     sync.WaitGroup
	mu     sync.Mutex
	next   int // index of the next chunk to merge
	count  int // chunks submitted
	done   map[int]chunkLabel
	merged *merged
}

type chunkLabel struct {
	label classify.TableLabel
	cols  []source.Column
}

func (c *chunker) submit(ctx context.Context, cols []source.Column, values [][]string, total int64) error {
	select {
	case c.job.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	idx := c.count
	c.count++
	cols = cols[:len(cols):len(cols)] // later appends must not write into this snapshot
	c.wg.Go(func() {
		l := c.job.label(c.st, cols, values, total)
		<-c.job.sem
		c.mu.Lock()
		defer c.mu.Unlock()
		c.done[idx] = chunkLabel{l, cols}
		for {
			d, ok := c.done[c.next]
			if !ok {
				return
			}
			c.merged.add(d.label, d.cols)
			delete(c.done, c.next)
			c.next++
		}
	})
	return nil
}

func (c *chunker) wait() { c.wg.Wait() }

// fingerprint is the SM3 over schema, row-count bucket and sampled content.
func fingerprint(st source.Table, r *reading) string {
	h := sm3.New()
	h.Write([]byte("shuan-table-v1\x00" + st.Name + "\x00" + st.Comment + "\x00"))
	for _, c := range r.cols {
		h.Write([]byte(c.Name + "\x1f" + c.Type + "\x1f" + c.Comment + "\x1e"))
	}
	bucket := -1
	if r.total >= 0 {
		bucket = bits.Len64(uint64(r.total))
	}
	h.Write([]byte("\x00rows:" + strconv.Itoa(bucket) + "\x00"))
	h.Write(r.content.Sum(nil))
	return hex.EncodeToString(h.Sum(nil))
}

func evidence(in []classify.Evidence) []Evidence {
	out := make([]Evidence, 0, len(in))
	for _, e := range in {
		out = append(out, Evidence{Kind: e.Kind, Rule: e.Rule, Detail: e.Detail})
	}
	return out
}

// keepConfirmed applies the human-confirmed labels of the previous result.
// A confirmed column keeps its category, PI, sensitivity and level; the
// table's level is raised to any higher confirmed column level (就高从严)
// unless the table itself was confirmed.
func keepConfirmed(t *Table, prev *Table) {
	byName := map[string]*Column{}
	for i := range prev.Columns {
		if prev.Columns[i].Confirmed {
			byName[prev.Columns[i].Name] = &prev.Columns[i]
		}
	}
	for i := range t.Columns {
		p, ok := byName[t.Columns[i].Name]
		if !ok {
			continue
		}
		c := &t.Columns[i]
		c.Category, c.SensitivePI, c.Level, c.SubLevel = p.Category, p.SensitivePI, p.Level, p.SubLevel
		c.PI = nil
		if pi := p.PIType(); pi != "" {
			c.PI = &pi
		}
		c.Confidence = 1
		c.Confirmed, c.ConfirmedBy, c.Reason = true, p.ConfirmedBy, p.Reason
		c.Evidence = []Evidence{{Kind: "confirmed", Rule: "human", Detail: confirmedDetail(p)}}
	}
	if prev.Confirmed {
		t.Category, t.Level, t.SubLevel = prev.Category, prev.Level, prev.SubLevel
		t.Confirmed, t.ConfirmedBy, t.Reason = true, prev.ConfirmedBy, prev.Reason
		return
	}
	for _, c := range t.Columns {
		if c.Confirmed && levelRank(c.Level) > levelRank(t.Level) {
			t.Level, t.SubLevel = c.Level, 0
			if c.Level == "general" {
				t.SubLevel = c.SubLevel
			}
		}
	}
}

func confirmedDetail(c *Column) string {
	s := "confirmed"
	if c.ConfirmedBy != "" {
		s += " by " + c.ConfirmedBy
	}
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	return s
}

// merged keeps, per column, the most severe label any chunk produced.
type merged struct {
	table   classify.TableLabel
	columns map[string]classify.ColumnLabel
	seen    bool
}

func severity(l classify.ColumnLabel) (int, int, float64) {
	pi := 0
	if l.PI != "" {
		pi = 1
	}
	return levelRank(l.Level), pi, l.Confidence
}

func (m *merged) add(l classify.TableLabel, cols []source.Column) {
	if m.columns == nil {
		m.columns = map[string]classify.ColumnLabel{}
	}
	if !m.seen || levelRank(l.Level) > levelRank(m.table.Level) {
		ev := append(m.table.Evidence, l.Evidence...)
		m.table = l
		m.table.Evidence = ev
	}
	m.seen = true
	for i, c := range l.Columns {
		if i >= len(cols) {
			break
		}
		old, ok := m.columns[cols[i].Name]
		a1, b1, c1 := severity(c)
		a0, b0, c0 := severity(old)
		if !ok || a1 > a0 || (a1 == a0 && (b1 > b0 || (b1 == b0 && c1 > c0))) {
			m.columns[cols[i].Name] = c
		}
	}
}

func (m *merged) result(cols []source.Column) classify.TableLabel {
	out := m.table
	out.Evidence = dedupe(out.Evidence)
	out.Columns = make([]classify.ColumnLabel, len(cols))
	for i, c := range cols {
		out.Columns[i] = m.columns[c.Name]
	}
	return out
}

func dedupe(in []classify.Evidence) []classify.Evidence {
	seen := map[[2]string]bool{}
	var out []classify.Evidence
	for _, e := range in {
		k := [2]string{e.Kind, e.Rule}
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
