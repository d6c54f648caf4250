package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan/gm"
)

var hosts = []string{"127.0.0.1", "localhost"}

func newUUID(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func newIdentity(tb testing.TB, role, name string) Identity {
	tb.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	der, err := gm.MarshalPublicKey(&k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	id := Identity{NodeID: newUUID(tb), Role: role, Name: name, SignKey: der}
	switch role {
	case RoleProvince:
		id.Region = "320000"
	case RoleEnterprise:
		id.Region, id.Industry, id.USCC = "320506", "C3973", "91320500MA1XXXXXX1"
	}
	return id
}

// node is one node's TLS material.
type node struct {
	id     Identity
	cert   *x509.Certificate
	keyPEM []byte
	tls    tls.Certificate
}

// federation is a ministry, one province and one enterprise enrolled under it.
type federation struct {
	now        time.Time
	root       *Authority
	roots      *x509.CertPool
	ministry   node
	province   node
	provCA     *Authority
	enterprise node
}

func mustIssueLeaf(tb testing.TB, a *Authority, id Identity, now time.Time) node {
	tb.Helper()
	key, keyPEM, err := NewKey()
	if err != nil {
		tb.Fatal(err)
	}
	csr, err := NewCSR(key, id, hosts)
	if err != nil {
		tb.Fatal(err)
	}
	certPEM, err := a.IssueLeaf(csr, id, hosts, now, 0)
	if err != nil {
		tb.Fatal(err)
	}
	kp, err := KeyPair(certPEM, a.ChainPEM(), keyPEM)
	if err != nil {
		tb.Fatal(err)
	}
	id, err = IdentityOf(kp.Leaf)
	if err != nil {
		tb.Fatal(err)
	}
	return node{id: id, cert: kp.Leaf, keyPEM: keyPEM, tls: kp}
}

func newFederation(tb testing.TB) *federation {
	tb.Helper()
	now := time.Now()
	f := &federation{now: now}
	mid := newIdentity(tb, RoleMinistry, "工业和信息化部")
	rootPEM, rootKeyPEM, err := NewRoot(mid, now, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if f.root, err = LoadAuthority(rootPEM, rootKeyPEM, nil); err != nil {
		tb.Fatal(err)
	}
	f.roots = x509.NewCertPool()
	f.roots.AddCert(f.root.Cert)
	f.ministry = mustIssueLeaf(tb, f.root, mid, now)

	pid := newIdentity(tb, RoleProvince, "江苏省工业和信息化厅")
	f.province = mustIssueLeaf(tb, f.root, pid, now)
	caKey, caKeyPEM, err := NewKey()
	if err != nil {
		tb.Fatal(err)
	}
	csr, err := NewCSR(caKey, f.province.id, nil)
	if err != nil {
		tb.Fatal(err)
	}
	caPEM, err := f.root.IssueCA(csr, f.province.id, now, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if f.provCA, err = LoadAuthority(caPEM, caKeyPEM, f.root.ChainPEM()); err != nil {
		tb.Fatal(err)
	}
	f.enterprise = mustIssueLeaf(tb, f.provCA, newIdentity(tb, RoleEnterprise, "苏州某精密制造有限公司"), now)
	return f
}

type handshakeResult struct {
	serverErr, clientErr     error
	serverState, clientState tls.ConnectionState
}

// handshake runs a real TLS handshake over loopback TCP and one server-to-client message.
func handshake(tb testing.TB, server, client *tls.Config) handshakeResult {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	type sres struct {
		err   error
		state tls.ConnectionState
	}
	done := make(chan sres, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- sres{err: err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, server)
		err = tc.Handshake()
		if err == nil {
			_, err = tc.Write([]byte("ok"))
		}
		done <- sres{err: err, state: tc.ConnectionState()}
	}()
	var r handshakeResult
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), client)
	if err == nil {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 2)
		// In TLS 1.3 the server checks the client certificate after the
		// client finished, so a rejection shows on the first read.
		if _, err = io.ReadFull(conn, buf); err == nil && string(buf) != "ok" {
			err = fmt.Errorf("read %q", buf)
		}
		r.clientState = conn.ConnectionState()
		conn.Close()
	}
	r.clientErr = err
	s := <-done
	r.serverErr, r.serverState = s.err, s.state
	return r
}

func TestThreeTierChain(t *testing.T) {
	f := newFederation(t)

	inter := x509.NewCertPool()
	inter.AddCert(f.provCA.Cert)
	chains, err := f.enterprise.cert.Verify(x509.VerifyOptions{Roots: f.roots, Intermediates: inter, DNSName: "localhost"})
	if err != nil {
		t.Fatalf("enterprise leaf does not verify: %v", err)
	}
	if got := len(chains[0]); got != 3 {
		t.Fatalf("chain length = %d, want 3 (enterprise ← province CA ← root)", got)
	}
	if err := CheckChain(chains[0]); err != nil {
		t.Fatal(err)
	}
	if got := len(f.enterprise.tls.Certificate); got != 3 {
		t.Errorf("enterprise presents %d certificates, want leaf, province CA and root", got)
	}

	rev := NewRevocationSet()
	r := handshake(t, ServerConfig(f.province.tls, f.roots, rev), ClientConfig(f.enterprise.tls, f.roots, rev))
	if r.serverErr != nil || r.clientErr != nil {
		t.Fatalf("enterprise → province: server %v, client %v", r.serverErr, r.clientErr)
	}
	if v := r.serverState.Version; v != tls.VersionTLS13 {
		t.Errorf("version = %x, want TLS 1.3", v)
	}
	id, leaf, err := PeerIdentity(&r.serverState)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(id, f.enterprise.id) || !leaf.Equal(f.enterprise.cert) {
		t.Errorf("server sees peer %+v, want %+v", id, f.enterprise.id)
	}
	if got := len(r.serverState.VerifiedChains[0]); got != 3 {
		t.Errorf("server verified chain length = %d, want 3", got)
	}
	id, _, err = PeerIdentity(&r.clientState)
	if err != nil || id.NodeID != f.province.id.NodeID || id.Role != RoleProvince {
		t.Errorf("client sees server %+v, %v; want the province", id, err)
	}

	r = handshake(t, ServerConfig(f.ministry.tls, f.roots, nil), ClientConfig(f.province.tls, f.roots, nil))
	if r.serverErr != nil || r.clientErr != nil {
		t.Fatalf("province → ministry: server %v, client %v", r.serverErr, r.clientErr)
	}
	if id, _, err := PeerIdentity(&r.serverState); err != nil || id.Role != RoleProvince || id.ParentID != f.ministry.id.NodeID {
		t.Errorf("ministry sees %+v, %v", id, err)
	}
}

func TestEnrolmentWithoutClientCertificate(t *testing.T) {
	f := newFederation(t)
	r := handshake(t, ServerConfig(f.province.tls, f.roots, nil), ClientConfig(tls.Certificate{}, f.roots, nil))
	if r.serverErr != nil || r.clientErr != nil {
		t.Fatalf("server %v, client %v", r.serverErr, r.clientErr)
	}
	if _, _, err := PeerIdentity(&r.serverState); err == nil {
		t.Error("PeerIdentity succeeded without a client certificate")
	}
}

func TestPinnedConfig(t *testing.T) {
	f := newFederation(t)
	server := ServerConfig(f.province.tls, f.roots, nil)
	fp := Fingerprint(f.root.Cert)
	if len(fp) != 64 || fp != strings.ToLower(fp) {
		t.Fatalf("fingerprint %q is not 64 lowercase hex digits", fp)
	}

	for _, pin := range []string{fp, strings.ToUpper(fp)} {
		r := handshake(t, server, PinnedConfig(pin))
		if r.serverErr != nil || r.clientErr != nil {
			t.Fatalf("pinned %s: server %v, client %v", pin, r.serverErr, r.clientErr)
		}
	}
	// Through the province CA: an enterprise server chain has three certificates.
	r := handshake(t, ServerConfig(f.enterprise.tls, f.roots, nil), PinnedConfig(fp))
	if r.clientErr != nil {
		t.Fatalf("pinned via intermediate: %v", r.clientErr)
	}

	wrong := Fingerprint(f.province.cert)
	r = handshake(t, server, PinnedConfig(wrong))
	if r.clientErr == nil || !strings.Contains(r.clientErr.Error(), "fingerprint "+fp) || !strings.Contains(r.clientErr.Error(), "want "+wrong) {
		t.Errorf("wrong pin: client err = %v, want a mismatch naming both fingerprints", r.clientErr)
	}

	leafOnly := f.province.tls
	leafOnly.Certificate = leafOnly.Certificate[:1]
	r = handshake(t, ServerConfig(leafOnly, f.roots, nil), PinnedConfig(fp))
	if r.clientErr == nil || !strings.Contains(r.clientErr.Error(), "up to the root") {
		t.Errorf("leaf-only server: client err = %v", r.clientErr)
	}

	other := PinnedConfig(fp)
	other.ServerName = "evil.example"
	if r = handshake(t, server, other); r.clientErr == nil {
		t.Error("pinned config accepted a certificate for another host name")
	}

	foreign := newFederation(t)
	if r = handshake(t, ServerConfig(foreign.province.tls, foreign.roots, nil), PinnedConfig(fp)); r.clientErr == nil {
		t.Error("pinned config accepted a foreign federation")
	}
}

func TestForeignRootRejected(t *testing.T) {
	f := newFederation(t)
	foreign := newFederation(t)
	// The Go client withholds a certificate the server's CA list does not
	// name, so the connection is merely unauthenticated...
	r := handshake(t, ServerConfig(f.province.tls, f.roots, nil), ClientConfig(foreign.enterprise.tls, f.roots, nil))
	if _, _, err := PeerIdentity(&r.serverState); r.serverErr == nil && err == nil {
		t.Error("foreign client authenticated")
	}
	// ...and a client that insists on sending it is refused.
	insist := ClientConfig(tls.Certificate{}, f.roots, nil)
	insist.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign.enterprise.tls, nil }
	r = handshake(t, ServerConfig(f.province.tls, f.roots, nil), insist)
	var unknown x509.UnknownAuthorityError
	if !errors.As(r.serverErr, &unknown) || r.clientErr == nil {
		t.Errorf("foreign client certificate: server %v, client %v; want unknown authority", r.serverErr, r.clientErr)
	}
	r = handshake(t, ServerConfig(foreign.province.tls, foreign.roots, nil), ClientConfig(f.enterprise.tls, f.roots, nil))
	if !errors.As(r.clientErr, &unknown) {
		t.Errorf("foreign server: client err = %v, want unknown authority", r.clientErr)
	}
}

