package fed

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/sqlstore"
)

// Settings keys kept by the agent.
const settingDownCursor = "fed.down_cursor"

// Agent is the child side of the federation: it pushes the outbox up, pulls
// the parent's downward feed, and sends heartbeats. It initiates every
// connection.
type Agent struct {
	DB        *sqlstore.DB
	SelfID    string
	SignKey   *sm2.PrivateKey
	Client    *Client
	Relay     *Server // this node's own server, to relay downward; nil at an enterprise
	Now       func() time.Time
	Log       *slog.Logger
	Version   string
	Started   time.Time
	Heartbeat time.Duration // interval; 0 means 30 s
	PullWait  time.Duration // long-poll wait; 0 means 25 s
	// CheckPack compiles a rule pack received from above before it is kept;
	// nil accepts any pack whose digest verifies.
	CheckPack func(name string, content []byte) error
	// RulePacks describes the rule packs the node runs, for heartbeats; may be nil.
	RulePacks func() string
	// Retry bounds the outbox backoff: first retry after Retry.Base, doubling
	// up to Retry.Max, each with jitter. Zero values mean 1 s and 5 min.
	Retry struct{ Base, Max time.Duration }

	once sync.Once
	wake chan struct{}
	keys sync.Map
}

func (a *Agent) init() {
	a.once.Do(func() { a.wake = make(chan struct{}, 1) })
}

// Wake asks the pusher to look at the outbox now.
func (a *Agent) Wake() {
	a.init()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Run pushes, pulls and beats until ctx ends.
func (a *Agent) Run(ctx context.Context) {
	a.init()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); a.pushLoop(ctx) }()
	go func() { defer wg.Done(); a.pullLoop(ctx) }()
	go func() { defer wg.Done(); a.beatLoop(ctx) }()
	wg.Wait()
}

func (a *Agent) pushLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		for {
			n, err := a.PushOnce(ctx)
			if err != nil && ctx.Err() == nil {
				a.Log.Warn("push to parent", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-tick.C:
		}
	}
}

