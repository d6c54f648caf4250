package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ledger"
)

// auditPageSize is how many records one audit page shows.
const auditPageSize = 50

// auditRow is a record with its node ids named for people.
type auditRow struct {
	ledger.Record
	ActorLabel  string // "node:<name>" for a node id this node knows
	ObjectLabel string
}

// auditData is the content of the audit page.
type auditData struct {
	Records     []auditRow
	Verified    bool
	VerifyError string
	After       int64 // the page starts after this sequence number
	Prev        int64
	Next        int64
	More        bool
	// Full is set when the whole chain was verified on request.
	Full *fullCheck
}

// fullCheck is the result of verifying the whole chain from genesis.
type fullCheck struct {
	Records int64
	Head    string
	Error   string
}

func (s *server) auditPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return shuan.Errorf(shuan.EINVALID, "after must be a record number, got %q", v)
		}
		after = n
	} else {
		// Without a position the page shows the newest records.
		last, err := s.lastAuditSeq(ctx)
		if err != nil {
			return err
		}
		after = max(0, last-auditPageSize)
	}
	// One extra record tells whether a next page exists.
	recs, err := s.cfg.Store.AuditRecords(ctx, after, auditPageSize+1)
	if err != nil {
		return fmt.Errorf("audit records after %d: %w", after, err)
	}
	d := auditData{After: after, Prev: max(0, after-auditPageSize)}
	if len(recs) > auditPageSize {
		recs, d.More = recs[:auditPageSize], true
	}
	nodes, err := s.subtree(ctx, rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return err
	}
	names := map[string]string{rq.Self.ID: rq.Self.Name}
	for _, n := range nodes {
		names[n.ID] = n.Name
	}
	for _, rec := range recs {
		row := auditRow{Record: rec, ActorLabel: rec.Actor, ObjectLabel: rec.Object}
		if id, ok := strings.CutPrefix(rec.Actor, "node:"); ok && names[id] != "" {
			row.ActorLabel = "node:" + names[id]
		}
		if n := names[rec.Object]; n != "" {
			row.ObjectLabel = n
		}
		d.Records = append(d.Records, row)
	}
	if len(recs) > 0 {
		d.Next = recs[len(recs)-1].Seq
	}
	if err := s.verifyPage(ctx, after, recs); err != nil {
		d.VerifyError = err.Error()
	} else {
		d.Verified = true
	}
	if r.URL.Query().Get("verify") == "all" {
		d.Full = s.verifyAll(ctx)
	}
	return s.render(w, http.StatusOK, "audit", s.newView(r, rq, rq.Lang, "audit", rq.Lang.T("nav.audit"), d))
}

// verifyPage checks one page of the chain. The first page goes to
// ledger.Verify as is; a later page is checked against the record just
// before it, whose hash must be the page's first Prev.
func (s *server) verifyPage(ctx context.Context, after int64, recs []ledger.Record) error {
	if after == 0 {
		return ledger.Verify(recs)
	}
	anchor, err := s.cfg.Store.AuditRecords(ctx, after-1, 1)
	if err != nil {
		return fmt.Errorf("read record %d: %w", after, err)
	}
	if len(anchor) != 1 || anchor[0].Seq != after {
		return fmt.Errorf("record %d is missing", after)
	}
	prev := anchor[0]
	if prev.ComputeHash() != prev.Hash {
		return &ledger.Error{Seq: prev.Seq, Reason: "hash does not match the record's content"}
	}
	for _, r := range recs {
		switch {
		case r.Seq != prev.Seq+1:
			return &ledger.Error{Seq: prev.Seq + 1, Reason: fmt.Sprintf("found seq %d (record missing, inserted or out of order)", r.Seq)}
		case r.Prev != prev.Hash:
			return &ledger.Error{Seq: r.Seq, Reason: "prev does not match the hash of the previous record"}
		case r.ComputeHash() != r.Hash:
			return &ledger.Error{Seq: r.Seq, Reason: "hash does not match the record's content"}
		}
		prev = r
	}
	return nil
}

// verifyBatch is how many records verifyAll reads at a time.
const verifyBatch = 1000

// verifyAll streams the whole chain from genesis through ledger.VerifyStream.
func (s *server) verifyAll(ctx context.Context) *fullCheck {
	var (
		buf   []ledger.Record
		after int64
		done  bool
	)
	next := func() (ledger.Record, bool, error) {
		if len(buf) == 0 && !done {
			recs, err := s.cfg.Store.AuditRecords(ctx, after, verifyBatch)
			if err != nil {
				return ledger.Record{}, false, err
			}
			buf, done = recs, len(recs) < verifyBatch
			if len(recs) > 0 {
				after = recs[len(recs)-1].Seq
			}
		}
		if len(buf) == 0 {
			return ledger.Record{}, false, nil
		}
		r := buf[0]
		buf = buf[1:]
		return r, true, nil
	}
	n, head, err := ledger.VerifyStream(next)
	fc := &fullCheck{Records: n, Head: head}
	if err != nil {
		fc.Error = err.Error()
	}
	return fc
}

// lastAuditSeq finds the newest record's sequence number with a few
// one-record reads: records are numbered 1, 2, 3… without gaps, so an
// exponential then binary search over "does record n exist" finds the end.
func (s *server) lastAuditSeq(ctx context.Context) (int64, error) {
	exists := func(seq int64) (bool, error) {
		recs, err := s.cfg.Store.AuditRecords(ctx, seq-1, 1)
		if err != nil {
			return false, fmt.Errorf("audit record %d: %w", seq, err)
		}
		return len(recs) == 1, nil
	}
	lo, hi := int64(0), int64(1) // record lo exists (or lo is 0); find a missing hi
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