func TestRevokedClientRejected(t *testing.T) {
	f := newFederation(t)
	rev := NewRevocationSet()
	server := ServerConfig(f.province.tls, f.roots, rev)
	client := ClientConfig(f.enterprise.tls, f.roots, nil)
	if r := handshake(t, server, client); r.serverErr != nil {
		t.Fatalf("before revocation: %v", r.serverErr)
	}

	crl, err := f.provCA.CRL([]Revoked{{Serial: f.enterprise.cert.SerialNumber, At: f.now, Reason: "keyCompromise"}}, 1, f.now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Add(crl, f.provCA.Cert); err != nil {
		t.Fatal(err)
	}
	if !rev.IsRevoked(f.enterprise.cert) || rev.IsRevoked(f.province.cert) {
		t.Fatal("IsRevoked wrong after Add")
	}
	r := handshake(t, server, client)
	if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "revoked") {
		t.Errorf("revoked client: server err = %v", r.serverErr)
	}
	if r.clientErr == nil {
		t.Error("revoked client could read from the server")
	}

	// A newer CRL without the entry lifts the revocation; an older one is refused.
	crl2, err := f.provCA.CRL(nil, 2, f.now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Add(crl2, f.provCA.Cert); err != nil {
		t.Fatal(err)
	}
	if err := rev.Add(crl, f.provCA.Cert); err == nil || !strings.Contains(err.Error(), "older") {
		t.Errorf("stale CRL: err = %v", err)
	}
	if rev.IsRevoked(f.enterprise.cert) {
		t.Error("enterprise still revoked after CRL 2")
	}
	if n := rev.Number(f.provCA.Cert); n == nil || n.Int64() != 2 {
		t.Errorf("Number = %v, want 2", n)
	}
}

func TestRevokedIntermediateAndServer(t *testing.T) {
	f := newFederation(t)
	rev := NewRevocationSet()
	crl, err := f.root.CRL([]Revoked{
		{Serial: f.provCA.Cert.SerialNumber, At: f.now, Reason: "cACompromise"},
		{Serial: f.province.cert.SerialNumber, At: f.now, Reason: "superseded"},
	}, 7, f.now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Add(crl, f.root.Cert); err != nil {
		t.Fatal(err)
	}
	// The enterprise leaf is fine, but its province CA is revoked by the root.
	r := handshake(t, ServerConfig(f.ministry.tls, f.roots, rev), ClientConfig(f.enterprise.tls, f.roots, nil))
	if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "revoked") {
		t.Errorf("client under a revoked CA: server err = %v", r.serverErr)
	}
	// A client refuses a revoked server.
	r = handshake(t, ServerConfig(f.province.tls, f.roots, nil), ClientConfig(f.enterprise.tls, f.roots, rev))
	if r.clientErr == nil || !strings.Contains(r.clientErr.Error(), "revoked") {
		t.Errorf("revoked server: client err = %v", r.clientErr)
	}
}

func TestRevocationSetRefusesBadCRL(t *testing.T) {
	f := newFederation(t)
	foreign := newFederation(t)
	rev := &RevocationSet{} // the zero value is usable
	revoked := []Revoked{{Serial: f.enterprise.cert.SerialNumber, At: f.now}}

	good, err := f.provCA.CRL(revoked, 1, f.now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(good)
	tampered[len(tampered)-1] ^= 1
	if err := rev.Add(tampered, f.provCA.Cert); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("tampered signature: err = %v", err)
	}

	// Same subject, different key: a CRL forged by another CA with an identical name.
	forged := forgeCRLWithSubjectOf(t, f.provCA.Cert, revoked)
	if err := rev.Add(forged, f.provCA.Cert); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("forged CRL: err = %v", err)
	}

	other, err := foreign.provCA.CRL(revoked, 1, f.now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Add(other, f.provCA.Cert); err == nil {
		t.Error("accepted a CRL from another issuer")
	}
	if err := rev.Add([]byte("junk"), f.provCA.Cert); err == nil {
		t.Error("accepted junk")
	}
	if rev.IsRevoked(f.enterprise.cert) {
		t.Error("a refused CRL revoked a certificate")
	}
	if _, err := f.provCA.CRL([]Revoked{{Serial: big.NewInt(1), Reason: "bored"}}, 1, f.now, time.Hour); err == nil {
		t.Error("CRL accepted an unknown reason")
	}
	var nilSet *RevocationSet
	if nilSet.IsRevoked(f.enterprise.cert) {
		t.Error("nil set revoked a certificate")
	}
}

// forgeCRLWithSubjectOf signs a CRL with a fresh key under a CA certificate copying victim's subject and key ID.
func forgeCRLWithSubjectOf(tb testing.TB, victim *x509.Certificate, revoked []Revoked) []byte {
	tb.Helper()
	key, _, err := NewKey()
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99), Subject: victim.Subject, SubjectKeyId: victim.SubjectKeyId,
		NotBefore: victim.NotBefore, NotAfter: victim.NotAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	a := &Authority{Cert: cert, key: key}
	crl, err := a.CRL(revoked, 1, time.Now(), time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return crl
}

func TestIdentityRoundTrip(t *testing.T) {
	f := newFederation(t)
	want := newIdentity(t, RoleEnterprise, "无锡某化工股份有限公司")
	n := mustIssueLeaf(t, f.provCA, want, f.now)
	want.ParentID = f.province.id.NodeID // filled in by the issuer
	got, err := IdentityOf(n.cert)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IdentityOf = %+v\nwant %+v", got, want)
	}
	if _, err := gm.ParsePublicKey(got.SignKey); err != nil {
		t.Errorf("sign key: %v", err)
	}
	if got := f.provCA.Identity(); got.NodeID != f.province.id.NodeID || got.Role != RoleProvince {
		t.Errorf("province CA identity = %+v", got)
	}
	if got, err := IdentityOf(f.root.Cert); err != nil || got.Role != RoleMinistry {
		t.Errorf("root identity = %+v, %v", got, err)
	}
	if n.cert.Subject.SerialNumber != want.NodeID || n.cert.Subject.CommonName != want.Name {
		t.Errorf("subject = %v", n.cert.Subject)
	}
	// A certificate without the extensions has no identity.
	key, _, _ := NewKey()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: f.now, NotAfter: f.now.Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	plain, _ := x509.ParseCertificate(der)
	if _, err := IdentityOf(plain); err == nil {
		t.Error("IdentityOf succeeded on a certificate without identity")
	}
}

