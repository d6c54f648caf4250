package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/auth"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/pki"
	"github.com/shuan-dev/shuan/sqlstore"
)

// Certificate lifetimes.
const (
	RootTTL = 10 * 365 * 24 * time.Hour
	LeafTTL = 365 * 24 * time.Hour
)

// Runtime is an opened node: configuration, keys and store.
type Runtime struct {
	Dir       string
	Cfg       Config
	DB        *sqlstore.DB
	SignKey   *sm2.PrivateKey
	Authority *pki.Authority // nil at an enterprise or before a province enrols
	Roots     *x509.CertPool // nil before enrolment
	Revoked   *pki.RevocationSet
	Log       *slog.Logger
	Now       func() time.Time
	Version   string
	// IssueTTL is the lifetime of certificates this node issues to children
	// (LeafTTL unless changed); Maintain is how often revocations are
	// reloaded and renewal is checked (10 s unless changed).
	IssueTTL time.Duration
	Maintain time.Duration

	cert  *certHolder
	srv   *fed.Server // set while serving
	agent *fed.Agent  // set while serving below the ministry
}

// InitOptions are the answers to `shuan node init`.
type InitOptions struct {
	Role     shuan.Role
	Name     string
	Region   string
	Industry string
	USCC     string
	Listen   string
	Console  string
	DB       string
	Hosts    []string
}

// Init creates a node's data directory: identity, keys and, at the ministry,
// the root CA. It refuses a directory that already holds a node.
func Init(ctx context.Context, dir string, o InitOptions, now time.Time) (shuan.Node, error) {
	if _, err := os.Stat(filepath.Join(dir, fileConfig)); err == nil {
		return shuan.Node{}, shuan.Errorf(shuan.ECONFLICT, "%s already holds a node; refusing to overwrite it", dir)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return shuan.Node{}, err
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:7443"
	}
	if o.Console == "" {
		o.Console = "127.0.0.1:8080"
	}
	if len(o.Hosts) == 0 {
		o.Hosts = defaultHosts(o.Listen)
	}
	cfg := Config{ID: id.String(), Name: o.Name, Role: o.Role, Region: o.Region, Industry: o.Industry, USCC: o.USCC,
		Listen: o.Listen, Console: o.Console, DB: o.DB, Hosts: o.Hosts, Created: now.UTC()}
	self := cfg.self()
	if err := self.Validate(); err != nil {
		return shuan.Node{}, err
	}
	if o.Role == shuan.RoleMinistry && o.Region != "" {
		return shuan.Node{}, shuan.Errorf(shuan.EINVALID, "the ministry node has no region")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return shuan.Node{}, fmt.Errorf("create data directory: %w", err)
	}
	sk, err := gm.GenerateKey()
	if err != nil {
		return shuan.Node{}, err
	}
	skPEM, err := gm.MarshalPrivateKeyPEM(sk)
	if err != nil {
		return shuan.Node{}, err
	}
	_, tlsKeyPEM, err := pki.NewKey()
	if err != nil {
		return shuan.Node{}, err
	}
	seal := make([]byte, 16)
	if _, err := rand.Read(seal); err != nil {
		return shuan.Node{}, err
	}
	files := map[string][]byte{fileSignKey: skPEM, fileTLSKey: tlsKeyPEM, fileSealKey: seal}
	if o.Role == shuan.RoleProvince {
		_, caKeyPEM, err := pki.NewKey()
		if err != nil {
			return shuan.Node{}, err
		}
		files[fileCAKey] = caKeyPEM
	}
	if o.Role == shuan.RoleMinistry {
		pub, err := gm.MarshalPublicKey(&sk.PublicKey)
		if err != nil {
			return shuan.Node{}, err
		}
		ident := pki.Identity{NodeID: cfg.ID, Role: string(cfg.Role), Name: cfg.Name, SignKey: pub}
		rootPEM, rootKeyPEM, err := pki.NewRoot(ident, now, RootTTL)
		if err != nil {
			return shuan.Node{}, fmt.Errorf("create root CA: %w", err)
		}
		ca, err := pki.LoadAuthority(rootPEM, rootKeyPEM, nil)
		if err != nil {
			return shuan.Node{}, err
		}
		key, err := pki.ParseKeyPEM(tlsKeyPEM)
		if err != nil {
			return shuan.Node{}, err
		}
		csr, err := pki.NewCSR(key, ident, cfg.Hosts)
		if err != nil {
			return shuan.Node{}, err
		}
		leaf, err := ca.IssueLeaf(csr, ident, cfg.Hosts, now, LeafTTL)
		if err != nil {
			return shuan.Node{}, fmt.Errorf("issue ministry leaf: %w", err)
		}
		files[fileCAKey], files[fileCACert], files[fileRoot] = rootKeyPEM, rootPEM, rootPEM
		files[fileTLSCert] = append(append([]byte{}, leaf...), rootPEM...)
		self.CertPEM = string(leaf)
		self.Enrolled = now.UTC()
	}
	for name, b := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), b, 0o600); err != nil {
			return shuan.Node{}, err
		}
	}
	db, err := sqlstore.Open(ctx, cfg.dsn(dir))
	if err != nil {
		return shuan.Node{}, fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	err = db.Tx(ctx, func(tx *sqlstore.Store) error {
		if err := tx.UpsertNode(ctx, self); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, now, "system", "node.init", self.ID, fmt.Sprintf("%s %s", self.Role, self.Name))
		return err
	})
	if err != nil {
		return shuan.Node{}, err
	}
	if err := writeConfig(dir, cfg); err != nil {
		return shuan.Node{}, err
	}
	return self, nil
}

