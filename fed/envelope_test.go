package fed

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1, "a":[3,2,{"z":"x","y":null}]}`, `{"a":[3,2,{"y":null,"z":"x"}],"b":1}`},
		{`{"n": 1.50, "big": 12345678901234567890}`, `{"big":12345678901234567890,"n":1.50}`},
		{`"<数安>&"`, `"<数安>&"`},
	} {
		got, err := Canonical([]byte(tc.in))
		if err != nil {
			t.Fatalf("Canonical(%s): %v", tc.in, err)
		}
		if string(got) != tc.want {
			t.Errorf("Canonical(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if _, err := Canonical([]byte(`{"a":1} {"b":2}`)); err == nil {
		t.Error("two documents accepted")
	}
}

func sealTest(t *testing.T, body any) (shuan.Envelope, []byte) {
	t.Helper()
	key, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	origin := uuid.NewString()
	e, raw, err := Seal(key, origin, shuan.KindNoticeStatus, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse of a sealed envelope: %v", err)
	}
	if err := Verify(got, &key.PublicKey); err != nil {
		t.Fatalf("Verify of a sealed envelope: %v", err)
	}
	return e, raw
}

func TestSealParseVerify(t *testing.T) {
	body := NoticeStatusBody{NoticeID: uuid.NewString(), Status: shuan.NoticeAcked, By: "张三", At: time.Now().UTC()}
	e, raw := sealTest(t, body)
	if _, err := uuid.Parse(e.ID); err != nil || e.ID[14] != '7' {
		t.Errorf("id %q is not a UUIDv7", e.ID)
	}
	var back NoticeStatusBody
	if err := json.Unmarshal(e.Body, &back); err != nil || back.By != "张三" {
		t.Errorf("body did not round-trip: %v %+v", err, back)
	}
	_ = raw
}

// mutate decodes raw, applies f to the generic form and re-encodes it.
func mutate(t *testing.T, raw []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRefusesBadEnvelopes(t *testing.T) {
	_, raw := sealTest(t, NoticeStatusBody{NoticeID: uuid.NewString(), Status: shuan.NoticeRead, At: time.Now().UTC()})
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"not json", []byte(`{"id":`), "malformed envelope"},
		{"unknown field", mutate(t, raw, func(m map[string]any) { m["extra"] = 1 }), "malformed envelope"},
		{"bad id", mutate(t, raw, func(m map[string]any) { m["id"] = "42" }), "not a UUID"},
		{"unknown kind", mutate(t, raw, func(m map[string]any) { m["kind"] = "launch_missiles" }), `unknown kind "launch_missiles"`},
		{"future version", mutate(t, raw, func(m map[string]any) { m["version"] = 99 }), "version 99 not supported"},
		{"bad origin", mutate(t, raw, func(m map[string]any) { m["origin"] = "x" }), "not a node id"},
		{"tampered body", mutate(t, raw, func(m map[string]any) {
			m["body"].(map[string]any)["status"] = "acked"
		}), "SM3 digest does not match"},
		{"tampered kind", mutate(t, raw, func(m map[string]any) { m["kind"] = shuan.KindHeartbeat }), "SM3 digest does not match"},
		{"non-canonical body", bytes.Replace(raw, []byte(`"body":{`), []byte(`"body":{ `), 1), "not canonical"},
	} {
		_, err := Parse(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Parse error = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestVerifyRefusesWrongKeyAndForgedSignature(t *testing.T) {
	e, _ := sealTest(t, NoticeStatusBody{NoticeID: uuid.NewString(), Status: shuan.NoticeRead, At: time.Now().UTC()})
	other, _ := gm.GenerateKey()
	if err := Verify(e, &other.PublicKey); err == nil || !strings.Contains(err.Error(), "SM2 signature does not verify") {
		t.Errorf("Verify with another node's key = %v", err)
	}
	// An attacker who recomputes the digest after changing the body still
	// cannot produce the origin's signature.
	e.Body = json.RawMessage(`{"at":"2026-01-01T00:00:00Z","notice_id":"x","status":"acked"}`)
	in, _ := signingInput(e)
	e.SM3 = gm.HexSum(in)
	sig, _ := gm.Sign(other, in)
	e.Sig = base64.StdEncoding.EncodeToString(sig)
	raw, _ := json.Marshal(e)
	pe, err := Parse(raw)
	if err != nil {
		t.Fatalf("re-digested envelope should parse: %v", err)
	}
	key, _ := gm.GenerateKey()
	if err := Verify(pe, &key.PublicKey); err == nil {
		t.Error("forged envelope verified")
	}
}

func TestSealRefusesOversizeAndUnknownKind(t *testing.T) {
	key, _ := gm.GenerateKey()
	big := NoticeBody{Title: "x", Body: strings.Repeat("数", shuan.MaxBodyBytes/3+10), Severity: "info", Target: shuan.Target{All: true}}
	if _, _, err := Seal(key, uuid.NewString(), shuan.KindNotice, big, time.Now()); shuan.ErrorCode(err) != shuan.ETOOLARGE {
		t.Errorf("oversize body: err = %v, want too_large", err)
	}
	if _, _, err := Seal(key, uuid.NewString(), "nope", struct{}{}, time.Now()); shuan.ErrorCode(err) != shuan.EINVALID {
		t.Errorf("unknown kind: err = %v", err)
	}
}

func TestToken(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	s, tok, err := NewToken(fp, shuan.RoleEnterprise, time.Now(), time.Hour, "cli")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseToken(s)
	if err != nil {
		t.Fatalf("ParseToken(%q): %v", s, err)
	}
	if p.ID != tok.ID || p.RootFingerprint != fp || gm.HexSum([]byte(p.Secret)) != tok.SecretHash {
		t.Errorf("token parts do not match: %+v vs %+v", p, tok)
	}
	if strings.Contains(tok.SecretHash, p.Secret) {
		t.Error("stored hash contains the secret")
	}
	for _, bad := range []string{"", "shuan1.a.b.c", strings.Replace(s, "shuan1", "shuan2", 1), s + ".x"} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	key, _ := gm.GenerateKey()
	_, raw, _ := Seal(key, uuid.NewString(), shuan.KindHeartbeat, Heartbeat{}, time.Now())
	f.Add(raw)
	f.Add([]byte(`{"id":"0190f0f0-0000-7000-8000-000000000000","kind":"notice","version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err == nil {
			// Anything accepted must re-encode to a form that parses again.
			again, _ := json.Marshal(e)
			if _, err := Parse(again); err != nil {
				t.Fatalf("accepted envelope does not survive re-encoding: %v", err)
			}
		}
	})
}