func TestIssueLeafTakesIdentityFromParent(t *testing.T) {
	f := newFederation(t)
	key, _, _ := NewKey()
	claimed := newIdentity(t, RoleProvince, "冒充的省厅")
	claimed.ParentID = f.ministry.id.NodeID
	csr, err := NewCSR(key, claimed, []string{"evil.example"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := RequestedIdentity(csr); err != nil || got.Name != claimed.Name {
		t.Errorf("RequestedIdentity = %+v, %v", got, err)
	}
	decided := newIdentity(t, RoleEnterprise, "真实企业")
	certPEM, err := f.provCA.IssueLeaf(csr, decided, hosts, f.now, 0)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := ParseCertsPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	got, err := IdentityOf(certs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != decided.Name || got.Role != RoleEnterprise || got.NodeID != decided.NodeID {
		t.Errorf("identity = %+v, want the parent's decision", got)
	}
	if !reflect.DeepEqual(certs[0].DNSNames, []string{"localhost"}) || len(certs[0].IPAddresses) != 1 {
		t.Errorf("SANs = %v %v, want the caller's hosts", certs[0].DNSNames, certs[0].IPAddresses)
	}
	if d := certs[0].NotAfter.Sub(f.now); d < DefaultLeafTTL-time.Minute || d > DefaultLeafTTL+time.Minute {
		t.Errorf("leaf lifetime from now = %s, want %s", d, DefaultLeafTTL)
	}
	eku := certs[0].ExtKeyUsage
	if len(eku) != 2 || eku[0] != x509.ExtKeyUsageServerAuth || eku[1] != x509.ExtKeyUsageClientAuth {
		t.Errorf("EKU = %v", eku)
	}
}

func TestCSRBadSignatureRefused(t *testing.T) {
	f := newFederation(t)
	key, _, _ := NewKey()
	id := newIdentity(t, RoleEnterprise, "企业")
	csr, err := NewCSR(key, id, hosts)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(csr)
	bad[len(bad)-1] ^= 1
	if _, err := f.provCA.IssueLeaf(bad, id, hosts, f.now, 0); err == nil || !strings.Contains(err.Error(), "csr") {
		t.Errorf("IssueLeaf(bad signature) err = %v", err)
	}
	if _, err := f.root.IssueCA(bad, f.province.id, f.now, 0); err == nil {
		t.Error("IssueCA accepted a CSR with a bad signature")
	}
	if _, err := f.provCA.IssueLeaf([]byte("junk"), id, hosts, f.now, 0); err == nil {
		t.Error("IssueLeaf accepted junk")
	}
	// Only ECDSA P-256 keys are certified.
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, p384)
	if _, err := f.provCA.IssueLeaf(der, id, hosts, f.now, 0); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("IssueLeaf(P-384) err = %v", err)
	}
}

func TestIssuanceRules(t *testing.T) {
	f := newFederation(t)
	key, _, _ := NewKey()
	csr, _ := NewCSR(key, Identity{}, hosts)
	otherProvince := newIdentity(t, RoleProvince, "另一省")
	otherProvince.ParentID = f.ministry.id.NodeID
	wrongParent := newIdentity(t, RoleEnterprise, "企业")
	wrongParent.ParentID = newUUID(t)
	badRegion := newIdentity(t, RoleEnterprise, "企业")
	badRegion.Region = "32"
	tests := []struct {
		name string
		a    *Authority
		id   Identity
	}{
		{"province issues province", f.provCA, otherProvince},
		{"province issues ministry", f.provCA, f.ministry.id},
		{"ministry issues enterprise", f.root, newIdentity(t, RoleEnterprise, "企业")},
		{"wrong parent", f.provCA, wrongParent},
		{"bad region", f.provCA, badRegion},
		{"bad node id", f.provCA, Identity{NodeID: "x", Role: RoleEnterprise, Name: "n", SignKey: f.enterprise.id.SignKey}},
		{"no sign key", f.provCA, Identity{NodeID: newUUID(t), Role: RoleEnterprise, Name: "n"}},
	}
	for _, tt := range tests {
		if _, err := tt.a.IssueLeaf(csr, tt.id, hosts, f.now, 0); err == nil {
			t.Errorf("%s: IssueLeaf succeeded", tt.name)
		}
	}
	if _, err := f.root.IssueCA(csr, newIdentity(t, RoleEnterprise, "企业"), f.now, 0); err == nil {
		t.Error("ministry issued an enterprise CA")
	}
	if _, err := f.root.IssueCA(csr, f.ministry.id, f.now, 0); err == nil {
		t.Error("ministry issued itself a CA")
	}
	if _, _, err := NewRoot(f.province.id, f.now, 0); err == nil {
		t.Error("NewRoot accepted a province identity")
	}
}

// A province CA that mints a certificate claiming to be the ministry is caught by the tier check.
func TestForgedTierRejected(t *testing.T) {
	f := newFederation(t)
	key, keyPEM, _ := NewKey()
	forged := forgeLeaf(t, f.provCA, f.ministry.id, key, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
	kp := tlsCert(t, forged, f.provCA, keyPEM)
	r := handshake(t, ServerConfig(f.province.tls, f.roots, nil), ClientConfig(kp, f.roots, nil))
	if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "may not certify") {
		t.Errorf("forged ministry client: server err = %v", r.serverErr)
	}
	r = handshake(t, ServerConfig(kp, f.roots, nil), ClientConfig(f.enterprise.tls, f.roots, nil))
	if r.clientErr == nil {
		t.Error("client accepted a forged ministry server")
	}
}

func TestClientAuthUsageRequired(t *testing.T) {
	f := newFederation(t)
	id := newIdentity(t, RoleEnterprise, "企业")
	id.ParentID = f.province.id.NodeID
	key, keyPEM, _ := NewKey()
	serverOnly := forgeLeaf(t, f.provCA, id, key, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
	r := handshake(t, ServerConfig(f.province.tls, f.roots, nil), ClientConfig(tlsCert(t, serverOnly, f.provCA, keyPEM), f.roots, nil))
	if r.serverErr == nil {
		t.Error("server accepted a client certificate without the ClientAuth usage")
	}
}

func forgeLeaf(tb testing.TB, a *Authority, id Identity, key crypto.Signer, eku []x509.ExtKeyUsage) []byte {
	tb.Helper()
	exts, err := identityExtensions(id)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242), Subject: subject(id, false),
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, key.Public(), a.key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func tlsCert(tb testing.TB, certPEM []byte, a *Authority, keyPEM []byte) tls.Certificate {
	tb.Helper()
	kp, err := KeyPair(certPEM, a.ChainPEM(), keyPEM)
	if err != nil {
		tb.Fatal(err)
	}
	return kp
}

func TestPathLength(t *testing.T) {
	f := newFederation(t)
	key, _, _ := NewKey()
	csr, _ := NewCSR(key, Identity{}, nil)
	ent := newIdentity(t, RoleEnterprise, "企业")
	if _, err := f.provCA.IssueCA(csr, ent, f.now, 0); err == nil || !strings.Contains(err.Error(), "path length 0") {
		t.Errorf("province CA issued a CA: err = %v", err)
	}
	if !f.provCA.Cert.MaxPathLenZero || f.provCA.Cert.MaxPathLen != 0 {
		t.Errorf("province CA MaxPathLen = %d (zero %v), want 0", f.provCA.Cert.MaxPathLen, f.provCA.Cert.MaxPathLenZero)
	}

	// Even a hand-made sub-CA under the province CA does not verify.
	subKey, _, _ := NewKey()
	now := time.Now()
	subTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(5), Subject: subject(ent, true), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	subDER, err := x509.CreateCertificate(rand.Reader, subTmpl, f.provCA.Cert, subKey.Public(), f.provCA.key)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := x509.ParseCertificate(subDER)
	leafKey, _, _ := NewKey()
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(6), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour), DNSNames: []string{"localhost"}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, sub, leafKey.Public(), subKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	inter := x509.NewCertPool()
	inter.AddCert(f.provCA.Cert)
	inter.AddCert(sub)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: f.roots, Intermediates: inter}); err == nil {
		t.Error("a leaf under a sub-CA of the pathlen-0 province CA verified")
	}
}

