package auth

import (
	"strings"
	"testing"
	"time"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h, err := HashPasswordWith("正确的密码 correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	ok, err := VerifyPassword(h, "正确的密码 correct horse")
	if err != nil || !ok {
		t.Fatalf("verify right password = %v, %v", ok, err)
	}
	ok, err = VerifyPassword(h, "wrong")
	if err != nil || ok {
		t.Fatalf("verify wrong password = %v, %v", ok, err)
	}
	h2, _ := HashPasswordWith("正确的密码 correct horse", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestDefaultParams(t *testing.T) {
	start := time.Now()
	h, err := HashPassword("s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("argon2id %s: %v", h[:30], time.Since(start))
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Fatalf("default hash %q", h)
	}
	if ok, err := VerifyPassword(h, "s3cret-pass"); err != nil || !ok {
		t.Fatalf("verify = %v, %v", ok, err)
	}
}

func TestHashRejects(t *testing.T) {
	if _, err := HashPassword(""); err == nil {
		t.Error("empty password hashed")
	}
	if _, err := HashPasswordWith("x", Params{Memory: 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}); err == nil {
		t.Error("tiny memory accepted")
	}
}

func TestVerifyMalformed(t *testing.T) {
	good, _ := HashPasswordWith("pw", cheap)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":        "",
		"plain":        "pw",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuuC4VhP2rS2gS7v1wDp2mN3b1I6p6Xy",
		"argon2i":      "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"version":      "$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"params":       "$argon2id$v=19$m=x,t=1,p=1$" + parts[4] + "$" + parts[5],
		"huge memory":  "$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"huge time":    "$argon2id$v=19$m=64,t=1000,p=1$" + parts[4] + "$" + parts[5],
		"zero threads": "$argon2id$v=19$m=64,t=1,p=0$" + parts[4] + "$" + parts[5],
		"salt b64":     "$argon2id$v=19$m=64,t=1,p=1$!!!$" + parts[5],
		"short salt":   "$argon2id$v=19$m=64,t=1,p=1$YWJj$" + parts[5],
		"short key":    "$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$YWJj",
		"extra field":  good + "$x",
	} {
		ok, err := VerifyPassword(h, "pw")
		if err == nil || ok {
			t.Errorf("%s: VerifyPassword(%q) = %v, %v; want error", name, h, ok, err)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := GeneratePassword()
		if len(p) < 16 {
			t.Fatalf("password %q shorter than 16", p)
		}
		if strings.ContainsAny(p, "0Oo1lI") {
			t.Fatalf("password %q has a confusable character", p)
		}
		if seen[p] {
			t.Fatalf("password %q repeated", p)
		}
		seen[p] = true
	}
}

func TestSessionToken(t *testing.T) {
	tok, h := NewSessionToken()
	if len(tok) < 40 || len(h) != 64 {
		t.Fatalf("token %q hash %q", tok, h)
	}
	if HashToken(tok) != h {
		t.Fatal("HashToken differs from NewSessionToken's hash")
	}
	tok2, _ := NewSessionToken()
	if tok == tok2 {
		t.Fatal("tokens repeat")
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("benchmark-password"); err != nil {
			b.Fatal(err)
		}
	}
}