// PushOnce sends one batch of due outbox items and records the receipts. It
// returns how many items were settled (delivered or rejected).
func (a *Agent) PushOnce(ctx context.Context) (int, error) {
	now := a.Now()
	items, err := a.DB.DueOutbox(ctx, now, maxBatch)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	raws := make([][]byte, len(items))
	for i, it := range items {
		raws[i] = it.Raw
	}
	receipts, perr := a.Client.Push(ctx, raws)
	settled := 0
	err = a.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		settled = 0
		for i, it := range items {
			var err error
			switch {
			case perr != nil:
				err = a.retry(ctx, tx, it, perr.Error())
			case receipts[i].Status == shuan.ReceiptAccepted || receipts[i].Status == shuan.ReceiptDuplicate:
				rb, _ := json.Marshal(receipts[i])
				err = tx.MarkDelivered(ctx, it.EnvelopeID, a.Now(), rb)
				settled++
			case receipts[i].Status == shuan.ReceiptRejected:
				a.Log.Warn("parent rejected envelope", "id", it.EnvelopeID, "kind", it.Kind, "reason", receipts[i].Reason)
				err = tx.MarkRejected(ctx, it.EnvelopeID, a.Now(), receipts[i].Reason)
				settled++
			default:
				err = a.retry(ctx, tx, it, receipts[i].Reason)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return settled, perr
}

func (a *Agent) retry(ctx context.Context, tx *sqlstore.Store, it shuan.OutboxItem, reason string) error {
	return tx.MarkRetry(ctx, it.EnvelopeID, it.Attempts+1, a.Now().Add(a.Backoff(it.Attempts+1)), reason)
}

// Backoff is the wait before attempt n (n ≥ 1): exponential, capped, with
// jitter between half and the full value so that children do not retry in step.
func (a *Agent) Backoff(n int) time.Duration {
	base, maxd := a.Retry.Base, a.Retry.Max
	if base <= 0 {
		base = time.Second
	}
	if maxd <= 0 {
		maxd = 5 * time.Minute
	}
	d := base
	for i := 1; i < n && d < maxd; i++ {
		d *= 2
	}
	d = min(d, maxd)
	return d/2 + rand.N(d/2+1)
}

func (a *Agent) beatLoop(ctx context.Context) {
	every := a.Heartbeat
	if every <= 0 {
		every = 30 * time.Second
	}
	for {
		if err := a.SendHeartbeat(ctx); err != nil && ctx.Err() == nil {
			a.Log.Debug("heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// SendHeartbeat reports this node's health and its children's last-seen state.
func (a *Agent) SendHeartbeat(ctx context.Context) error {
	st, err := a.DB.OutboxStats(ctx)
	if err != nil {
		return err
	}
	hb := Heartbeat{Health: shuan.Health{Version: a.Version, Uptime: int64(a.Now().Sub(a.Started).Seconds()), OutboxDepth: st.Pending}}
	if a.RulePacks != nil {
		hb.Health.RulePacks = a.RulePacks()
	}
	if a.Relay != nil {
		kids, err := a.DB.FindNodes(ctx, shuan.NodeFilter{Under: a.SelfID})
		if err != nil {
			return err
		}
		for _, k := range kids {
			if !k.LastSeen.IsZero() {
				hb.Children = append(hb.Children, ChildSeen{ID: k.ID, LastSeen: k.LastSeen, Health: k.Health})
			}
		}
	}
	_, raw, err := Seal(a.SignKey, a.SelfID, shuan.KindHeartbeat, hb, a.Now())
	if err != nil {
		return err
	}
	rc, err := a.Client.Push(ctx, [][]byte{raw})
	if err != nil {
		return err
	}
	if rc[0].Status != shuan.ReceiptAccepted {
		return errors.New("heartbeat " + rc[0].Status + ": " + rc[0].Reason)
	}
	return nil
}

func (a *Agent) pullLoop(ctx context.Context) {
	fails := 0
	for ctx.Err() == nil {
		wait := a.PullWait
		if wait <= 0 {
			wait = 25 * time.Second
		}
		if _, err := a.PullOnce(ctx, wait); err != nil {
			if ctx.Err() != nil {
				return
			}
			fails++
			a.Log.Debug("pull from parent", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(a.Backoff(fails)):
			}
			continue
		}
		fails = 0
	}
}

// PullOnce fetches one page of the downward feed and applies it; it returns
// how many envelopes were applied.
func (a *Agent) PullOnce(ctx context.Context, wait time.Duration) (int, error) {
	cur, err := a.DB.Setting(ctx, settingDownCursor)
	if err != nil {
		return 0, err
	}
	after, _ := strconv.ParseInt(cur, 10, 64)
	resp, err := a.Client.Pull(ctx, after, wait)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, it := range resp.Items {
		ok, err := a.applyDown(ctx, it)
		if err != nil {
			return applied, err
		}
		if ok {
			applied++
		}
	}
	if resp.Next > after {
		if err := a.DB.PutSetting(ctx, settingDownCursor, strconv.FormatInt(resp.Next, 10)); err != nil {
			return applied, err
		}
	}
	if applied > 0 {
		a.Wake()
		if a.Relay != nil && a.Relay.Down != nil {
			a.Relay.Down.Notify()
		}
	}
	return applied, nil
}

// applyDown verifies and applies one downward envelope exactly once. An
// envelope that fails verification is recorded in the audit log and skipped.
func (a *Agent) applyDown(ctx context.Context, it PullItem) (bool, error) {
	now := a.Now().UTC()
	e, err := Parse(it.Envelope)
	if err == nil && kinds[e.Kind].dir != down {
		err = shuan.Errorf(shuan.EINVALID, "kind %s does not travel downward", e.Kind)
	}
	if err == nil {
		var n shuan.Node
		if n, err = a.DB.FindNode(ctx, e.Origin); err == nil {
			var pub = a.keyOf(n)
			if pub == nil {
				err = shuan.Errorf(shuan.EINVALID, "origin %s has no usable signing key", e.Origin)
			} else {
				err = Verify(e, pub)
			}
		} else if shuan.ErrorCode(err) == shuan.ENOTFOUND {
			err = shuan.Errorf(shuan.EINVALID, "origin %s is not an ancestor known here", e.Origin)
		}
	}
	if err != nil {
		if shuan.ErrorCode(err) == shuan.EINTERNAL {
			return false, err
		}
		a.Log.Warn("refused downward envelope", "seq", it.Seq, "err", shuan.ErrorMessage(err))
		_, aerr := a.DB.AppendAudit(ctx, now, "system", "fed.down.refused", e.ID, shuan.ErrorMessage(err))
		return false, aerr
	}
	applied := false
	err = a.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		ins, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin,
			IssuedAt: e.IssuedAt, Received: now, Raw: it.Envelope})
		if err != nil || !ins {
			return err
		}
		applied = true
		self, err := tx.FindNode(ctx, a.SelfID)
		if err != nil {
			return err
		}
		k := kinds[e.Kind]
		if k.down == nil {
			return shuan.Errorf(shuan.EINVALID, "kind %s cannot be applied here", e.Kind)
		}
		return k.down(ctx, Down{A: a, Tx: tx, Self: self, E: e, Raw: it.Envelope, Now: now})
	})
	if err != nil && shuan.ErrorCode(err) == shuan.EINVALID {
		a.Log.Warn("refused downward envelope", "id", e.ID, "err", err)
		_, aerr := a.DB.AppendAudit(ctx, now, "system", "fed.down.refused", e.ID, shuan.ErrorMessage(err))
		return false, aerr
	}
	return applied, err
}

// report queues this node's status on a notice for the parent.
func (a *Agent) report(ctx context.Context, tx *sqlstore.Store, noticeID, status, by string, now time.Time) error {
	return ReportNotice(ctx, tx, a.SignKey, a.SelfID, noticeID, status, by, now)
}

// ReportNotice records this node's status on a notice and queues it upward.
func ReportNotice(ctx context.Context, tx *sqlstore.Store, key *sm2.PrivateKey, self, noticeID, status, by string, now time.Time) error {
	if err := tx.SetNoticeStatus(ctx, shuan.NoticeStatus{NoticeID: noticeID, NodeID: self, Status: status, By: by, At: now}); err != nil {
		return err
	}
	_, err := SendUp(ctx, tx, key, self, shuan.KindNoticeStatus, NoticeStatusBody{NoticeID: noticeID, Status: status, By: by, At: now}, now)
	return err
}

// SendUp seals an envelope of kind with body and queues it for the parent in
// tx; the serving agent pushes it.
func SendUp(ctx context.Context, tx *sqlstore.Store, key *sm2.PrivateKey, self, kind string, body any, now time.Time) (shuan.Envelope, error) {
	e, raw, err := Seal(key, self, kind, body, now)
	if err != nil {
		return e, err
	}
	return e, tx.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: e.ID, Kind: e.Kind, Raw: raw, State: shuan.OutboxPending,
		NextAttempt: now, Created: now})
}

