package fed

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/pki"
	"github.com/shuan-dev/shuan/sqlstore"
)

// MaxSkew is how far in the future an envelope's issued_at may lie.
const MaxSkew = 10 * time.Minute

// maxBatch bounds the envelopes in one push.
const maxBatch = 200

// Server answers a node's children: enrolment, envelopes pushed up, the
// downward feed they pull, and certificate renewal.
type Server struct {
	DB        *sqlstore.DB
	SelfID    string
	SignKey   *sm2.PrivateKey
	Authority *pki.Authority     // the CA this node enrols children with; nil at an enterprise
	Roots     *x509.CertPool     // the ministry root
	Revoked   *pki.RevocationSet // certificates revoked anywhere above or by this node
	LeafTTL   time.Duration      // lifetime of issued leaf certificates
	Now       func() time.Time
	Log       *slog.Logger
	// Pushed is called after an envelope was queued for the parent, to wake
	// the outbox pusher; may be nil.
	Pushed func()

	keys sync.Map // node id + cert digest -> *ecdsa.PublicKey
	Down *Notifier
}

// Notifier wakes long-polls when the downward feed grows in this process.
type Notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// NewNotifier returns a ready notifier.
func NewNotifier() *Notifier { return &Notifier{ch: make(chan struct{})} }

// Wait returns a channel closed at the next Notify.
func (n *Notifier) Wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

// Notify wakes every waiter.
func (n *Notifier) Notify() {
	n.mu.Lock()
	close(n.ch)
	n.ch = make(chan struct{})
	n.mu.Unlock()
}

// Handler returns the federation API, to be served behind pki.ServerConfig.
func (s *Server) Handler() http.Handler {
	if s.Down == nil {
		s.Down = NewNotifier()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /fed/v1/enroll", s.handleEnroll)
	mux.HandleFunc("POST /fed/v1/envelopes", s.handleEnvelopes)
	mux.HandleFunc("GET /fed/v1/down", s.handleDown)
	mux.HandleFunc("POST /fed/v1/renew", s.handleRenew)
	mux.HandleFunc("GET /fed/v1/ping", func(w http.ResponseWriter, r *http.Request) {
		httpapi.JSON(w, http.StatusOK, map[string]string{"node": s.SelfID})
	})
	return mux
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, s.Log, err)
}

// peer returns the verified identity of the calling child node.
func (s *Server) peer(r *http.Request) (pki.Identity, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return pki.Identity{}, shuan.Errorf(shuan.EUNAUTHORIZED, "a client certificate issued under the ministry root is required")
	}
	id, _, err := pki.PeerIdentity(r.TLS)
	if err != nil {
		return pki.Identity{}, shuan.Errorf(shuan.EUNAUTHORIZED, "client certificate: %v", err)
	}
	n, err := s.DB.FindNode(r.Context(), id.NodeID)
	if err != nil {
		if shuan.ErrorCode(err) == shuan.ENOTFOUND {
			return id, shuan.Errorf(shuan.EFORBIDDEN, "node %s is not known here", id.NodeID)
		}
		return id, err
	}
	if !n.Revoked.IsZero() {
		return id, shuan.Errorf(shuan.EFORBIDDEN, "node %s was revoked at %s", id.NodeID, n.Revoked.Format(time.RFC3339))
	}
	if n.ParentID != s.SelfID {
		return id, shuan.Errorf(shuan.EFORBIDDEN, "node %s is not a child of this node", id.NodeID)
	}
	return id, nil
}

// PushRequest is a batch of envelopes pushed up, each as stored verbatim.
type PushRequest struct {
	Envelopes []json.RawMessage `json:"envelopes"`
}

// PushResponse has one receipt per pushed envelope, in order.
type PushResponse struct {
	Receipts []shuan.Receipt `json:"receipts"`
}

