package fed

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/pki"
	"github.com/shuan-dev/shuan/sqlstore"
)

// tokenPrefix versions the enrolment token format.
const tokenPrefix = "shuan1"

// NewToken creates a one-time enrolment token for a child of role, valid for
// ttl. The token string carries the token id, the secret and the SM3
// fingerprint of the ministry root, so the child can authenticate the parent
// before it holds any certificate. Only the secret's hash is stored.
func NewToken(rootFingerprint string, role shuan.Role, now time.Time, ttl time.Duration, by string) (string, shuan.Token, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", shuan.Token{}, fmt.Errorf("token secret: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	id := strings.ToLower(enc.EncodeToString(b[:5]))
	secret := strings.ToLower(enc.EncodeToString(b[5:]))
	t := shuan.Token{ID: id, SecretHash: gm.HexSum([]byte(secret)), Role: role, Created: now.UTC(),
		Expires: now.UTC().Add(ttl), CreatedBy: by}
	return strings.Join([]string{tokenPrefix, id, secret, rootFingerprint}, "."), t, nil
}

// ParsedToken is an enrolment token split into its parts.
type ParsedToken struct{ ID, Secret, RootFingerprint string }

// ParseToken splits an enrolment token, naming what is malformed.
func ParseToken(tok string) (ParsedToken, error) {
	p := strings.Split(strings.TrimSpace(tok), ".")
	if len(p) != 4 || p[0] != tokenPrefix {
		return ParsedToken{}, shuan.Errorf(shuan.EINVALID, "enrolment token is malformed: want shuan1.<id>.<secret>.<root fingerprint>")
	}
	if len(p[1]) != 8 || len(p[2]) != 24 || len(p[3]) != 64 {
		return ParsedToken{}, shuan.Errorf(shuan.EINVALID, "enrolment token is malformed: wrong part lengths")
	}
	return ParsedToken{ID: p[1], Secret: p[2], RootFingerprint: p[3]}, nil
}

// EnrollRequest is what a new child sends its parent with a token.
type EnrollRequest struct {
	Token   string     `json:"token"`
	Node    shuan.Node `json:"node"`             // id, name, region, industry, uscc; role comes from the token
	CSR     []byte     `json:"csr"`              // DER, for the TLS leaf
	CACSR   []byte     `json:"ca_csr,omitempty"` // DER, for a province's intermediate CA
	SignKey []byte     `json:"sign_key"`         // SM2 public key, PKIX DER
	// SignProof is an SM2 signature by SignKey over ProofInput(token, csr),
	// proving the child holds the key it asks to have certified.
	SignProof []byte   `json:"sign_proof"`
	Hosts     []string `json:"hosts,omitempty"` // names and addresses for the leaf
}

// EnrollResponse returns the child's certificates and its ancestors.
type EnrollResponse struct {
	Node      shuan.Node   `json:"node"`
	CertPEM   string       `json:"cert_pem"`
	CACertPEM string       `json:"ca_cert_pem,omitempty"`
	ChainPEM  string       `json:"chain_pem"` // issuer up to and including the root
	RootPEM   string       `json:"root_pem"`
	Ancestors []shuan.Node `json:"ancestors"` // parent first, each with its certificate
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	var req EnrollRequest
	if err := decodeBody(w, r, &req, 256<<10); err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.Enroll(r, req)
	if err != nil {
		s.Log.Warn("enrolment refused", "remote", r.RemoteAddr, "node", req.Node.ID, "err", shuan.ErrorMessage(err))
		s.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, resp)
}

