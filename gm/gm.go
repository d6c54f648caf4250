// Package gm provides the ShangMi (国密) primitives shuan uses: SM3 digests,
// SM2 signatures and SM4-GCM sealing, on top of github.com/emmansun/gmsm.
//
// SM2 signatures always use the default user ID "1234567812345678" with the
// Z value mixed into the SM3 digest (GB/T 32918.2, GM/T 0009), and are ASN.1
// encoded, so they interoperate with other GM/T conformant implementations.
package gm

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/emmansun/gmsm/smx509"
)

// Sizes of SM4-GCM parameters and the SM3 digest.
const (
	KeySize   = 16 // SM4 key length in bytes
	NonceSize = 12 // GCM nonce length prefixed to every sealed message
	TagSize   = 16 // GCM authentication tag length
	HashSize  = sm3.Size
)

const pemTypePrivateKey = "PRIVATE KEY"

// Sum returns the SM3 digest of data.
func Sum(data []byte) [32]byte { return sm3.Sum(data) }

// HexSum returns the SM3 digest of data as lowercase hex.
func HexSum(data []byte) string {
	s := sm3.Sum(data)
	return hex.EncodeToString(s[:])
}

// NewHash returns a new streaming SM3 hash.
func NewHash() hash.Hash { return sm3.New() }

// GenerateKey returns a new random SM2 private key.
func GenerateKey() (*sm2.PrivateKey, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate sm2 key: %w", err)
	}
	return k, nil
}

// MarshalPrivateKeyPEM encodes an SM2 private key as PKCS#8 PEM.
func MarshalPrivateKeyPEM(k *sm2.PrivateKey) ([]byte, error) {
	if k == nil {
		return nil, errors.New("marshal sm2 private key: nil key")
	}
	der, err := smx509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("marshal sm2 private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemTypePrivateKey, Bytes: der}), nil
}

// ParsePrivateKeyPEM decodes a PKCS#8 PEM SM2 private key.
func ParsePrivateKeyPEM(pemBytes []byte) (*sm2.PrivateKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("parse sm2 private key: no PEM block")
	}
	if b.Type != pemTypePrivateKey {
		return nil, fmt.Errorf("parse sm2 private key: PEM type %q, want %q", b.Type, pemTypePrivateKey)
	}
	key, err := smx509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse sm2 private key: %w", err)
	}
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse sm2 private key: got %T, want an SM2 key", key)
	}
	return k, nil
}

// MarshalPublicKey encodes an SM2 public key as PKIX (SubjectPublicKeyInfo) DER.
func MarshalPublicKey(pub *ecdsa.PublicKey) ([]byte, error) {
	if pub == nil || !sm2.IsSM2PublicKey(pub) {
		return nil, errors.New("marshal sm2 public key: not an SM2 public key")
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal sm2 public key: %w", err)
	}
	return der, nil
}

// ParsePublicKey decodes a PKIX DER public key and rejects anything but SM2.
func ParsePublicKey(der []byte) (*ecdsa.PublicKey, error) {
	key, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse sm2 public key: %w", err)
	}
	if !sm2.IsSM2PublicKey(key) {
		return nil, fmt.Errorf("parse sm2 public key: got %s, want an SM2 key", describeKey(key))
	}
	return key.(*ecdsa.PublicKey), nil
}

func describeKey(key any) string {
	if k, ok := key.(*ecdsa.PublicKey); ok && k.Curve != nil {
		return "ECDSA " + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", key)
}

// Sign returns the ASN.1 SM2 signature of msg under the default user ID.
func Sign(k *sm2.PrivateKey, msg []byte) ([]byte, error) {
	if k == nil {
		return nil, errors.New("sm2 sign: nil key")
	}
	sig, err := k.SignWithSM2(rand.Reader, nil, msg)
	if err != nil {
		return nil, fmt.Errorf("sm2 sign: %w", err)
	}
	return sig, nil
}

// Verify reports whether sig is a valid SM2 signature of msg by pub under the default user ID.
func Verify(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if pub == nil || !sm2.IsSM2PublicKey(pub) || pub.X == nil || pub.Y == nil {
		return false
	}
	return sm2.VerifyASN1WithSM2(pub, nil, msg, sig)
}

// Sealer encrypts and authenticates data with SM4-GCM; it is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 16-byte SM4 key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("new sm4 sealer: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new sm4 sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new sm4 sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad and returns nonce || ciphertext || tag.
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	out := make([]byte, NonceSize, NonceSize+len(plaintext)+TagSize)
	// crypto/rand.Read never returns an error (Go 1.24+): it crashes the program instead.
	_, _ = rand.Read(out)
	return s.aead.Seal(out, out[:NonceSize], plaintext, aad)
}

// Open authenticates and decrypts a message produced by Seal with the same aad.
func (s *Sealer) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < NonceSize+TagSize {
		return nil, fmt.Errorf("sm4 open: ciphertext is %d bytes, shorter than nonce and tag", len(ciphertext))
	}
	pt, err := s.aead.Open(nil, ciphertext[:NonceSize], ciphertext[NonceSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("sm4 open: %w", err)
	}
	return pt, nil
}