func (s *Server) handleEnvelopes(w http.ResponseWriter, r *http.Request) {
	peer, err := s.peer(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req PushRequest
	if err := decodeBody(w, r, &req, int64(maxBatch)*(shuan.MaxBodyBytes/16)+shuan.MaxBodyBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Envelopes) == 0 || len(req.Envelopes) > maxBatch {
		s.fail(w, r, shuan.Errorf(shuan.EINVALID, "a push carries 1 to %d envelopes, got %d", maxBatch, len(req.Envelopes)))
		return
	}
	raws := make([][]byte, len(req.Envelopes))
	for i, raw := range req.Envelopes {
		raws[i] = raw
	}
	httpapi.JSON(w, http.StatusOK, PushResponse{Receipts: s.ReceiveBatch(r.Context(), peer.NodeID, raws)})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return shuan.Errorf(shuan.ETOOLARGE, "request body exceeds %d bytes", limit)
		}
		return shuan.Errorf(shuan.EINVALID, "malformed request body: %v", err)
	}
	return nil
}

// Receive verifies one envelope handed over by peer and applies it exactly
// once; see ReceiveBatch.
func (s *Server) Receive(ctx context.Context, peer string, raw []byte) shuan.Receipt {
	return s.ReceiveBatch(ctx, peer, [][]byte{raw})[0]
}

// ReceiveBatch verifies envelopes handed over by peer and applies each
// exactly once: stored verbatim, its effect applied and, where the kind
// travels on, queued for this node's parent, in one transaction. The batch
// is applied in a single transaction; if that fails, each envelope is
// applied in its own, so that one bad envelope cannot hold up the others.
func (s *Server) ReceiveBatch(ctx context.Context, peer string, raws [][]byte) []shuan.Receipt {
	now := s.Now().UTC()
	rcs := make([]shuan.Receipt, len(raws))
	type item struct {
		i   int
		e   shuan.Envelope
		raw []byte
	}
	var ok []item
	for i, raw := range raws {
		e, err := s.check(ctx, peer, raw, now)
		rcs[i] = shuan.Receipt{EnvelopeID: e.ID, Receiver: s.SelfID, At: now}
		if err != nil {
			rcs[i].Status, rcs[i].Reason = shuan.ReceiptRejected, shuan.ErrorMessage(err)
			if shuan.ErrorCode(err) == shuan.EINTERNAL {
				s.Log.Error("receive envelope", "id", e.ID, "err", err)
				rcs[i].Status, rcs[i].Reason = "", "internal error while checking; retry later"
			}
			continue
		}
		ok = append(ok, item{i, e, raw})
	}
	statuses := make([]string, len(ok))
	err := s.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		for j, it := range ok {
			st, err := s.apply(ctx, tx, peer, it.e, it.raw, now)
			if err != nil {
				return err
			}
			statuses[j] = st
		}
		return nil
	})
	errs := make([]error, len(ok))
	if err != nil && len(ok) > 1 {
		for j, it := range ok {
			errs[j] = s.DB.Tx(ctx, func(tx *sqlstore.Store) error {
				st, err := s.apply(ctx, tx, peer, it.e, it.raw, now)
				statuses[j] = st
				return err
			})
		}
	} else if err != nil {
		errs[0] = err
	}
	forwarded := false
	for j, it := range ok {
		rc := &rcs[it.i]
		switch err := errs[j]; {
		case err != nil:
			rc.Status, rc.Reason = shuan.ReceiptRejected, shuan.ErrorMessage(err)
			if shuan.ErrorCode(err) == shuan.EINTERNAL {
				s.Log.Error("apply envelope", "id", it.e.ID, "kind", it.e.Kind, "err", err)
				rc.Status, rc.Reason = "", "internal error while applying; retry later" // not a verdict: the sender retries
			}
		default:
			rc.Status = statuses[j]
			forwarded = forwarded || (rc.Status == shuan.ReceiptAccepted && kinds[it.e.Kind].forward)
		}
	}
	if forwarded && s.Pushed != nil {
		s.Pushed()
	}
	for i := range rcs {
		rcs[i] = s.signReceipt(rcs[i])
	}
	return rcs
}

// apply stores and applies one checked envelope inside tx and returns the
// receipt status: accepted, or duplicate when it was applied before.
func (s *Server) apply(ctx context.Context, tx *sqlstore.Store, peer string, e shuan.Envelope, raw []byte, now time.Time) (string, error) {
	k := kinds[e.Kind]
	if !k.ephemeral {
		ins, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin,
			From: peer, IssuedAt: e.IssuedAt, Received: now, Raw: raw})
		if err != nil {
			return "", err
		}
		if !ins {
			return shuan.ReceiptDuplicate, nil
		}
	}
	fwd, err := s.applyUp(ctx, tx, peer, e, raw, now)
	if err != nil {
		return "", err
	}
	if fwd && k.forward {
		if err := s.enqueueIfParent(ctx, tx, e, raw, now); err != nil {
			return "", err
		}
	}
	return shuan.ReceiptAccepted, nil
}

