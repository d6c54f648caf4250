package fed

import (
	"context"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/sqlstore"
)

// direction says which way a kind travels.
type direction int

const (
	up direction = iota + 1
	down
)

// kind describes how a node treats an envelope kind.
type kind struct {
	version int
	dir     direction
	// ephemeral kinds are verified and applied but not stored or forwarded
	// verbatim: a heartbeat every 30 s from 45,000 nodes is state, not record.
	ephemeral bool
	// forward kinds travel on from a province to the ministry unchanged.
	forward bool
	// up applies an upward envelope at the receiver, inside the transaction
	// that stores it; it reports whether the envelope travels on.
	up func(ctx context.Context, u Up) (forward bool, err error)
	// down applies a downward envelope at a child, inside the transaction
	// that stores it.
	down func(ctx context.Context, d Down) error
}

// Up is what an upward handler works with.
type Up struct {
	S    *Server
	Tx   *sqlstore.Store
	Peer string // the child that handed the envelope over
	E    shuan.Envelope
	Raw  []byte
	Now  time.Time
}

// Down is what a downward handler works with.
type Down struct {
	A    *Agent
	Tx   *sqlstore.Store
	Self shuan.Node
	E    shuan.Envelope
	Raw  []byte
	Now  time.Time
}

// registerKind adds an envelope kind; each kind's file calls it from init.
func registerKind(name string, k kind) {
	if _, dup := kinds[name]; dup {
		panic("fed: duplicate kind " + name)
	}
	kinds[name] = k
}

// kinds is the registry of envelope kinds; an unknown kind is refused.
var kinds = map[string]kind{}

func init() {
	registerKind(shuan.KindHeartbeat, kind{version: 1, dir: up, ephemeral: true, up: upHeartbeat})
	registerKind(shuan.KindNodeRegistered, kind{version: 1, dir: up, forward: true, up: upNodeRegistered})
	registerKind(shuan.KindNoticeStatus, kind{version: 1, dir: up, forward: true, up: upNoticeStatus})
	registerKind(shuan.KindProbe, kind{version: 1, dir: up, forward: true, up: upProbe})
	registerKind(shuan.KindNotice, kind{version: 1, dir: down, down: downNotice})
	registerKind(shuan.KindRevocation, kind{version: 1, dir: down, down: downRevocation})
}

// Heartbeat is the body of a heartbeat: the sender's health and, from a
// province, the last-seen state of its children so the ministry's tree stays
// current without every enterprise heartbeat travelling up.
type Heartbeat struct {
	Health   shuan.Health `json:"health"`
	Children []ChildSeen  `json:"children,omitempty"`
}

// ChildSeen is a child's last heartbeat as seen by its parent.
type ChildSeen struct {
	ID       string       `json:"id"`
	LastSeen time.Time    `json:"last_seen"`
	Health   shuan.Health `json:"health"`
}

// NodeRegistered is sent up when a province enrols an enterprise: the node
// and its certificate chain (leaf first, up to but excluding the root), so
// the ministry can verify the enterprise's own signatures.
type NodeRegistered struct {
	Node     shuan.Node `json:"node"`
	ChainPEM string     `json:"chain_pem"`
}

// NoticeBody is the body of a notice envelope; the notice id is the envelope id.
type NoticeBody struct {
	Title    string       `json:"title"`
	Body     string       `json:"body"`
	Severity string       `json:"severity"`
	Target   shuan.Target `json:"target"`
}

// NoticeStatusBody reports one node's progress on one notice.
type NoticeStatusBody struct {
	NoticeID string    `json:"notice_id"`
	Status   string    `json:"status"`
	By       string    `json:"by,omitempty"`
	At       time.Time `json:"at"`
}

// RevocationBody carries a CRL issued by the origin's CA, sent down so that
// descendants stop trusting the revoked certificate.
type RevocationBody struct {
	CRL      []byte             `json:"crl"` // DER
	IssuerID string             `json:"issuer_id"`
	Revoked  []shuan.Revocation `json:"revoked"`
}

// Probe is the body of a probe: a diagnostic envelope that travels up to the
// ministry and is recorded at every hop, to check the path end to end.
type Probe struct {
	Seq  int64  `json:"seq"`
	Note string `json:"note,omitempty"`
}
