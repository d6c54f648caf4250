package pki

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/shuan-dev/shuan/gm"
)

// Object identifiers of shuan's private certificate extensions; see the package documentation.
var (
	// OIDArc is the arc under which shuan's private OIDs live.
	OIDArc = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 48277}
	// OIDIdentity marks the extension carrying the node Identity as a JSON UTF8String.
	OIDIdentity = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 48277, 1}
	// OIDSignKey marks the extension carrying the node's SM2 public key as SubjectPublicKeyInfo DER.
	OIDSignKey = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 48277, 2}
)

// Node roles, the three tiers of the federation.
const (
	RoleMinistry   = "ministry"
	RoleProvince   = "province"
	RoleEnterprise = "enterprise"
)

// Identity is who a node is, as decided by its parent and bound into its certificates.
type Identity struct {
	NodeID   string `json:"node_id"`            // UUID
	Role     string `json:"role"`               // "ministry" | "province" | "enterprise"
	Name     string `json:"name"`               // display name, e.g. the enterprise's registered name
	Region   string `json:"region,omitempty"`   // GB/T 2260 6-digit code
	Industry string `json:"industry,omitempty"` // GB/T 4754 code, e.g. "C39" or "C3973"
	USCC     string `json:"uscc,omitempty"`     // unified social credit code (统一社会信用代码), enterprises
	ParentID string `json:"parent_id,omitempty"`
	SignKey  []byte `json:"sign_key"` // SM2 public key, PKIX DER (gm.MarshalPublicKey)
}

// childRole is the role a node of role r enrols, or "" if none.
func childRole(r string) string {
	switch r {
	case RoleMinistry:
		return RoleProvince
	case RoleProvince:
		return RoleEnterprise
	}
	return ""
}

