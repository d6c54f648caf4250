package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/shuan-dev/shuan/gm"
)

// Default certificate lifetimes, used when a caller passes a zero TTL.
const (
	DefaultRootTTL = 10 * 365 * 24 * time.Hour
	DefaultCATTL   = 5 * 365 * 24 * time.Hour
	DefaultLeafTTL = 365 * 24 * time.Hour
)

// backdate is subtracted from NotBefore to tolerate clock skew between nodes.
const backdate = 5 * time.Minute

// PEM block types.
const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY"
	pemECKey       = "EC PRIVATE KEY"
)

// Authority is a CA key and certificate that issues node certificates.
type Authority struct {
	Cert  *x509.Certificate
	Chain []*x509.Certificate // from the issuer of Cert up to the root, excluding Cert
	key   crypto.Signer
	id    Identity
}

// NewKey returns a new ECDSA P-256 key and its PKCS#8 PEM encoding.
func NewKey() (crypto.Signer, []byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParseKeyPEM decodes an ECDSA P-256 private key in PKCS#8 or SEC 1 PEM.
func ParseKeyPEM(keyPEM []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("parse key: no PEM block")
	}
	var key any
	var err error
	switch b.Type {
	case pemPrivateKey:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case pemECKey:
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("parse key: unexpected PEM type %q", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("parse key: got %s, want ECDSA P-256", keyName(key))
	}
	return k, nil
}

func keyName(key any) string {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", key)
}

func checkTLSKey(pub any) error {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return fmt.Errorf("public key is %s, want ECDSA P-256", keyName(pub))
	}
	return nil
}

// ParseCertsPEM decodes every certificate in b, in order.
func ParseCertsPEM(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != pemCertificate {
			return nil, fmt.Errorf("parse certificates: unexpected PEM type %q", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificates: %w", err)
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(b)) > 0 {
		return nil, errors.New("parse certificates: trailing data that is not PEM")
	}
	if len(certs) == 0 {
		return nil, errors.New("parse certificates: no certificate")
	}
	return certs, nil
}

func encodeCerts(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: pemCertificate, Bytes: c.Raw}) // writing to a bytes.Buffer cannot fail
	}
	return b.Bytes()
}

// Fingerprint returns the lowercase hex SM3 digest of cert's DER encoding.
func Fingerprint(cert *x509.Certificate) string {
	return gm.HexSum(cert.Raw)
}

func newSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // never zero, always 16 bytes
	return new(big.Int).SetBytes(b), nil
}

func splitHosts(hosts []string) (dns []string, ips []net.IP, err error) {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
			continue
		}
		if h == "" || strings.ContainsAny(h, " /:@\t\r\n") {
			return nil, nil, fmt.Errorf("host %q is neither an IP address nor a DNS name", h)
		}
		dns = append(dns, h)
	}
	return dns, ips, nil
}