// Enroll validates an enrolment request and issues the child's certificates.
func (s *Server) Enroll(r *http.Request, req EnrollRequest) (EnrollResponse, error) {
	ctx := r.Context()
	now := s.Now().UTC()
	if s.Authority == nil {
		return EnrollResponse{}, shuan.Errorf(shuan.EFORBIDDEN, "this node does not enrol children")
	}
	tok, err := ParseToken(req.Token)
	if err != nil {
		return EnrollResponse{}, err
	}
	self, err := s.DB.FindNode(ctx, s.SelfID)
	if err != nil {
		return EnrollResponse{}, err
	}
	if _, err := uuid.Parse(req.Node.ID); err != nil {
		return EnrollResponse{}, shuan.Errorf(shuan.EINVALID, "node id %q is not a UUID", req.Node.ID)
	}
	spub, err := gm.ParsePublicKey(req.SignKey)
	if err != nil {
		return EnrollResponse{}, shuan.Errorf(shuan.EINVALID, "sign_key is not an SM2 public key: %v", err)
	}
	if !gm.Verify(spub, ProofInput(req.Token, req.CSR), req.SignProof) {
		return EnrollResponse{}, shuan.Errorf(shuan.EINVALID, "sign_proof does not verify: the request must be signed with the SM2 key it presents")
	}
	if err := checkHosts(req.Hosts); err != nil {
		return EnrollResponse{}, err
	}
	var resp EnrollResponse
	err = s.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		t, err := tx.UseToken(ctx, tok.ID, gm.HexSum([]byte(tok.Secret)), now, req.Node.ID)
		if err != nil {
			return err
		}
		if t.Role != self.Role.ChildRole() {
			return shuan.Errorf(shuan.EFORBIDDEN, "a %s node cannot enrol a %s", self.Role, t.Role)
		}
		if req.Node.Role != "" && req.Node.Role != t.Role {
			return shuan.Errorf(shuan.EFORBIDDEN, "this token enrols a %s, not a %s: a %s enrols with its %s",
				t.Role, req.Node.Role, req.Node.Role, parentRoleOf(req.Node.Role))
		}
		n := shuan.Node{ID: req.Node.ID, Name: req.Node.Name, Role: t.Role, Region: req.Node.Region,
			Industry: req.Node.Industry, USCC: req.Node.USCC, ParentID: self.ID, Enrolled: now}
		if n.Region == "" && n.Role == shuan.RoleEnterprise {
			n.Region = self.Region
		}
		if n.Role == shuan.RoleEnterprise && self.Region != "" && n.Region[:2] != self.Region[:2] {
			return shuan.Errorf(shuan.EINVALID, "region %s lies outside this province (%s)", n.Region, self.Region)
		}
		if err := n.Validate(); err != nil {
			return err
		}
		if _, err := tx.FindNode(ctx, n.ID); err == nil {
			return shuan.Errorf(shuan.ECONFLICT, "node %s is already enrolled", n.ID)
		}
		id := pki.Identity{NodeID: n.ID, Role: string(n.Role), Name: n.Name, Region: n.Region,
			Industry: n.Industry, ParentID: self.ID, SignKey: req.SignKey}
		leaf, err := s.Authority.IssueLeaf(req.CSR, id, req.Hosts, now, s.LeafTTL)
		if err != nil {
			return shuan.Errorf(shuan.EINVALID, "leaf certificate request: %v", err)
		}
		if n.Role == shuan.RoleProvince {
			if len(req.CACSR) == 0 {
				return shuan.Errorf(shuan.EINVALID, "a province must send ca_csr for its intermediate CA")
			}
			ca, err := s.Authority.IssueCA(req.CACSR, id, now, 2*s.LeafTTL)
			if err != nil {
				return shuan.Errorf(shuan.EINVALID, "CA certificate request: %v", err)
			}
			resp.CACertPEM = string(ca)
		}
		n.CertPEM = string(leaf)
		if err := tx.UpsertNode(ctx, n); err != nil {
			return err
		}
		if _, err := tx.AppendAudit(ctx, now, "node:"+n.ID, "node.enroll", n.ID,
			fmt.Sprintf("%s %s region=%s industry=%s token=%s", n.Role, n.Name, n.Region, n.Industry, t.ID)); err != nil {
			return err
		}
		resp.Node, resp.CertPEM = n, string(leaf)
		resp.ChainPEM = string(s.Authority.ChainPEM())
		resp.RootPEM = string(pemOf(s.Authority.Root()))
		anc, err := ancestors(ctx, tx, self)
		if err != nil {
			return err
		}
		resp.Ancestors = anc
		if self.ParentID != "" {
			// Tell the ministry: the enterprise's leaf plus this node's CA chain.
			body := NodeRegistered{Node: n, ChainPEM: string(leaf) + resp.ChainPEM}
			body.Node.CertPEM = ""
			e, raw, err := Seal(s.SignKey, self.ID, shuan.KindNodeRegistered, body, now)
			if err != nil {
				return err
			}
			return tx.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: e.ID, Kind: e.Kind, Raw: raw,
				State: shuan.OutboxPending, NextAttempt: now, Created: now})
		}
		return nil
	})
	if err != nil {
		return EnrollResponse{}, err
	}
	if s.Pushed != nil {
		s.Pushed()
	}
	return resp, nil
}

// ancestors returns self and its ancestors, nearest first.
func ancestors(ctx context.Context, tx *sqlstore.Store, self shuan.Node) ([]shuan.Node, error) {
	out := []shuan.Node{self}
	for n := self; n.ParentID != ""; {
		p, err := tx.FindNode(ctx, n.ParentID)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		n = p
	}
	for i := range out {
		out[i].LastSeen, out[i].Health = time.Time{}, shuan.Health{}
	}
	return out, nil
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func parentRoleOf(r shuan.Role) string {
	switch r {
	case shuan.RoleEnterprise:
		return "province"
	case shuan.RoleProvince:
		return "ministry"
	}
	return "nothing"
}

// ProofInput is what a child signs with its SM2 key at enrolment: the
// token and the TLS CSR, binding the key to this one request.
func ProofInput(token string, csr []byte) []byte {
	return append([]byte("shuan-enrol-v1\x00"+token+"\x00"), csr...)
}
