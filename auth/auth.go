// Package auth holds the console's credential primitives: argon2id password
// hashes in PHC string format, generated passwords and session tokens. It
// keeps no state; callers store the hashes.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams returns the costs HashPassword uses: 64 MiB, one pass, two
// lanes — above OWASP's argon2id floor (46 MiB, t=1) while one login costs
// well under 0.2 s of CPU on a small two-core server.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// Bounds accepted when reading a stored hash, so a corrupted or hostile
// hash string cannot make verification allocate or spin without limit.
const (
	maxMemory  = 1 << 20 // 1 GiB in KiB
	maxTime    = 16
	maxKeyLen  = 128
	minKeyLen  = 16
	maxSaltLen = 64
	minSaltLen = 8
)

var b64 = base64.RawStdEncoding

// HashPassword returns the argon2id hash of pw in PHC string format,
// $argon2id$v=19$m=65536,t=1,p=2$salt$hash.
func HashPassword(pw string) (string, error) {
	return HashPasswordWith(pw, DefaultParams())
}

// HashPasswordWith hashes pw with explicit parameters; tests use cheap ones.
// VerifyPassword reads the parameters back from the hash.
func HashPasswordWith(pw string, p Params) (string, error) {
	if pw == "" {
		return "", fmt.Errorf("hash password: empty password")
	}
	if p.Memory < 8*uint32(p.Threads) || p.Time == 0 || p.Threads == 0 || p.SaltLen < minSaltLen || p.KeyLen < minKeyLen {
		return "", fmt.Errorf("hash password: invalid argon2id parameters %+v", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches hash. It returns an error only
// when hash is not a well-formed argon2id PHC string.
func VerifyPassword(hash, pw string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parseHash decodes a PHC argon2id string.
func parseHash(hash string) (Params, []byte, []byte, error) {
	var p Params
	f := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(f) != 6 || f[0] != "" {
		return p, nil, nil, fmt.Errorf("verify password: hash is not a PHC string")
	}
	if f[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("verify password: algorithm %q is not argon2id", f[1])
	}
	var v int
	if _, err := fmt.Sscanf(f[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("verify password: unsupported argon2 version %q", f[2])
	}
	var threads uint32
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || n != 3 {
		return p, nil, nil, fmt.Errorf("verify password: bad parameters %q", f[3])
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || threads == 0 || threads > 255 || p.Memory < 8*threads {
		return p, nil, nil, fmt.Errorf("verify password: parameters %q out of range", f[3])
	}
	p.Threads = uint8(threads)
	salt, err := b64.DecodeString(f[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, fmt.Errorf("verify password: bad salt")
	}
	key, err := b64.DecodeString(f[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("verify password: bad key")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// passwordAlphabet leaves out characters people confuse when reading a
// password aloud or from paper: 0 O o 1 l I.
const passwordAlphabet = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// GeneratePassword returns a random password of four dash-separated groups
// of five characters (about 116 bits), e.g. "k7Pxq-3nRtw-HvZ9m-e2Lsa".
func GeneratePassword() string {
	var b strings.Builder
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			// crypto/rand does not fail on supported platforms (Go 1.24+).
			panic(fmt.Sprintf("auth: read random: %v", err))
		}
		b.WriteByte(passwordAlphabet[n.Int64()])
	}
	return b.String()
}

// NewSessionToken returns a fresh 256-bit session token for the client's
// cookie and its hash for the store.
func NewSessionToken() (token, hash string) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic(fmt.Sprintf("auth: read random: %v", err))
	}
	token = base64.RawURLEncoding.EncodeToString(raw[:])
	return token, HashToken(token)
}

// HashToken returns the hex SM3 digest under which a token is stored, so a
// leaked session table does not hand out live sessions.
func HashToken(token string) string {
	sum := sm3.Sum([]byte(token))
	return hex.EncodeToString(sum[:])
}
