// Package pki issues and checks the certificates that nodes of the
// three-tier federation (ministry → province → enterprise) use to
// authenticate each other.
//
// # Chain
//
// The ministry holds a self-signed root CA (NewRoot; 10 years by default,
// path length 1). At enrolment a province receives two certificates from the
// root: a node leaf for its own TLS, and an intermediate CA (IssueCA; path
// length 0, a separate ECDSA key, 5 years by default) with which it enrols its
// enterprises. An enterprise receives only a leaf (IssueLeaf; 1 year by
// default). Every leaf carries the ServerAuth and ClientAuth extended key
// usages and the DNS names and IP addresses given by the issuing caller; no
// certificate outlives its issuer.
//
//	ministry root CA ──┬── ministry leaf
//	                   ├── province leaf
//	                   └── province CA ── enterprise leaf
//
// Servers present their whole chain, root included (KeyPair builds it), so a
// child that knows only the root's SM3 fingerprint from its enrolment token can
// check the server before it holds the root (PinnedConfig).
//
// # Identity
//
// A node's Identity is decided by its parent and bound into each of its
// certificates, CA certificates included, by two non-critical private
// extensions:
//
//	OIDArc      1.3.6.1.4.1.32473.48277
//	OIDIdentity 1.3.6.1.4.1.32473.48277.1  UTF8String holding the Identity as JSON, without sign_key
//	OIDSignKey  1.3.6.1.4.1.32473.48277.2  SubjectPublicKeyInfo DER of the node's SM2 public key
//
// The identity in a CSR is only a proposal (RequestedIdentity); IssueLeaf and
// IssueCA take it from their id argument. Issuance follows the tiers: a node
// may certify itself or a node of the next tier whose parent it is, and
// CheckChain enforces the same rule on every verified chain at handshake time,
// so a compromised province CA cannot pass for the ministry or for another
// province's enterprises.
//
// The arc is provisional. The design called for 2.25.<UUID> (ITU-T X.667),
// but Go's encoding/asn1 and cryptobyte reject OID components above 2^31-1,
// so crypto/x509 cannot parse a certificate carrying an extension under any
// UUID arc. 1.3.6.1.4.1.32473 is the IANA enterprise number reserved for
// documentation (RFC 5612); before certificates are issued in production,
// shuan should register its own Private Enterprise Number with IANA and change
// these three OIDs, which is the only change needed.
//
// # Why ECDSA for TLS and SM2 for signatures
//
// Go's crypto/tls cannot negotiate SM2 certificates, and no TLCP (GB/T 38636,
// the GM TLS profile) stack is available as a Go library here, so transport
// uses TLS 1.3 with ECDSA P-256 certificates. What regulators rely on — the
// signatures on envelopes, filings and audit checkpoints — uses SM2 with SM3
// (package gm). The SM2 key is bound to the node by the OIDSignKey extension
// of a certificate that the parent signed, so a verified TLS peer's
// certificate also tells which SM2 key must have signed its messages. The
// enrolment protocol should have the child prove possession of its SM2 key,
// for example by signing its CSR with it.
//
// # Revocation
//
// Each CA publishes CRLs (Authority.CRL) that flow down the federation; a
// RevocationSet verifies each CRL against its issuer, keeps the newest by CRL
// number and is consulted for every certificate of a verified chain except
// the root.
package pki