// NewRoot creates the ministry's self-signed root CA, which also carries the ministry's identity.
func NewRoot(id Identity, now time.Time, ttl time.Duration) (certPEM, keyPEM []byte, err error) {
	if id.Role != RoleMinistry {
		return nil, nil, fmt.Errorf("new root: role is %q, want ministry", id.Role)
	}
	if err := id.Validate(); err != nil {
		return nil, nil, fmt.Errorf("new root: %w", err)
	}
	if ttl <= 0 {
		ttl = DefaultRootTTL
	}
	key, keyPEM, err := NewKey()
	if err != nil {
		return nil, nil, fmt.Errorf("new root: %w", err)
	}
	exts, err := identityExtensions(id)
	if err != nil {
		return nil, nil, fmt.Errorf("new root: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, fmt.Errorf("new root: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject(id, true),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(ttl),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1, // root → province CA → enterprise leaf
		ExtraExtensions:       exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("new root: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}), keyPEM, nil
}

// LoadAuthority loads a CA certificate, its key and its chain up to the root;
// chainPEM may be empty for the root and may start with the CA certificate itself.
func LoadAuthority(certPEM, keyPEM, chainPEM []byte) (*Authority, error) {
	certs, err := ParseCertsPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load authority: %w", err)
	}
	cert, rest := certs[0], certs[1:]
	if len(bytes.TrimSpace(chainPEM)) > 0 {
		chain, err := ParseCertsPEM(chainPEM)
		if err != nil {
			return nil, fmt.Errorf("load authority chain: %w", err)
		}
		rest = append(rest, chain...)
	}
	var chain []*x509.Certificate
	for _, c := range rest {
		if !c.Equal(cert) {
			chain = append(chain, c)
		}
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load authority: %w", err)
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); !ok || !pub.Equal(cert.PublicKey) {
		return nil, errors.New("load authority: key does not match certificate")
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("load authority: certificate %q is not a CA", cert.Subject.CommonName)
	}
	verified, err := verifyCAChain(cert, chain)
	if err != nil {
		return nil, fmt.Errorf("load authority: %w", err)
	}
	if err := CheckChain(verified); err != nil {
		return nil, fmt.Errorf("load authority: %w", err)
	}
	id, err := IdentityOf(cert)
	if err != nil {
		return nil, fmt.Errorf("load authority: %w", err)
	}
	return &Authority{Cert: cert, Chain: verified[1:], key: key, id: id}, nil
}

// verifyCAChain checks signatures from cert up to a self-signed root in chain
// at an instant when all of them are valid, and returns the path, cert first.
func verifyCAChain(cert *x509.Certificate, chain []*x509.Certificate) ([]*x509.Certificate, error) {
	root := cert
	if len(chain) > 0 {
		root = chain[len(chain)-1]
	}
	if err := root.CheckSignatureFrom(root); err != nil || !bytes.Equal(root.RawIssuer, root.RawSubject) {
		return nil, fmt.Errorf("chain does not end in a self-signed root (%q)", root.Subject.CommonName)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	inter := x509.NewCertPool()
	at := cert.NotBefore
	for _, c := range chain {
		if c != root {
			inter.AddCert(c)
		}
		if c.NotBefore.After(at) {
			at = c.NotBefore
		}
	}
	paths, err := cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("verify chain: %w", err)
	}
	return paths[0], nil
}

// Identity returns the identity of the node that holds a.
func (a *Authority) Identity() Identity { return a.id }

// Root returns the root certificate at the top of a's chain.
func (a *Authority) Root() *x509.Certificate {
	if len(a.Chain) == 0 {
		return a.Cert
	}
	return a.Chain[len(a.Chain)-1]
}

// ChainPEM returns a.Cert followed by a.Chain as PEM, leaf first.
func (a *Authority) ChainPEM() []byte {
	return encodeCerts(append([]*x509.Certificate{a.Cert}, a.Chain...)...)
}

// NewCSR creates a certificate request for key; id and hosts are only a
// proposal that the parent is free to override.
func NewCSR(key crypto.Signer, id Identity, hosts []string) ([]byte, error) {
	if key == nil {
		return nil, errors.New("new csr: nil key")
	}
	if err := checkTLSKey(key.Public()); err != nil {
		return nil, fmt.Errorf("new csr: %w", err)
	}
	dns, ips, err := splitHosts(hosts)
	if err != nil {
		return nil, fmt.Errorf("new csr: %w", err)
	}
	exts, err := identityExtensions(id)
	if err != nil {
		return nil, fmt.Errorf("new csr: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         subject(id, false),
		DNSNames:        dns,
		IPAddresses:     ips,
		ExtraExtensions: exts,
	}, key)
	if err != nil {
		return nil, fmt.Errorf("new csr: %w", err)
	}
	return der, nil
}

// RequestedIdentity returns the identity a CSR proposes, after checking its signature; it is not to be trusted.
func RequestedIdentity(csrDER []byte) (Identity, error) {
	csr, err := parseCSR(csrDER)
	if err != nil {
		return Identity{}, err
	}
	id, err := decodeIdentity(csr.Extensions)
	if err != nil {
		return Identity{}, fmt.Errorf("requested identity: %w", err)
	}
	return id, nil
}

func parseCSR(der []byte) (*x509.CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("parse csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("check csr signature: %w", err)
	}
	if err := checkTLSKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("csr: %w", err)
	}
	return csr, nil
}

// prepare checks a request to issue a certificate for id and returns the
// request's public key, id with ParentID filled in, and the validity window.
func (a *Authority) prepare(csrDER []byte, id Identity, now time.Time, ttl time.Duration) (any, Identity, time.Time, time.Time, error) {
	var zero time.Time
	csr, err := parseCSR(csrDER)
	if err != nil {
		return nil, id, zero, zero, err
	}
	if id.ParentID == "" && id.NodeID != a.id.NodeID && id.Role == childRole(a.id.Role) {
		id.ParentID = a.id.NodeID
	}
	if err := id.Validate(); err != nil {
		return nil, id, zero, zero, fmt.Errorf("identity: %w", err)
	}
	if err := checkIssuance(a.id, id); err != nil {
		return nil, id, zero, zero, err
	}
	if pub, ok := csr.PublicKey.(*ecdsa.PublicKey); ok && pub.Equal(a.Cert.PublicKey) {
		return nil, id, zero, zero, errors.New("csr reuses the issuing CA's key")
	}
	notBefore, notAfter := now.Add(-backdate), now.Add(ttl)
	if notAfter.After(a.Cert.NotAfter) {
		notAfter = a.Cert.NotAfter // a certificate must not outlive its issuer
	}
	if !notAfter.After(now) {
		return nil, id, zero, zero, fmt.Errorf("issuer %q expires at %s", a.Cert.Subject.CommonName, a.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if notBefore.Before(a.Cert.NotBefore) {
		notBefore = a.Cert.NotBefore
	}
	return csr.PublicKey, id, notBefore, notAfter, nil
}

// IssueLeaf issues a TLS client and server certificate for the node id
// decided by the parent; only the key is taken from the CSR.
func (a *Authority) IssueLeaf(csrDER []byte, id Identity, hosts []string, now time.Time, ttl time.Duration) (certPEM []byte, err error) {
	if ttl <= 0 {
		ttl = DefaultLeafTTL
	}
	pub, id, notBefore, notAfter, err := a.prepare(csrDER, id, now, ttl)
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	dns, ips, err := splitHosts(hosts)
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	exts, err := identityExtensions(id)
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject(id, false),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
		ExtraExtensions:       exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, pub, a.key)
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}), nil
}

