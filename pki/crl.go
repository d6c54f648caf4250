package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Revoked is one entry of a certificate revocation list.
type Revoked struct {
	Serial *big.Int
	At     time.Time
	Reason string // RFC 5280 reason name, e.g. "keyCompromise", "superseded", "cessationOfOperation"; "" for unspecified
}

// reasonCode returns the RFC 5280 CRLReason code of a reason name, in any case, with or without separators.
func reasonCode(reason string) (int, error) {
	r := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(reason))
	switch r {
	case "", "unspecified":
		return 0, nil
	case "keycompromise":
		return 1, nil
	case "cacompromise":
		return 2, nil
	case "affiliationchanged":
		return 3, nil
	case "superseded":
		return 4, nil
	case "cessationofoperation":
		return 5, nil
	case "certificatehold":
		return 6, nil
	case "privilegewithdrawn":
		return 9, nil
	case "aacompromise":
		return 10, nil
	}
	return 0, fmt.Errorf("unknown revocation reason %q", reason)
}

// CRL returns a DER certificate revocation list signed by a, valid from now for next.
func (a *Authority) CRL(revoked []Revoked, number int64, now time.Time, next time.Duration) ([]byte, error) {
	if number < 0 {
		return nil, fmt.Errorf("create crl: negative number %d", number)
	}
	if next <= 0 {
		return nil, fmt.Errorf("create crl: next update interval %s is not positive", next)
	}
	entries := make([]x509.RevocationListEntry, 0, len(revoked))
	for _, r := range revoked {
		if r.Serial == nil || r.Serial.Sign() <= 0 {
			return nil, fmt.Errorf("create crl: invalid serial %v", r.Serial)
		}
		code, err := reasonCode(r.Reason)
		if err != nil {
			return nil, fmt.Errorf("create crl: serial %x: %w", r.Serial, err)
		}
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber:   r.Serial,
			RevocationTime: r.At.UTC(),
			ReasonCode:     code,
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(number),
		ThisUpdate:                now.UTC(),
		NextUpdate:                now.Add(next).UTC(),
		RevokedCertificateEntries: entries,
	}, a.Cert, a.key)
	if err != nil {
		return nil, fmt.Errorf("create crl: %w", err)
	}
	return der, nil
}

// RevocationSet holds the serials revoked by each issuer's latest CRL; it is
// safe for concurrent use, and a nil or zero set revokes nothing.
type RevocationSet struct {
	mu      sync.RWMutex
	issuers map[issuerKey]*issuerCRL
}

type issuerKey struct {
	subject string // DER of the issuer's subject
	keyID   string // the issuer's subject key identifier
}

type issuerCRL struct {
	number  *big.Int
	serials map[string]struct{}
}

// NewRevocationSet returns an empty RevocationSet.
func NewRevocationSet() *RevocationSet {
	return &RevocationSet{issuers: make(map[issuerKey]*issuerCRL)}
}

// Add verifies crlDER against issuer and replaces what the set knows of that
// issuer's revocations; a CRL older (by number) than the one held is refused.
// The caller is responsible for trusting issuer.
func (s *RevocationSet) Add(crlDER []byte, issuer *x509.Certificate) error {
	if issuer == nil {
		return errors.New("add crl: nil issuer")
	}
	rl, err := x509.ParseRevocationList(crlDER)
	if err != nil {
		return fmt.Errorf("parse crl: %w", err)
	}
	if !bytes.Equal(rl.RawIssuer, issuer.RawSubject) {
		return fmt.Errorf("add crl: issued by %q, not %q", rl.Issuer.CommonName, issuer.Subject.CommonName)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("check crl signature: %w", err)
	}
	if rl.Number == nil {
		return errors.New("add crl: no crl number")
	}
	set := &issuerCRL{number: rl.Number, serials: make(map[string]struct{}, len(rl.RevokedCertificateEntries))}
	for _, e := range rl.RevokedCertificateEntries {
		set.serials[e.SerialNumber.Text(16)] = struct{}{}
	}
	k := issuerKey{subject: string(issuer.RawSubject), keyID: string(issuer.SubjectKeyId)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issuers == nil {
		s.issuers = make(map[issuerKey]*issuerCRL)
	}
	if old, ok := s.issuers[k]; ok && rl.Number.Cmp(old.number) < 0 {
		return fmt.Errorf("add crl: number %v is older than %v already held", rl.Number, old.number)
	}
	s.issuers[k] = set
	return nil
}

// IsRevoked reports whether cert's issuer has revoked it.
func (s *RevocationSet) IsRevoked(cert *x509.Certificate) bool {
	if s == nil || cert == nil || cert.SerialNumber == nil {
		return false
	}
	k := issuerKey{subject: string(cert.RawIssuer), keyID: string(cert.AuthorityKeyId)}
	s.mu.RLock()
	defer s.mu.RUnlock()
	set, ok := s.issuers[k]
	if !ok {
		return false
	}
	_, revoked := set.serials[cert.SerialNumber.Text(16)]
	return revoked
}

// Number returns the number of the CRL held for issuer, or nil if none.
func (s *RevocationSet) Number(issuer *x509.Certificate) *big.Int {
	if s == nil || issuer == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if set, ok := s.issuers[issuerKey{subject: string(issuer.RawSubject), keyID: string(issuer.SubjectKeyId)}]; ok {
		return new(big.Int).Set(set.number)
	}
	return nil
}

// checkChain returns an error if any certificate of chain, except its root, is revoked.
func (s *RevocationSet) checkChain(chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		if s.IsRevoked(chain[i]) {
			return fmt.Errorf("certificate %q (serial %x) is revoked", chain[i].Subject.CommonName, chain[i].SerialNumber)
		}
	}
	return nil
}
