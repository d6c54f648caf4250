package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/pki"
	"github.com/shuan-dev/shuan/sqlstore"
)

// certHolder lets a renewed certificate replace the old one in live TLS configs.
type certHolder struct {
	p atomic.Pointer[tls.Certificate]
}

func (h *certHolder) set(c *tls.Certificate) { h.p.Store(c) }
func (h *certHolder) get() *tls.Certificate  { return h.p.Load() }

func pemBytes(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// ConsoleFunc builds the console handler of a node; the node runtime implements the
// console's actions. It is set by the command that wires the console.
type ConsoleFunc func(r *Runtime) (http.Handler, error)

// Serve runs the node until ctx ends: the federation listener (mutual TLS),
// the console listener, and, below the ministry, the agent that talks to the
// parent. ready, if not nil, is called once both listeners accept.
func (r *Runtime) Serve(ctx context.Context, console ConsoleFunc, ready func(fedAddr, consoleAddr string)) error {
	if !r.Enrolled() {
		return shuan.Errorf(shuan.EINVALID, "node %s is not enrolled yet: run 'shuan node enroll' first", r.Cfg.Name)
	}
	started := r.Now()
	r.srv = &fed.Server{DB: r.DB, SelfID: r.Cfg.ID, SignKey: r.SignKey, Authority: r.Authority, Roots: r.Roots,
		Revoked: r.Revoked, LeafTTL: r.IssueTTL, Now: r.Now, Log: r.Log, Down: fed.NewNotifier()}
	var agent *fed.Agent
	if r.Cfg.Parent != "" {
		cc := pki.ClientConfig(*r.cert.get(), r.Roots, r.Revoked)
		cc.Certificates = nil
		cc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return r.cert.get(), nil }
		agent = &fed.Agent{DB: r.DB, SelfID: r.Cfg.ID, SignKey: r.SignKey, Client: fed.NewClient(r.Cfg.Parent, cc),
			Now: r.Now, Log: r.Log, Version: r.Version, Started: started, Heartbeat: r.Cfg.heartbeat(),
			CheckPack: checkPack, RulePacks: r.rulePacksSummary}
		if r.Authority != nil {
			agent.Relay = r.srv
		}
		r.srv.Pushed = agent.Wake
		r.agent = agent
		defer func() { r.agent = nil }()
		defer agent.Client.Close()
	}
	sc := pki.ServerConfig(*r.cert.get(), r.Roots, r.Revoked)
	sc.Certificates = nil
	sc.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.cert.get(), nil }

	fl, err := net.Listen("tcp", r.Cfg.Listen)
	if err != nil {
		return fmt.Errorf("federation listener: %w", err)
	}
	fedSrv := &http.Server{Handler: r.srv.Handler(), TLSConfig: sc, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(r.Log.Handler(), slog.LevelDebug)}
	var consoleSrv *http.Server
	var cl net.Listener
	if console != nil && r.Cfg.Console != "" {
		h, err := console(r)
		if err != nil {
			fl.Close()
			return err
		}
		if cl, err = net.Listen("tcp", r.Cfg.Console); err != nil {
			fl.Close()
			return fmt.Errorf("console listener: %w", err)
		}
		consoleSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	}
	r.Log.Info("node serving", "role", r.Cfg.Role, "federation", fl.Addr().String(), "console", addrOf(cl))
	if _, err := r.DB.AppendAudit(ctx, started, "system", "node.start", r.Cfg.ID, r.Version); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := fedSrv.ServeTLS(fl, "", ""); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("federation server: %w", err)
		}
	}()
	if consoleSrv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := consoleSrv.Serve(cl); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("console server: %w", err)
			}
		}()
	}
	if agent != nil {
		wg.Add(1)
		go func() { defer wg.Done(); agent.Run(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); r.maintain(ctx, agent) }()
	wg.Add(1)
	go func() { defer wg.Done(); r.monitor(ctx) }()
	if ready != nil {
		ready(fl.Addr().String(), addrOf(cl))
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	fedSrv.Shutdown(sctx)
	if consoleSrv != nil {
		consoleSrv.Shutdown(sctx)
	}
	wg.Wait()
	return err
}

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// maintain reloads revocations and renews the certificate before it expires.
func (r *Runtime) maintain(ctx context.Context, agent *fed.Agent) {
	t := time.NewTicker(r.Maintain)
	defer t.Stop()
	for {
		if err := r.loadRevocations(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("reload revocations", "err", err)
		}
		if agent != nil {
			if err := r.renewIfDue(ctx, agent.Client); err != nil && ctx.Err() == nil {
				r.Log.Warn("certificate renewal", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// renewIfDue asks the parent for a new leaf when less than a third of the
// current one's lifetime remains.
func (r *Runtime) renewIfDue(ctx context.Context, c *fed.Client) error {
	cur := r.cert.get()
	leaf, err := x509.ParseCertificate(cur.Certificate[0])
	if err != nil || !pki.NeedsRenewal(leaf, r.Now()) {
		return err
	}
	id, err := pki.IdentityOf(leaf)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(r.Dir, fileTLSKey))
	if err != nil {
		return err
	}
	key, err := pki.ParseKeyPEM(keyPEM)
	if err != nil {
		return err
	}
	csr, err := pki.NewCSR(key, id, r.Cfg.Hosts)
	if err != nil {
		return err
	}
	certPEM, err := c.Renew(ctx, csr, r.Cfg.Hosts)
	if err != nil {
		return err
	}
	chain := []byte(certPEM)
	for _, der := range cur.Certificate[1:] {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	nc, err := tls.X509KeyPair(chain, keyPEM)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(r.Dir, fileTLSCert), chain, 0o600); err != nil {
		return err
	}
	r.cert.set(&nc)
	r.Log.Info("certificate renewed")
	_, err = r.DB.AppendAudit(ctx, r.Now(), "system", "cert.renewed", r.Cfg.ID, "")
	return err
}

// loadRevocations rebuilds the revocation set from this node's own
// revocations and the CRLs received from above.
func (r *Runtime) loadRevocations(ctx context.Context) error {
	if r.Authority != nil {
		revs, err := r.DB.Revocations(ctx)
		if err != nil {
			return err
		}
		if len(revs) > 0 {
			crl, err := r.ownCRL(revs)
			if err != nil {
				return err
			}
			if err := r.Revoked.Add(crl, r.Authority.Cert); err != nil {
				return err
			}
		}
	}
	if r.Roots == nil {
		return nil
	}
	anc, err := r.DB.FindNodes(ctx, shuan.NodeFilter{})
	if err != nil {
		return err
	}
	for _, n := range anc {
		v, err := r.DB.Setting(ctx, "crl."+n.ID)
		if err != nil || v == "" {
			continue
		}
		var rb fed.RevocationBody
		if json.Unmarshal([]byte(v), &rb) != nil {
			continue
		}
		issuer, err := r.issuerCert(n)
		if err != nil {
			continue
		}
		if err := r.Revoked.Add(rb.CRL, issuer); err != nil {
			r.Log.Warn("refused CRL", "issuer", n.Name, "err", err)
		}
	}
	return nil
}

// issuerCert returns the CA certificate of an ancestor that issues certificates.
func (r *Runtime) issuerCert(n shuan.Node) (*x509.Certificate, error) {
	certPEM, err := os.ReadFile(filepath.Join(r.Dir, fileTLSCert))
	if err != nil {
		return nil, err
	}
	certs, err := pki.ParseCertsPEM(certPEM)
	if err != nil {
		return nil, err
	}
	for _, c := range certs[1:] {
		if id, err := pki.IdentityOf(c); err == nil && id.NodeID == n.ID {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no CA certificate of %s in the chain", n.ID)
}

func (r *Runtime) ownCRL(revs []shuan.Revocation) ([]byte, error) {
	list := make([]pki.Revoked, 0, len(revs))
	for _, v := range revs {
		s, ok := new(big.Int).SetString(v.Serial, 10)
		if !ok {
			return nil, fmt.Errorf("revocation serial %q is not a number", v.Serial)
		}
		list = append(list, pki.Revoked{Serial: s, At: v.At, Reason: v.Reason})
	}
	// CRL numbers must only grow; the issue time in milliseconds does.
	return r.Authority.CRL(list, r.Now().UnixMilli(), r.Now(), 7*24*time.Hour)
}

// Revoke revokes a direct child's certificate, refuses it from now on and
// sends the new CRL down to every descendant.
func (r *Runtime) Revoke(ctx context.Context, nodeID, reason, by string) error {
	if r.Authority == nil {
		return shuan.Errorf(shuan.EINVALID, "this node issues no certificates")
	}
	n, err := r.DB.FindNode(ctx, nodeID)
	if err != nil {
		return err
	}
	if n.ParentID != r.Cfg.ID {
		return shuan.Errorf(shuan.EFORBIDDEN, "node %s was not enrolled by this node", nodeID)
	}
	certs, err := pki.ParseCertsPEM([]byte(n.CertPEM))
	if err != nil || len(certs) == 0 {
		return shuan.Errorf(shuan.EINVALID, "node %s has no certificate on record", nodeID)
	}
	now := r.Now().UTC()
	rev := shuan.Revocation{Serial: certs[0].SerialNumber.String(), NodeID: nodeID, At: now, Reason: reason}
	return r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if err := tx.RevokeNode(ctx, rev); err != nil {
			return err
		}
		revs, err := tx.Revocations(ctx)
		if err != nil {
			return err
		}
		crl, err := r.ownCRL(revs)
		if err != nil {
			return err
		}
		e, raw, err := fed.Seal(r.SignKey, r.Cfg.ID, shuan.KindRevocation, fed.RevocationBody{CRL: crl, IssuerID: r.Cfg.ID, Revoked: revs}, now)
		if err != nil {
			return err
		}
		if _, err := tx.AppendDown(ctx, shuan.DownItem{EnvelopeID: e.ID, Kind: e.Kind, Target: shuan.Target{All: true}, Raw: raw, Created: now}); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, by, "node.revoke", nodeID, reason)
		return err
	})
}

// Status is what `shuan node status` reports.
type Status struct {
	Self    shuan.Node        `json:"self"`
	Parent  string            `json:"parent,omitempty"`
	Outbox  shuan.OutboxStats `json:"outbox"`
	Subtree []StatusNode      `json:"subtree"`
}

// StatusNode is one descendant in a status report.
type StatusNode struct {
	shuan.Node
	Depth  int  `json:"depth"`
	Online bool `json:"online"`
}

// Status reports identity, parent, outbox depth and the subtree known here.
func (r *Runtime) Status(ctx context.Context) (Status, error) {
	self, err := r.Self(ctx)
	if err != nil {
		return Status{}, err
	}
	self.CertPEM = ""
	st := Status{Self: self, Parent: r.Cfg.Parent}
	if st.Outbox, err = r.DB.OutboxStats(ctx); err != nil {
		return st, err
	}
	nodes, err := r.DB.FindNodes(ctx, shuan.NodeFilter{Under: r.Cfg.ID})
	if err != nil {
		return st, err
	}
	depth := map[string]int{r.Cfg.ID: 0}
	now := r.Now()
	// FindNodes orders by role, so parents precede their children.
	for _, n := range nodes {
		n.CertPEM = ""
		d := depth[n.ParentID] + 1
		depth[n.ID] = d
		st.Subtree = append(st.Subtree, StatusNode{Node: n, Depth: d, Online: n.Online(now)})
	}
	return st, nil
}

// FormatAge renders how long ago t was, for people.
func FormatAge(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())) + "s ago"
	}
	return d.Round(time.Minute).String() + " ago"
}