// IssueCA issues an intermediate CA certificate (path length 0) with which a
// province enrols its enterprises.
func (a *Authority) IssueCA(csrDER []byte, id Identity, now time.Time, ttl time.Duration) (certPEM []byte, err error) {
	if a.Cert.MaxPathLenZero || a.Cert.MaxPathLen == 0 {
		return nil, fmt.Errorf("issue ca: issuer %q has path length 0 and may not certify another CA", a.Cert.Subject.CommonName)
	}
	if ttl <= 0 {
		ttl = DefaultCATTL
	}
	pub, id, notBefore, notAfter, err := a.prepare(csrDER, id, now, ttl)
	if err != nil {
		return nil, fmt.Errorf("issue ca: %w", err)
	}
	if id.NodeID == a.id.NodeID {
		return nil, errors.New("issue ca: a node may not certify its own CA")
	}
	exts, err := identityExtensions(id)
	if err != nil {
		return nil, fmt.Errorf("issue ca: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("issue ca: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject(id, true),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		ExtraExtensions:       exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, pub, a.key)
	if err != nil {
		return nil, fmt.Errorf("issue ca: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}), nil
}

// NeedsRenewal reports whether less than a third of cert's lifetime remains at now.
func NeedsRenewal(cert *x509.Certificate, now time.Time) bool {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotAfter.Sub(now) < life/3
}
