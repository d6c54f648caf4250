package fed

import (
	"time"

	"github.com/shuan-dev/shuan"
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
}

// kinds is the registry of envelope kinds; an unknown kind is refused.
var kinds = map[string]kind{
	shuan.KindHeartbeat:      {version: 1, dir: up, ephemeral: true},
	shuan.KindNodeRegistered: {version: 1, dir: up, forward: true},
	shuan.KindNoticeStatus:   {version: 1, dir: up, forward: true},
	shuan.KindProbe:          {version: 1, dir: up, forward: true},
	shuan.KindNotice:         {version: 1, dir: down},
	shuan.KindRevocation:     {version: 1, dir: down},
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
