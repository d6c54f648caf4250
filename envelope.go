package shuan

import (
	"encoding/json"
	"time"
)

// Envelope kinds carried by the federation.
const (
	KindHeartbeat      = "heartbeat"       // up: a node's health and its children's last-seen
	KindNodeRegistered = "node_registered" // up: a province enrolled an enterprise
	KindNotice         = "notice"          // down: a notice to a target set
	KindNoticeStatus   = "notice_status"   // up: a node read or acknowledged a notice
	KindRevocation     = "revocation"      // down: a certificate revoked by its issuer
	KindProbe          = "probe"           // up: a diagnostic envelope recorded at every hop
)

// MaxBodyBytes bounds an envelope body; larger envelopes are refused.
const MaxBodyBytes = 4 << 20

// Envelope is a signed message between nodes. Every hop stores it verbatim so
// that any ancestor can verify the origin's own SM2 signature.
type Envelope struct {
	ID       string          `json:"id"`      // UUIDv7
	Kind     string          `json:"kind"`    // one of the Kind* constants
	Version  int             `json:"version"` // body schema version of the kind
	Origin   string          `json:"origin"`  // node id of the signer
	IssuedAt time.Time       `json:"issued_at"`
	Body     json.RawMessage `json:"body"`      // canonical JSON
	SM3      string          `json:"sm3"`       // hex SM3 over the signing input
	Sig      string          `json:"signature"` // base64 SM2 signature over the signing input
}

// Receipt is a receiver's signed answer to one delivered envelope.
type Receipt struct {
	EnvelopeID string    `json:"envelope_id"`
	Status     string    `json:"status"` // accepted | duplicate | rejected
	Reason     string    `json:"reason,omitempty"`
	Receiver   string    `json:"receiver"`
	At         time.Time `json:"at"`
	Sig        string    `json:"signature,omitempty"`
}

// Receipt statuses.
const (
	ReceiptAccepted  = "accepted"
	ReceiptDuplicate = "duplicate"
	ReceiptRejected  = "rejected"
)

// Outbox item states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxRejected  = "rejected"
)

// OutboxItem is one envelope waiting to be pushed to the parent.
type OutboxItem struct {
	EnvelopeID  string    `json:"envelope_id"`
	Kind        string    `json:"kind"`
	Raw         []byte    `json:"-"` // the envelope's JSON as signed and stored
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	Created     time.Time `json:"created_at"`
	Delivered   time.Time `json:"delivered_at,omitzero"`
	Receipt     []byte    `json:"-"`
}

// OutboxStats summarises the outbox for status pages and heartbeats.
type OutboxStats struct {
	Pending       int       `json:"pending"`
	Delivered     int       `json:"delivered"`
	Rejected      int       `json:"rejected"`
	OldestPending time.Time `json:"oldest_pending,omitzero"`
}

// StoredEnvelope is an envelope as kept by a node that received or sent it.
type StoredEnvelope struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Origin   string    `json:"origin"`
	From     string    `json:"from"` // peer node id that handed it over ("" if local)
	IssuedAt time.Time `json:"issued_at"`
	Received time.Time `json:"received_at"`
	Raw      []byte    `json:"-"`
}

// DownItem is an envelope in a node's downward feed, pulled by its children.
type DownItem struct {
	Seq        int64     `json:"seq"`
	EnvelopeID string    `json:"envelope_id"`
	Kind       string    `json:"kind"`
	Target     Target    `json:"target"`
	Raw        []byte    `json:"-"`
	Created    time.Time `json:"created_at"`
}