// check parses and authenticates an upward envelope from peer.
func (s *Server) check(ctx context.Context, peer string, raw []byte, now time.Time) (shuan.Envelope, error) {
	e, err := Parse(raw)
	if err != nil {
		return e, err
	}
	if kinds[e.Kind].dir != up {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: kind %s does not travel upward", e.ID, e.Kind)
	}
	if e.IssuedAt.After(now.Add(MaxSkew)) {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: issued_at %s lies in the future", e.ID, e.IssuedAt.Format(time.RFC3339))
	}
	if e.Origin != peer {
		ok, err := s.DB.IsDescendant(ctx, peer, e.Origin)
		if err != nil {
			return e, err
		}
		if !ok {
			return e, shuan.Errorf(shuan.EFORBIDDEN, "envelope %s: origin %s is neither the sending node nor one of its descendants", e.ID, e.Origin)
		}
	}
	if e.Kind == shuan.KindHeartbeat && e.Origin != peer {
		return e, shuan.Errorf(shuan.EFORBIDDEN, "envelope %s: heartbeats are not relayed", e.ID)
	}
	pub, err := s.publicKey(ctx, e.Origin)
	if err != nil {
		return e, err
	}
	return e, Verify(e, pub)
}

// publicKey returns the SM2 key bound to a node's certificate.
func (s *Server) publicKey(ctx context.Context, nodeID string) (*ecdsa.PublicKey, error) {
	n, err := s.DB.FindNode(ctx, nodeID)
	if err != nil {
		if shuan.ErrorCode(err) == shuan.ENOTFOUND {
			return nil, shuan.Errorf(shuan.EFORBIDDEN, "origin %s is not a registered node", nodeID)
		}
		return nil, err
	}
	return signKeyOf(&s.keys, n)
}

func signKeyOf(cache *sync.Map, n shuan.Node) (*ecdsa.PublicKey, error) {
	ck := n.ID + ":" + gm.HexSum([]byte(n.CertPEM))
	if v, ok := cache.Load(ck); ok {
		return v.(*ecdsa.PublicKey), nil
	}
	certs, err := pki.ParseCertsPEM([]byte(n.CertPEM))
	if err != nil || len(certs) == 0 {
		return nil, shuan.Errorf(shuan.EFORBIDDEN, "node %s has no usable certificate on record", n.ID)
	}
	id, err := pki.IdentityOf(certs[0])
	if err != nil {
		return nil, shuan.Errorf(shuan.EFORBIDDEN, "node %s certificate: %v", n.ID, err)
	}
	pub, err := gm.ParsePublicKey(id.SignKey)
	if err != nil {
		return nil, shuan.Errorf(shuan.EFORBIDDEN, "node %s signing key: %v", n.ID, err)
	}
	cache.Store(ck, pub)
	return pub, nil
}

// applyUp applies an upward envelope; it reports whether it should be forwarded.
func (s *Server) applyUp(ctx context.Context, tx *sqlstore.Store, peer string, e shuan.Envelope, raw []byte, now time.Time) (bool, error) {
	k := kinds[e.Kind]
	if k.up == nil {
		return false, shuan.Errorf(shuan.EINVALID, "envelope %s: kind %s cannot be applied here", e.ID, e.Kind)
	}
	return k.up(ctx, Up{S: s, Tx: tx, Peer: peer, E: e, Raw: raw, Now: now})
}

