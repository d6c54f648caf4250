package gm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestSM3KnownAnswers(t *testing.T) {
	// GB/T 32905-2016, appendix A.
	tests := []struct {
		in, want string
	}{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	}
	for _, tt := range tests {
		if got := HexSum([]byte(tt.in)); got != tt.want {
			t.Errorf("HexSum(%q) = %s, want %s", tt.in, got, tt.want)
		}
		sum := Sum([]byte(tt.in))
		if got := hex.EncodeToString(sum[:]); got != tt.want {
			t.Errorf("Sum(%q) = %s, want %s", tt.in, got, tt.want)
		}
		h := NewHash()
		for _, c := range []byte(tt.in) {
			h.Write([]byte{c})
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
			t.Errorf("NewHash streaming %q = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSM4KnownAnswer(t *testing.T) {
	// GB/T 32907-2016, appendix A, example 1.
	key := mustHex(t, "0123456789abcdeffedcba9876543210")
	want := mustHex(t, "681edf34d206965e86b3e94f536e4246")
	b, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	b.Encrypt(got, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("SM4 encrypt = %x, want %x", got, want)
	}
	if testing.Short() {
		return
	}
	// Example 2: one million encryptions.
	buf := append([]byte(nil), key...)
	for range 1000000 {
		b.Encrypt(buf, buf)
	}
	if want := mustHex(t, "595298c7c6fd271f0402f804c33d3f66"); !bytes.Equal(buf, want) {
		t.Fatalf("SM4 x1e6 = %x, want %x", buf, want)
	}
}

func TestSM4GCMKnownAnswer(t *testing.T) {
	// RFC 8998, appendix A.1.
	key := mustHex(t, "0123456789abcdeffedcba9876543210")
	nonce := mustHex(t, "00001234567800000000abcd")
	aad := mustHex(t, "feedfacedeadbeeffeedfacedeadbeefabaddad2")
	pt := mustHex(t, "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa")
	ct := mustHex(t, "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d")
	tag := mustHex(t, "83de3541e4c2b58177e065a9bf7b62ec")
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := append(append(append([]byte(nil), nonce...), ct...), tag...)
	got, err := s.Open(sealed, aad)
	if err != nil {
		t.Fatalf("Open(RFC 8998 vector): %v", err)
	}
	if !bytes.Equal(got, pt) {
		t.Fatalf("Open = %x, want %x", got, pt)
	}
}

func TestSignVerify(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("备案 filing 42")
	sig, err := Sign(k, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(&k.PublicKey, msg, sig) {
		t.Fatal("Verify rejected a valid signature")
	}
	// The signature is over SM3(Z || msg) with the default UID, as other GM/T implementations expect.
	digest, err := sm2.CalculateSM2Hash(&k.PublicKey, msg, []byte("1234567812345678"))
	if err != nil {
		t.Fatal(err)
	}
	if !sm2.VerifyASN1(&k.PublicKey, digest, sig) {
		t.Fatal("signature does not verify against SM3(Z||M) with the default UID")
	}

	tampered := append([]byte(nil), msg...)
	tampered[0] ^= 1
	if Verify(&k.PublicKey, tampered, sig) {
		t.Error("Verify accepted a tampered message")
	}
	badSig := append([]byte(nil), sig...)
	badSig[len(badSig)-1] ^= 1
	if Verify(&k.PublicKey, msg, badSig) {
		t.Error("Verify accepted a tampered signature")
	}
	if Verify(&k.PublicKey, msg, nil) {
		t.Error("Verify accepted an empty signature")
	}
	other, _ := GenerateKey()
	if Verify(&other.PublicKey, msg, sig) {
		t.Error("Verify accepted a signature under another key")
	}
	if Verify(nil, msg, sig) {
		t.Error("Verify accepted a nil key")
	}
}

func TestKeyEncoding(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := MarshalPrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Fatalf("private key PEM header: %q", p[:32])
	}
	k2, err := ParsePrivateKeyPEM(p)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(k2) {
		t.Fatal("private key did not round-trip")
	}
	der, err := MarshalPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&k.PublicKey) {
		t.Fatal("public key did not round-trip")
	}
	sig, _ := Sign(k2, []byte("m"))
	if !Verify(pub, []byte("m"), sig) {
		t.Fatal("round-tripped keys do not verify")
	}
	if _, err := ParsePrivateKeyPEM([]byte("junk")); err == nil {
		t.Error("ParsePrivateKeyPEM accepted junk")
	}
	if _, err := ParsePublicKey([]byte{0x30, 0x00}); err == nil {
		t.Error("ParsePublicKey accepted junk")
	}
}

func TestWrongCurveRejected(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey(der); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("ParsePublicKey(P-256) err = %v, want rejection naming the curve", err)
	}
	if _, err := MarshalPublicKey(&ec.PublicKey); err == nil {
		t.Error("MarshalPublicKey accepted a P-256 key")
	}
	if Verify(&ec.PublicKey, []byte("m"), []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}) {
		t.Error("Verify accepted a P-256 key")
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	p := []byte("-----BEGIN PRIVATE KEY-----\n" + wrap64(pkcs8) + "-----END PRIVATE KEY-----\n")
	if _, err := ParsePrivateKeyPEM(p); err == nil {
		t.Error("ParsePrivateKeyPEM accepted a P-256 key")
	}
}

func wrap64(der []byte) string {
	var b strings.Builder
	s := base64Std(der)
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	pt := []byte("数据源口令 secret")
	aad := []byte("source:42")
	c1 := s.Seal(pt, aad)
	c2 := s.Seal(pt, aad)
	if bytes.Equal(c1, c2) {
		t.Error("two seals of the same plaintext are equal: nonce not random")
	}
	if len(c1) != NonceSize+len(pt)+TagSize {
		t.Errorf("sealed length = %d, want %d", len(c1), NonceSize+len(pt)+TagSize)
	}
	got, err := s.Open(c1, aad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(c1, []byte("source:43")); err == nil {
		t.Error("Open accepted the wrong aad")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(c1, aad); err == nil {
		t.Error("Open accepted the wrong key")
	}
	bad := append([]byte(nil), c1...)
	bad[NonceSize] ^= 1
	if _, err := s.Open(bad, aad); err == nil {
		t.Error("Open accepted a tampered ciphertext")
	}
	if _, err := s.Open(c1[:NonceSize+TagSize-1], aad); err == nil {
		t.Error("Open accepted a truncated ciphertext")
	}
	empty := s.Seal(nil, nil)
	if got, err := s.Open(empty, nil); err != nil || len(got) != 0 {
		t.Errorf("Open(empty) = %q, %v", got, err)
	}
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 15, 17, 32} {
		_, err := NewSealer(make([]byte, n))
		if err == nil || !strings.Contains(err.Error(), "want 16") {
			t.Errorf("NewSealer(%d bytes) err = %v, want a key size error", n, err)
		}
	}
}