func TestTLS12Refused(t *testing.T) {
	f := newFederation(t)
	client := ClientConfig(f.enterprise.tls, f.roots, nil)
	client.MinVersion, client.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	r := handshake(t, ServerConfig(f.province.tls, f.roots, nil), client)
	if r.serverErr == nil || r.clientErr == nil {
		t.Errorf("TLS 1.2 handshake: server %v, client %v", r.serverErr, r.clientErr)
	}
	pinned := PinnedConfig(Fingerprint(f.root.Cert))
	pinned.MinVersion, pinned.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	if r = handshake(t, ServerConfig(f.province.tls, f.roots, nil), pinned); r.serverErr == nil {
		t.Error("server accepted TLS 1.2 from a pinned client")
	}
}

func TestLoadAuthority(t *testing.T) {
	f := newFederation(t)
	_, otherKeyPEM, _ := NewKey()
	certPEM := encodeCerts(f.provCA.Cert)
	chainPEM := encodeCerts(f.provCA.Chain...)
	if _, err := LoadAuthority(certPEM, otherKeyPEM, chainPEM); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("wrong key: err = %v", err)
	}
	if _, err := LoadAuthority(certPEM, otherKeyPEM, nil); err == nil {
		t.Error("loaded an intermediate without its chain")
	}
	foreign := newFederation(t)
	if _, err := LoadAuthority(certPEM, otherKeyPEM, encodeCerts(foreign.root.Cert)); err == nil {
		t.Error("loaded an intermediate with a foreign root")
	}
	leafPEM := encodeCerts(f.enterprise.cert)
	if _, err := LoadAuthority(leafPEM, f.enterprise.keyPEM, f.provCA.ChainPEM()); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("leaf as authority: err = %v", err)
	}
	if got := f.provCA.Root(); !got.Equal(f.root.Cert) {
		t.Error("Root() is not the ministry root")
	}
	certs, err := ParseCertsPEM(f.provCA.ChainPEM())
	if err != nil || len(certs) != 2 || !certs[0].Equal(f.provCA.Cert) || !certs[1].Equal(f.root.Cert) {
		t.Errorf("ChainPEM = %d certs, %v", len(certs), err)
	}
}