func upHeartbeat(ctx context.Context, u Up) (bool, error) {
	tx, e, now := u.Tx, u.E, u.Now
	var hb Heartbeat
	if err := strictJSON(e.Body, &hb); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "heartbeat %s: %v", e.ID, err)
	}
	if err := tx.TouchNode(ctx, e.Origin, now, hb.Health); err != nil {
		return false, err
	}
	for _, c := range hb.Children {
		ok, err := tx.IsDescendant(ctx, e.Origin, c.ID)
		if err != nil {
			return false, err
		}
		if ok && !c.LastSeen.IsZero() {
			if err := tx.TouchNode(ctx, c.ID, minTime(c.LastSeen, now), c.Health); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

func upNodeRegistered(ctx context.Context, u Up) (bool, error) {
	tx, e, now := u.Tx, u.E, u.Now
	var nr NodeRegistered
	if err := strictJSON(e.Body, &nr); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "node_registered %s: %v", e.ID, err)
	}
	n, err := u.S.verifyRegistered(nr, e.Origin, now)
	if err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "node_registered %s: %v", e.ID, shuan.ErrorMessage(err))
	}
	if err := tx.UpsertNode(ctx, n); err != nil {
		return false, err
	}
	_, err = tx.AppendAudit(ctx, now, "node:"+e.Origin, "node.registered", n.ID, n.Name)
	return true, err
}

func upProbe(ctx context.Context, u Up) (bool, error) {
	var p Probe
	if err := strictJSON(u.E.Body, &p); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "probe %s: %v", u.E.ID, err)
	}
	_, err := u.Tx.AppendAudit(ctx, u.Now, "node:"+u.E.Origin, "fed.probe", u.E.ID, strconv.FormatInt(p.Seq, 10))
	return true, err
}

func upNoticeStatus(ctx context.Context, u Up) (bool, error) {
	tx, e := u.Tx, u.E
	var st NoticeStatusBody
	if err := strictJSON(e.Body, &st); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "notice_status %s: %v", e.ID, err)
	}
	if shuan.NoticeRank(st.Status) == 0 {
		return false, shuan.Errorf(shuan.EINVALID, "notice_status %s: unknown status %q", e.ID, st.Status)
	}
	n, err := tx.FindNotice(ctx, st.NoticeID)
	if err != nil {
		if shuan.ErrorCode(err) == shuan.ENOTFOUND {
			return false, shuan.Errorf(shuan.EINVALID, "notice_status %s: unknown notice %s", e.ID, st.NoticeID)
		}
		return false, err
	}
	if err := tx.SetNoticeStatus(ctx, shuan.NoticeStatus{NoticeID: st.NoticeID, NodeID: e.Origin, Status: st.Status, By: st.By, At: st.At}); err != nil {
		return false, err
	}
	return n.Origin != u.S.SelfID, nil
}

// verifyRegistered checks that a reported node's certificate chains to the
// ministry root through the reporting province, and returns the node as
// described by its certificate.
func (s *Server) verifyRegistered(nr NodeRegistered, origin string, now time.Time) (shuan.Node, error) {
	certs, err := pki.ParseCertsPEM([]byte(nr.ChainPEM))
	if err != nil || len(certs) == 0 {
		return shuan.Node{}, shuan.Errorf(shuan.EINVALID, "chain_pem holds no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: s.Roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return shuan.Node{}, shuan.Errorf(shuan.EINVALID, "certificate does not chain to the ministry root: %v", err)
	}
	id, err := pki.IdentityOf(certs[0])
	if err != nil {
		return shuan.Node{}, shuan.Errorf(shuan.EINVALID, "certificate identity: %v", err)
	}
	if id.ParentID != origin {
		return shuan.Node{}, shuan.Errorf(shuan.EINVALID, "node %s was issued by %s, not by the reporting node %s", id.NodeID, id.ParentID, origin)
	}
	n := nr.Node
	if n.ID != id.NodeID || string(n.Role) != id.Role || n.ParentID != id.ParentID {
		return shuan.Node{}, shuan.Errorf(shuan.EINVALID, "node fields do not match its certificate")
	}
	n.Name, n.Region, n.Industry = id.Name, id.Region, id.Industry
	n.CertPEM = string(pemOf(certs[0]))
	n.LastSeen, n.Health = time.Time{}, shuan.Health{}
	return n, n.Validate()
}

func (s *Server) enqueueIfParent(ctx context.Context, tx *sqlstore.Store, e shuan.Envelope, raw []byte, now time.Time) error {
	self, err := tx.FindNode(ctx, s.SelfID)
	if err != nil {
		return err
	}
	if self.ParentID == "" {
		return nil
	}
	return tx.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: e.ID, Kind: e.Kind, Raw: raw, State: shuan.OutboxPending,
		NextAttempt: now, Created: now})
}