func defaultHosts(listen string) []string {
	hosts := []string{"localhost", "127.0.0.1"}
	if h, _, ok := strings.Cut(listen, ":"); ok && h != "" && h != "localhost" && h != "127.0.0.1" && h != "0.0.0.0" {
		hosts = append(hosts, h)
	}
	return hosts
}

// Open loads the node in dir and opens its store.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Runtime, error) {
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	r := &Runtime{Dir: dir, Cfg: cfg, Log: log.With("node", cfg.Name), Now: time.Now, Revoked: pki.NewRevocationSet(),
		IssueTTL: LeafTTL, Maintain: 10 * time.Second}
	b, err := os.ReadFile(filepath.Join(dir, fileSignKey))
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	if r.SignKey, err = gm.ParsePrivateKeyPEM(b); err != nil {
		return nil, fmt.Errorf("%s: %w", fileSignKey, err)
	}
	if err := r.loadCerts(); err != nil {
		return nil, err
	}
	if r.DB, err = sqlstore.Open(ctx, cfg.dsn(dir)); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := r.loadRevocations(ctx); err != nil {
		r.DB.Close()
		return nil, err
	}
	return r, nil
}

// loadCerts loads the TLS leaf, the root and the CA, where present.
func (r *Runtime) loadCerts() error {
	rootPEM, err := os.ReadFile(filepath.Join(r.Dir, fileRoot))
	if errors.Is(err, os.ErrNotExist) {
		return nil // not enrolled yet
	} else if err != nil {
		return err
	}
	roots, err := pki.ParseCertsPEM(rootPEM)
	if err != nil || len(roots) == 0 {
		return fmt.Errorf("%s: no certificate", fileRoot)
	}
	r.Roots = x509.NewCertPool()
	r.Roots.AddCert(roots[0])
	certPEM, err := os.ReadFile(filepath.Join(r.Dir, fileTLSCert))
	if err != nil {
		return fmt.Errorf("read TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(r.Dir, fileTLSKey))
	if err != nil {
		return fmt.Errorf("read TLS key: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("%s: %w", fileTLSCert, err)
	}
	r.cert = &certHolder{}
	r.cert.set(&c)
	caPEM, err := os.ReadFile(filepath.Join(r.Dir, fileCACert))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	caKey, err := os.ReadFile(filepath.Join(r.Dir, fileCAKey))
	if err != nil {
		return fmt.Errorf("read CA key: %w", err)
	}
	certs, err := pki.ParseCertsPEM(caPEM)
	if err != nil || len(certs) == 0 {
		return fmt.Errorf("%s: no certificate", fileCACert)
	}
	var chain []byte
	for _, c := range certs[1:] {
		chain = append(chain, pemBytes(c)...)
	}
	r.Authority, err = pki.LoadAuthority(pemBytes(certs[0]), caKey, chain)
	return err
}

// Close closes the store.
func (r *Runtime) Close() error { return r.DB.Close() }

// Enrolled reports whether the node holds a certificate.
func (r *Runtime) Enrolled() bool { return r.cert != nil }

// Self returns this node as stored.
func (r *Runtime) Self(ctx context.Context) (shuan.Node, error) { return r.DB.FindNode(ctx, r.Cfg.ID) }

// Enroll joins the node to its parent with a one-time token.
func (r *Runtime) Enroll(ctx context.Context, parentURL, token string) error {
	if r.Cfg.Role == shuan.RoleMinistry {
		return shuan.Errorf(shuan.EINVALID, "the ministry has no parent to enrol with")
	}
	if r.Enrolled() {
		return shuan.Errorf(shuan.ECONFLICT, "node %s is already enrolled with %s", r.Cfg.Name, r.Cfg.Parent)
	}
	if !strings.HasPrefix(parentURL, "https://") {
		return shuan.Errorf(shuan.EINVALID, "parent must be an https:// URL, got %q", parentURL)
	}
	pub, err := gm.MarshalPublicKey(&r.SignKey.PublicKey)
	if err != nil {
		return err
	}
	ident := pki.Identity{NodeID: r.Cfg.ID, Role: string(r.Cfg.Role), Name: r.Cfg.Name, Region: r.Cfg.Region, Industry: r.Cfg.Industry, SignKey: pub}
	keyPEM, err := os.ReadFile(filepath.Join(r.Dir, fileTLSKey))
	if err != nil {
		return err
	}
	key, err := pki.ParseKeyPEM(keyPEM)
	if err != nil {
		return err
	}
	req := fed.EnrollRequest{Token: token, Node: r.Cfg.self(), SignKey: pub, Hosts: r.Cfg.Hosts}
	if req.CSR, err = pki.NewCSR(key, ident, r.Cfg.Hosts); err != nil {
		return err
	}
	if req.SignProof, err = gm.Sign(r.SignKey, fed.ProofInput(token, req.CSR)); err != nil {
		return err
	}
	var caKeyPEM []byte
	if r.Cfg.Role == shuan.RoleProvince {
		if caKeyPEM, err = os.ReadFile(filepath.Join(r.Dir, fileCAKey)); err != nil {
			return err
		}
		caKey, err := pki.ParseKeyPEM(caKeyPEM)
		if err != nil {
			return err
		}
		if req.CACSR, err = pki.NewCSR(caKey, ident, nil); err != nil {
			return err
		}
	}
	resp, err := fed.Enroll(ctx, parentURL, req)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		fileTLSCert: []byte(resp.CertPEM + resp.ChainPEM),
		fileRoot:    []byte(resp.RootPEM),
	}
	if resp.CACertPEM != "" {
		files[fileCACert] = []byte(resp.CACertPEM + resp.ChainPEM)
	}
	now := r.Now()
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		self := resp.Node
		self.CertPEM = resp.CertPEM
		if err := tx.UpsertNode(ctx, self); err != nil {
			return err
		}
		for _, a := range resp.Ancestors {
			if err := tx.UpsertNode(ctx, a); err != nil {
				return err
			}
		}
		_, err := tx.AppendAudit(ctx, now, "system", "node.enrolled", self.ID, "parent "+parentURL)
		return err
	})
	if err != nil {
		return err
	}
	for name, b := range files {
		if err := writeFileAtomic(filepath.Join(r.Dir, name), b, 0o600); err != nil {
			return err
		}
	}
	r.Cfg.Parent = parentURL
	r.Cfg.Region = resp.Node.Region
	if err := writeConfig(r.Dir, r.Cfg); err != nil {
		return err
	}
	return r.loadCerts()
}