func TestLeafDoesNotOutliveIssuer(t *testing.T) {
	f := newFederation(t)
	key, _, _ := NewKey()
	id := newIdentity(t, RoleEnterprise, "企业")
	csr, _ := NewCSR(key, id, hosts)
	certPEM, err := f.provCA.IssueLeaf(csr, id, hosts, f.now, 50*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseCertsPEM(certPEM)
	if !c[0].NotAfter.Equal(f.provCA.Cert.NotAfter) {
		t.Errorf("NotAfter = %s, want the issuer's %s", c[0].NotAfter, f.provCA.Cert.NotAfter)
	}
	if _, err := f.provCA.IssueLeaf(csr, id, hosts, f.provCA.Cert.NotAfter.Add(time.Hour), 0); err == nil {
		t.Error("issued a leaf after the issuer expired")
	}
}

func TestNeedsRenewal(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &x509.Certificate{NotBefore: start, NotAfter: start.Add(300 * 24 * time.Hour)}
	tests := []struct {
		at   time.Duration
		want bool
	}{
		{0, false},
		{199 * 24 * time.Hour, false},
		{201 * 24 * time.Hour, true},
		{400 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		if got := NeedsRenewal(c, start.Add(tt.at)); got != tt.want {
			t.Errorf("NeedsRenewal at +%s = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestParseCertsPEM(t *testing.T) {
	f := newFederation(t)
	if _, err := ParseCertsPEM(nil); err == nil {
		t.Error("accepted no certificates")
	}
	if _, err := ParseCertsPEM(f.enterprise.keyPEM); err == nil {
		t.Error("accepted a key as a certificate")
	}
	if _, err := ParseCertsPEM(append(encodeCerts(f.root.Cert), "junk"...)); err == nil {
		t.Error("accepted trailing junk")
	}
	if _, err := KeyPair(encodeCerts(f.enterprise.cert), nil, f.province.keyPEM); err == nil {
		t.Error("KeyPair accepted a mismatched key")
	}
}

func TestIdentityValidate(t *testing.T) {
	base := newIdentity(t, RoleEnterprise, "企业")
	base.ParentID = newUUID(t)
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mut  func(*Identity)
	}{
		{"role", func(id *Identity) { id.Role = "city" }},
		{"name", func(id *Identity) { id.Name = "" }},
		{"industry", func(id *Identity) { id.Industry = "Z9" }},
		{"uscc", func(id *Identity) { id.USCC = "123" }},
		{"ministry with parent", func(id *Identity) { id.Role = RoleMinistry }},
		{"enterprise without parent", func(id *Identity) { id.ParentID = "" }},
		{"P-256 sign key", func(id *Identity) {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			id.SignKey, _ = x509.MarshalPKIXPublicKey(&k.PublicKey)
		}},
	}
	for _, tt := range tests {
		id := base
		tt.mut(&id)
		if err := id.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", tt.name, id)
		}
	}
}

func BenchmarkIssueLeaf(b *testing.B) {
	f := newFederation(b)
	key, _, _ := NewKey()
	id := newIdentity(b, RoleEnterprise, "企业")
	csr, _ := NewCSR(key, id, hosts)
	for b.Loop() {
		if _, err := f.provCA.IssueLeaf(csr, id, hosts, f.now, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandshake measures a full mutual TLS 1.3 handshake with revocation and tier checks, over loopback.
func BenchmarkHandshake(b *testing.B) {
	f := newFederation(b)
	rev := NewRevocationSet()
	server := ServerConfig(f.province.tls, f.roots, rev)
	client := ClientConfig(f.enterprise.tls, f.roots, rev)
	for b.Loop() {
		if r := handshake(b, server, client); r.serverErr != nil || r.clientErr != nil {
			b.Fatal(r.serverErr, r.clientErr)
		}
	}
}