func (s *Server) signReceipt(rc shuan.Receipt) shuan.Receipt {
	rc.Sig = ""
	in, err := CanonicalOf(rc)
	if err == nil {
		if sig, err := gm.Sign(s.SignKey, in); err == nil {
			rc.Sig = base64.StdEncoding.EncodeToString(sig)
		}
	}
	return rc
}

// PullResponse is one page of the downward feed for the calling child.
type PullResponse struct {
	Items []PullItem `json:"items"`
	Next  int64      `json:"next"` // cursor for the next pull
}

// PullItem is one envelope of the downward feed.
type PullItem struct {
	Seq      int64           `json:"seq"`
	Envelope json.RawMessage `json:"envelope"`
}

func (s *Server) handleDown(w http.ResponseWriter, r *http.Request) {
	peer, err := s.peer(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if err != nil && r.URL.Query().Get("after") != "" {
		s.fail(w, r, shuan.Errorf(shuan.EINVALID, "after must be an integer"))
		return
	}
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	wait = min(max(wait, 0), 30*time.Second)
	child, err := s.DB.FindNode(r.Context(), peer.NodeID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		woke := s.Down.Wait()
		items, err := s.DB.DownSince(r.Context(), after, 200)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resp := PullResponse{Next: after, Items: []PullItem{}}
		for _, it := range items {
			resp.Next = it.Seq
			reach := it.Target.Matches(child)
			if child.Role == shuan.RoleProvince {
				reach = it.Target.Reaches(child)
			}
			if reach {
				resp.Items = append(resp.Items, PullItem{Seq: it.Seq, Envelope: it.Raw})
			}
		}
		if len(resp.Items) > 0 || len(items) == 200 {
			httpapi.JSON(w, http.StatusOK, resp)
			return
		}
		after = resp.Next
		select {
		case <-woke:
		case <-time.After(2 * time.Second): // rows written by another process (CLI)
		case <-deadline.C:
			httpapi.JSON(w, http.StatusOK, resp)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// PublishDown appends an envelope to this node's downward feed and wakes the
// long-polls waiting on it.
func (s *Server) PublishDown(ctx context.Context, tx *sqlstore.Store, e shuan.Envelope, raw []byte, t shuan.Target, now time.Time) error {
	_, err := tx.AppendDown(ctx, shuan.DownItem{EnvelopeID: e.ID, Kind: e.Kind, Target: t, Raw: raw, Created: now})
	return err
}

// RenewRequest asks for a fresh leaf certificate for the caller's identity.
type RenewRequest struct {
	CSR   []byte   `json:"csr"`
	Hosts []string `json:"hosts,omitempty"`
}

// RenewResponse carries the renewed leaf certificate.
type RenewResponse struct {
	CertPEM string `json:"cert_pem"`
}

func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	peer, err := s.peer(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.Authority == nil {
		s.fail(w, r, shuan.Errorf(shuan.EFORBIDDEN, "this node issues no certificates"))
		return
	}
	var req RenewRequest
	if err := decodeBody(w, r, &req, 64<<10); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkHosts(req.Hosts); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Now()
	cert, err := s.Authority.IssueLeaf(req.CSR, peer, req.Hosts, now, s.LeafTTL)
	if err != nil {
		s.fail(w, r, shuan.Errorf(shuan.EINVALID, "renew: %v", err))
		return
	}
	err = s.DB.Tx(r.Context(), func(tx *sqlstore.Store) error {
		n, err := tx.FindNode(r.Context(), peer.NodeID)
		if err != nil {
			return err
		}
		n.CertPEM = string(cert)
		if err := tx.UpsertNode(r.Context(), n); err != nil {
			return err
		}
		_, err = tx.AppendAudit(r.Context(), now, "node:"+peer.NodeID, "node.renew", peer.NodeID, "")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, RenewResponse{CertPEM: string(cert)})
}

func checkHosts(hosts []string) error {
	if len(hosts) > 16 {
		return shuan.Errorf(shuan.EINVALID, "at most 16 host names, got %d", len(hosts))
	}
	for _, h := range hosts {
		if h == "" || len(h) > 253 || strings.ContainsAny(h, " /\\@*") {
			return shuan.Errorf(shuan.EINVALID, "host %q is not a valid DNS name or IP address", h)
		}
	}
	return nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after body")
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