// NewToken creates a one-time enrolment token for a child, valid for ttl.
func (r *Runtime) NewToken(ctx context.Context, ttl time.Duration, by string) (string, shuan.Token, error) {
	child := r.Cfg.Role.ChildRole()
	if child == "" {
		return "", shuan.Token{}, shuan.Errorf(shuan.EINVALID, "an %s node enrols no children", r.Cfg.Role)
	}
	if r.Authority == nil || r.Roots == nil {
		return "", shuan.Token{}, shuan.Errorf(shuan.EINVALID, "this node must be enrolled before it can enrol children")
	}
	if ttl <= 0 || ttl > 30*24*time.Hour {
		return "", shuan.Token{}, shuan.Errorf(shuan.EINVALID, "token lifetime must be between 1s and 720h, got %s", ttl)
	}
	rootPEM, err := os.ReadFile(filepath.Join(r.Dir, fileRoot))
	if err != nil {
		return "", shuan.Token{}, err
	}
	roots, err := pki.ParseCertsPEM(rootPEM)
	if err != nil {
		return "", shuan.Token{}, err
	}
	now := r.Now()
	s, t, err := fed.NewToken(pki.Fingerprint(roots[0]), child, now, ttl, by)
	if err != nil {
		return "", shuan.Token{}, err
	}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, now, by, "token.create", t.ID, fmt.Sprintf("role=%s expires=%s", child, t.Expires.Format(time.RFC3339)))
		return err
	})
	return s, t, err
}