// Validate reports the first problem that makes id unusable in a certificate.
func (id Identity) Validate() error {
	if !isUUID(id.NodeID) {
		return fmt.Errorf("node_id must be a UUID, got %q", id.NodeID)
	}
	switch id.Role {
	case RoleMinistry:
		if id.ParentID != "" {
			return errors.New("a ministry node has no parent_id")
		}
	case RoleProvince, RoleEnterprise:
		if !isUUID(id.ParentID) {
			return fmt.Errorf("parent_id of a %s node must be a UUID, got %q", id.Role, id.ParentID)
		}
	default:
		return fmt.Errorf("role must be ministry, province or enterprise, got %q", id.Role)
	}
	if id.Name == "" || len(id.Name) > 512 || !utf8.ValidString(id.Name) {
		return errors.New("name must be 1 to 512 bytes of UTF-8")
	}
	if id.Region != "" && !isDigits(id.Region, 6) {
		return fmt.Errorf("region must be a 6-digit GB/T 2260 code, got %q", id.Region)
	}
	if id.Industry != "" && !isIndustry(id.Industry) {
		return fmt.Errorf("industry must be a GB/T 4754 code such as C39, got %q", id.Industry)
	}
	if id.USCC != "" && (len(id.USCC) != 18 || !isUpperAlnum(id.USCC)) {
		return fmt.Errorf("uscc must be 18 upper-case letters or digits, got %q", id.USCC)
	}
	if _, err := gm.ParsePublicKey(id.SignKey); err != nil {
		return fmt.Errorf("sign_key: %w", err)
	}
	return nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIndustry(s string) bool {
	if len(s) < 1 || len(s) > 5 || s[0] < 'A' || s[0] > 'T' {
		return false
	}
	return len(s) == 1 || isDigits(s[1:], len(s)-1) && len(s) >= 3
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// identityExtensions encodes id as the two private extensions; SignKey travels only in OIDSignKey.
func identityExtensions(id Identity) ([]pkix.Extension, error) {
	signKey := id.SignKey
	id.SignKey = nil
	js, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("encode identity: %w", err)
	}
	val, err := asn1.MarshalWithParams(string(js), "utf8")
	if err != nil {
		return nil, fmt.Errorf("encode identity: %w", err)
	}
	exts := []pkix.Extension{{Id: OIDIdentity, Value: val}}
	if len(signKey) > 0 {
		exts = append(exts, pkix.Extension{Id: OIDSignKey, Value: signKey})
	}
	return exts, nil
}

// decodeIdentity reads the private extensions without validating the result.
func decodeIdentity(exts []pkix.Extension) (Identity, error) {
	var id Identity
	var idVal, keyVal []byte
	for _, e := range exts {
		switch {
		case e.Id.Equal(OIDIdentity):
			idVal = e.Value
		case e.Id.Equal(OIDSignKey):
			keyVal = e.Value
		}
	}
	if idVal == nil {
		return id, errors.New("no identity extension")
	}
	var js string
	rest, err := asn1.UnmarshalWithParams(idVal, &js, "utf8")
	if err != nil {
		return id, fmt.Errorf("decode identity extension: %w", err)
	}
	if len(rest) > 0 {
		return id, errors.New("decode identity extension: trailing data")
	}
	if err := json.Unmarshal([]byte(js), &id); err != nil {
		return id, fmt.Errorf("decode identity extension: %w", err)
	}
	if len(id.SignKey) > 0 {
		return id, errors.New("identity extension must not carry sign_key")
	}
	id.SignKey = bytes.Clone(keyVal)
	return id, nil
}

// IdentityOf returns the node identity bound into cert.
func IdentityOf(cert *x509.Certificate) (Identity, error) {
	if cert == nil {
		return Identity{}, errors.New("identity of certificate: nil certificate")
	}
	id, err := decodeIdentity(cert.Extensions)
	if err != nil {
		return Identity{}, fmt.Errorf("identity of certificate %q: %w", cert.Subject.CommonName, err)
	}
	if err := id.Validate(); err != nil {
		return Identity{}, fmt.Errorf("identity of certificate %q: %w", cert.Subject.CommonName, err)
	}
	return id, nil
}

// checkIssuance reports whether a node of identity issuer may certify child:
// itself (same node and role) or a node of the next tier down whose parent it is.
func checkIssuance(issuer, child Identity) error {
	if child.NodeID == issuer.NodeID {
		if child.Role != issuer.Role {
			return fmt.Errorf("node %s is %s in its issuer's certificate but %s in the new one", child.NodeID, issuer.Role, child.Role)
		}
		return nil
	}
	if want := childRole(issuer.Role); want == "" || child.Role != want {
		return fmt.Errorf("a %s may not certify a %s", issuer.Role, child.Role)
	}
	if child.ParentID != issuer.NodeID {
		return fmt.Errorf("parent_id %q is not the issuing node %q", child.ParentID, issuer.NodeID)
	}
	return nil
}

// CheckChain verifies that the identities along a verified chain (leaf first,
// root last) follow the federation's tiers, so that a compromised province
// cannot mint certificates for the ministry or another province's nodes.
func CheckChain(chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return errors.New("check chain: empty chain")
	}
	ids := make([]Identity, len(chain))
	for i, c := range chain {
		id, err := IdentityOf(c)
		if err != nil {
			return fmt.Errorf("check chain: %w", err)
		}
		ids[i] = id
	}
	root := ids[len(ids)-1]
	if root.Role != RoleMinistry {
		return fmt.Errorf("check chain: root belongs to a %s, want ministry", root.Role)
	}
	for i := 0; i+1 < len(ids); i++ {
		if err := checkIssuance(ids[i+1], ids[i]); err != nil {
			return fmt.Errorf("check chain: certificate %q: %w", chain[i].Subject.CommonName, err)
		}
	}
	return nil
}

// subject builds the distinguished name of a node's certificate.
func subject(id Identity, ca bool) pkix.Name {
	cn := truncateRunes(id.Name, 60)
	if ca {
		cn = truncateRunes(id.Name, 57) + " CA"
	}
	return pkix.Name{
		Organization:       []string{"shuan"},
		OrganizationalUnit: []string{id.Role},
		CommonName:         cn,
		SerialNumber:       id.NodeID,
	}
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
