package pki

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// KeyPair builds a TLS certificate that presents the leaf followed by its
// chain up to and including the root, which PinnedConfig clients need.
func KeyPair(certPEM, chainPEM, keyPEM []byte) (tls.Certificate, error) {
	certs, err := ParseCertsPEM(append(append([]byte(nil), certPEM...), chainPEM...))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key pair: %w", err)
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key pair: %w", err)
	}
	leaf := certs[0]
	if pub, ok := key.Public().(*ecdsa.PublicKey); !ok || !pub.Equal(leaf.PublicKey) {
		return tls.Certificate{}, errors.New("key pair: key does not match certificate")
	}
	out := tls.Certificate{PrivateKey: key, Leaf: leaf}
	for i, c := range certs {
		if i > 0 && c.Equal(certs[i-1]) {
			continue
		}
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, nil
}

// verifyChains accepts a handshake if some verified chain follows the
// federation's tiers and contains no revoked certificate.
func verifyChains(chains [][]*x509.Certificate, rev *RevocationSet) error {
	if len(chains) == 0 {
		return errors.New("no verified chain")
	}
	var err error
	for _, chain := range chains {
		if err = rev.checkChain(chain); err != nil {
			continue
		}
		if err = CheckChain(chain); err != nil {
			continue
		}
		return nil
	}
	return err
}

// ServerConfig returns a TLS 1.3 server configuration that asks for, but does
// not require, a client certificate; one that is given must chain to roots,
// carry the ClientAuth usage and not be revoked.
func ServerConfig(cert tls.Certificate, roots *x509.CertPool, rev *RevocationSet) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    roots,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return nil // enrolment: the handler must then require an enrolment token
			}
			if err := verifyChains(cs.VerifiedChains, rev); err != nil {
				return fmt.Errorf("client certificate: %w", err)
			}
			return nil
		},
	}
}

// ClientConfig returns a TLS 1.3 client configuration that presents cert (if
// any) and verifies the server's chain to roots and its revocation status.
func ClientConfig(cert tls.Certificate, roots *x509.CertPool, rev *RevocationSet) *tls.Config {
	c := &tls.Config{
		MinVersion: tls.VersionTLS13,
		RootCAs:    roots,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if err := verifyChains(cs.VerifiedChains, rev); err != nil {
				return fmt.Errorf("server certificate: %w", err)
			}
			return nil
		},
	}
	if len(cert.Certificate) > 0 {
		c.Certificates = []tls.Certificate{cert}
	}
	return c
}

// PinnedConfig returns a TLS 1.3 client configuration for enrolment, when the
// child knows only the root's SM3 fingerprint: the server must send its chain
// up to a self-signed root with that fingerprint, and the chain must verify.
func PinnedConfig(rootFingerprint string) *tls.Config {
	want := strings.ToLower(strings.TrimSpace(rootFingerprint))
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Verification is done below against the pinned root instead of system roots.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPinned(cs, want)
		},
	}
}

func verifyPinned(cs tls.ConnectionState, want string) error {
	certs := cs.PeerCertificates
	if len(certs) < 2 {
		return fmt.Errorf("pinned root: server sent %d certificate(s), want its chain up to the root", len(certs))
	}
	root := certs[len(certs)-1]
	if got := Fingerprint(root); got != want {
		return fmt.Errorf("pinned root: server's root %q has fingerprint %s, want %s", root.Subject.CommonName, got, want)
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("pinned root: last certificate is not a self-signed CA: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	inter := x509.NewCertPool()
	for _, c := range certs[1 : len(certs)-1] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{
		DNSName:       cs.ServerName,
		Roots:         roots,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("pinned root: %w", err)
	}
	if err := verifyChains(chains, nil); err != nil {
		return fmt.Errorf("pinned root: %w", err)
	}
	return nil
}

// PeerIdentity returns the identity and leaf certificate of the verified peer of a connection.
func PeerIdentity(cs *tls.ConnectionState) (Identity, *x509.Certificate, error) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Identity{}, nil, errors.New("peer identity: no verified peer certificate")
	}
	leaf := cs.VerifiedChains[0][0]
	id, err := IdentityOf(leaf)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("peer identity: %w", err)
	}
	return id, leaf, nil
}