// AddUser creates a console account. An empty password is generated and returned.
func (r *Runtime) AddUser(ctx context.Context, name string, role shuan.UserRole, password, by string) (shuan.User, string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return shuan.User{}, "", err
	}
	u := shuan.User{ID: id.String(), Name: name, Role: role, Created: r.Now().UTC()}
	if err := u.Validate(); err != nil {
		return u, "", err
	}
	if password == "" {
		password = auth.GeneratePassword()
	} else if len(password) < 10 {
		return u, "", shuan.Errorf(shuan.EINVALID, "password must have at least 10 characters")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return u, "", err
	}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if err := tx.CreateUser(ctx, u, hash); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, u.Created, by, "user.add", u.Name, string(u.Role))
		return err
	})
	return u, password, err
}

// SendNotice signs a notice and publishes it on this node's downward feed.
func (r *Runtime) SendNotice(ctx context.Context, by shuan.User, n shuan.Notice) (shuan.Notice, error) {
	if r.Cfg.Role == shuan.RoleEnterprise {
		return n, shuan.Errorf(shuan.EFORBIDDEN, "an enterprise node sends no notices downward")
	}
	if by.ID != "" && !by.Role.Can(shuan.PermSendNotice) {
		return n, shuan.Errorf(shuan.EFORBIDDEN, "user %s may not send notices", by.Name)
	}
	if err := n.Validate(); err != nil {
		return n, err
	}
	now := r.Now().UTC()
	e, raw, err := fed.Seal(r.SignKey, r.Cfg.ID, shuan.KindNotice,
		fed.NoticeBody{Title: n.Title, Body: n.Body, Severity: n.Severity, Target: n.Target}, now)
	if err != nil {
		return n, err
	}
	n.ID, n.Origin, n.Created = e.ID, r.Cfg.ID, e.IssuedAt
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if _, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin, IssuedAt: e.IssuedAt, Received: now, Raw: raw}); err != nil {
			return err
		}
		if err := tx.CreateNotice(ctx, n); err != nil {
			return err
		}
		if _, err := tx.AppendDown(ctx, shuan.DownItem{EnvelopeID: e.ID, Kind: e.Kind, Target: n.Target, Raw: raw, Created: now}); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, now, actor(by), "notice.send", n.ID, n.Title)
		return err
	})
	if err != nil {
		return n, err
	}
	if r.srv != nil && r.srv.Down != nil {
		r.srv.Down.Notify()
	}
	return n, nil
}

// MarkNotice records that a user read or acknowledged a notice and reports it upward.
func (r *Runtime) MarkNotice(ctx context.Context, by shuan.User, noticeID, status string) error {
	if status != shuan.NoticeRead && status != shuan.NoticeAcked {
		return shuan.Errorf(shuan.EINVALID, "status must be read or acked, got %q", status)
	}
	if by.ID != "" && !by.Role.Can(shuan.PermAckNotice) {
		return shuan.Errorf(shuan.EFORBIDDEN, "user %s may not acknowledge notices", by.Name)
	}
	now := r.Now().UTC()
	err := r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		n, err := tx.FindNotice(ctx, noticeID)
		if err != nil {
			return err
		}
		if n.Origin == r.Cfg.ID {
			return shuan.Errorf(shuan.EINVALID, "notice %s was sent by this node", noticeID)
		}
		if err := fed.ReportNotice(ctx, tx, r.SignKey, r.Cfg.ID, noticeID, status, by.Name, now); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), "notice."+status, noticeID, n.Title)
		return err
	})
	r.wake()
	return err
}

// wake tells a serving agent that the outbox has new items.
func (r *Runtime) wake() {
	if r.agent != nil {
		r.agent.Wake()
	}
}

func actor(u shuan.User) string {
	if u.Name == "" {
		return "cli"
	}
	return "user:" + u.Name
}

// Probe queues n probe envelopes for the parent; each is recorded at every
// hop up to the ministry. It returns their ids.
func (r *Runtime) Probe(ctx context.Context, n int, note string) ([]string, error) {
	if r.Cfg.Parent == "" {
		return nil, shuan.Errorf(shuan.EINVALID, "node %s has no parent to probe", r.Cfg.Name)
	}
	ids := make([]string, 0, n)
	err := r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		for i := 0; i < n; i++ {
			now := r.Now()
			e, err := fed.SendUp(ctx, tx, r.SignKey, r.Cfg.ID, shuan.KindProbe, fed.Probe{Seq: int64(i + 1), Note: note}, now)
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	r.wake()
	return ids, err
}
