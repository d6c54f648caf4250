// Package fed is the federation protocol between ministry, province and
// enterprise nodes: signed envelopes, the kinds they carry, the receiving
// server, and the client side that pushes up through a durable outbox and
// pulls down with long-polls. Children initiate every connection.
package fed

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
)

// Canonical re-encodes a JSON document with sorted object keys, no
// insignificant white space and numbers kept as written, so that a signature
// over it verifies on every hop.
func Canonical(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("canonical json: trailing data after the document")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// CanonicalOf marshals v and canonicalises the result.
func CanonicalOf(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("marshal body: %w", err)
	}
	return Canonical(buf.Bytes())
}

// signingInput is what the origin signs: every header field and the body.
func signingInput(e shuan.Envelope) ([]byte, error) {
	hdr := struct {
		ID       string          `json:"id"`
		Kind     string          `json:"kind"`
		Version  int             `json:"version"`
		Origin   string          `json:"origin"`
		IssuedAt string          `json:"issued_at"`
		Body     json.RawMessage `json:"body"`
	}{e.ID, e.Kind, e.Version, e.Origin, e.IssuedAt.UTC().Format(time.RFC3339Nano), e.Body}
	return CanonicalOf(hdr)
}

// Seal builds and signs an envelope of the given kind with body, returning it
// and its JSON encoding, which is what every hop stores verbatim.
func Seal(key *sm2.PrivateKey, origin, kind string, body any, now time.Time) (shuan.Envelope, []byte, error) {
	k, ok := kinds[kind]
	if !ok {
		return shuan.Envelope{}, nil, shuan.Errorf(shuan.EINVALID, "unknown envelope kind %q", kind)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return shuan.Envelope{}, nil, fmt.Errorf("envelope id: %w", err)
	}
	b, err := CanonicalOf(body)
	if err != nil {
		return shuan.Envelope{}, nil, err
	}
	if len(b) > shuan.MaxBodyBytes {
		return shuan.Envelope{}, nil, shuan.Errorf(shuan.ETOOLARGE, "%s body is %d bytes, limit %d", kind, len(b), shuan.MaxBodyBytes)
	}
	e := shuan.Envelope{ID: id.String(), Kind: kind, Version: k.version, Origin: origin,
		IssuedAt: now.UTC().Truncate(time.Microsecond), Body: b}
	in, err := signingInput(e)
	if err != nil {
		return shuan.Envelope{}, nil, err
	}
	e.SM3 = gm.HexSum(in)
	sig, err := gm.Sign(key, in)
	if err != nil {
		return shuan.Envelope{}, nil, fmt.Errorf("sign envelope: %w", err)
	}
	e.Sig = base64.StdEncoding.EncodeToString(sig)
	raw, err := json.Marshal(e)
	if err != nil {
		return shuan.Envelope{}, nil, fmt.Errorf("marshal envelope: %w", err)
	}
	return e, raw, nil
}

var reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Parse decodes an envelope strictly and checks its shape: known kind and
// version, well-formed id and origin, canonical body within the size limit,
// and an SM3 digest that matches. It does not check the signature.
func Parse(raw []byte) (shuan.Envelope, error) {
	var e shuan.Envelope
	if len(raw) > shuan.MaxBodyBytes+4096 {
		return e, shuan.Errorf(shuan.ETOOLARGE, "envelope is %d bytes, limit %d", len(raw), shuan.MaxBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, shuan.Errorf(shuan.EINVALID, "malformed envelope: %v", err)
	}
	if !reUUID.MatchString(e.ID) {
		return e, shuan.Errorf(shuan.EINVALID, "envelope id %q is not a UUID", e.ID)
	}
	k, ok := kinds[e.Kind]
	if !ok {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: unknown kind %q", e.ID, e.Kind)
	}
	if e.Version < 1 || e.Version > k.version {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: %s version %d not supported (max %d)", e.ID, e.Kind, e.Version, k.version)
	}
	if !reUUID.MatchString(e.Origin) {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: origin %q is not a node id", e.ID, e.Origin)
	}
	if e.IssuedAt.IsZero() {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: issued_at missing", e.ID)
	}
	if len(e.Body) > shuan.MaxBodyBytes {
		return e, shuan.Errorf(shuan.ETOOLARGE, "envelope %s: body is %d bytes, limit %d", e.ID, len(e.Body), shuan.MaxBodyBytes)
	}
	c, err := Canonical(e.Body)
	if err != nil {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: body: %v", e.ID, err)
	}
	if !bytes.Equal(c, e.Body) {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: body is not canonical JSON", e.ID)
	}
	in, err := signingInput(e)
	if err != nil {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: %v", e.ID, err)
	}
	if gm.HexSum(in) != e.SM3 {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s: SM3 digest does not match its content (tampered?)", e.ID)
	}
	return e, nil
}

// Verify checks the origin's SM2 signature over the envelope.
func Verify(e shuan.Envelope, pub *ecdsa.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	if err != nil {
		return shuan.Errorf(shuan.EINVALID, "envelope %s: signature is not base64", e.ID)
	}
	in, err := signingInput(e)
	if err != nil {
		return shuan.Errorf(shuan.EINVALID, "envelope %s: %v", e.ID, err)
	}
	if !gm.Verify(pub, in, sig) {
		return shuan.Errorf(shuan.EINVALID, "envelope %s: SM2 signature does not verify against origin %s", e.ID, e.Origin)
	}
	return nil
}