func (a *Agent) keyOf(n shuan.Node) *ecdsa.PublicKey {
	k, err := signKeyOf(&a.keys, n)
	if err != nil {
		return nil
	}
	return k
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func downNotice(ctx context.Context, d Down) error {
	tx, e, now, a := d.Tx, d.E, d.Now, d.A
	var nb NoticeBody
	if err := strictJSON(e.Body, &nb); err != nil {
		return shuan.Errorf(shuan.EINVALID, "notice %s: %v", e.ID, err)
	}
	if err := tx.CreateNotice(ctx, shuan.Notice{ID: e.ID, Title: nb.Title, Body: nb.Body, Severity: nb.Severity,
		Target: nb.Target, Origin: e.Origin, Created: e.IssuedAt}); err != nil {
		return err
	}
	if nb.Target.Matches(d.Self) {
		if err := a.report(ctx, tx, e.ID, shuan.NoticeDelivered, "", now); err != nil {
			return err
		}
	}
	if a.Relay != nil && d.Self.Role == shuan.RoleProvince {
		if err := a.Relay.PublishDown(ctx, tx, e, d.Raw, nb.Target, now); err != nil {
			return err
		}
	}
	_, err := tx.AppendAudit(ctx, now, "node:"+e.Origin, "notice.received", e.ID, nb.Title)
	return err
}

func downRevocation(ctx context.Context, d Down) error {
	tx, e, now, a := d.Tx, d.E, d.Now, d.A
	var rb RevocationBody
	if err := strictJSON(e.Body, &rb); err != nil {
		return shuan.Errorf(shuan.EINVALID, "revocation %s: %v", e.ID, err)
	}
	if err := tx.PutSetting(ctx, "crl."+rb.IssuerID, string(mustJSON(rb))); err != nil {
		return err
	}
	if a.Relay != nil {
		if err := a.Relay.PublishDown(ctx, tx, e, d.Raw, shuan.Target{All: true}, now); err != nil {
			return err
		}
	}
	_, err := tx.AppendAudit(ctx, now, "node:"+e.Origin, "cert.revocation.received", rb.IssuerID, strconv.Itoa(len(rb.Revoked)))
	return err
}
