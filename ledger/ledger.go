// Package ledger computes and verifies shuan's tamper-evident audit log: a
// chain of records, each holding the SM3 hash of its predecessor.
//
// The package is storage-free: a store persists Records as Next builds them,
// and Verify or VerifyStream recomputes the chain. The first record has Seq 1
// and Prev equal to Genesis (64 zeros); each later record has the next Seq and
// the Hash of the record before it as Prev.
//
// A hash chain detects changes, deletions, insertions and reordering anywhere
// before its head, but not the removal of the newest records: compare the head
// that VerifyStream returns with a signed checkpoint for that.
package ledger

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"time"

	"github.com/shuan-dev/shuan/gm"
)

// Genesis is the Prev of the first record.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hashDomain prefixes the hashed encoding so that ledger hashes cannot be
// confused with SM3 digests of anything else, and versions the encoding.
const hashDomain = "shuan.ledger.v1"

// Record is one entry of the audit log.
type Record struct {
	Seq    int64     `json:"seq"`    // 1 for the first record
	At     time.Time `json:"at"`     // UTC, truncated to microseconds
	Actor  string    `json:"actor"`  // "user:alice", "node:<id>" or "system"
	Action string    `json:"action"` // e.g. "user.login", "node.enroll", "notice.send"
	Object string    `json:"object"`
	Detail string    `json:"detail"` // canonical JSON or text
	Prev   string    `json:"prev"`   // Hash of the previous record, Genesis for the first
	Hash   string    `json:"hash"`   // ComputeHash of this record
}

// Next returns the record that follows prev (nil for the first), with Seq, Prev and Hash filled in.
func Next(prev *Record, at time.Time, actor, action, object, detail string) Record {
	r := Record{
		Seq:    1,
		At:     at.UTC().Truncate(time.Microsecond),
		Actor:  actor,
		Action: action,
		Object: object,
		Detail: detail,
		Prev:   Genesis,
	}
	if prev != nil {
		r.Seq = prev.Seq + 1
		r.Prev = prev.Hash
	}
	r.Hash = r.ComputeHash()
	return r
}

// ComputeHash returns the lowercase hex SM3 of a length-prefixed encoding of
// every field but Hash; At counts in whole microseconds since the Unix epoch.
func (r Record) ComputeHash() string {
	h := gm.NewHash()
	writeString(h, hashDomain)
	writeInt(h, r.Seq)
	writeInt(h, r.At.UnixMicro())
	writeString(h, r.Actor)
	writeString(h, r.Action)
	writeString(h, r.Object)
	writeString(h, r.Detail)
	writeString(h, r.Prev)
	return hex.EncodeToString(h.Sum(nil))
}

func writeInt(h hash.Hash, v int64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	h.Write(b[:])
}

func writeString(h hash.Hash, s string) {
	writeInt(h, int64(len(s)))
	h.Write([]byte(s))
}

// Error describes the first record at which a chain fails to verify.
type Error struct {
	Seq    int64 // the sequence number expected at the failing position
	Reason string
}

// Error returns the failure as text.
func (e *Error) Error() string {
	return fmt.Sprintf("ledger: seq %d: %s", e.Seq, e.Reason)
}

// verifier checks records one at a time against the chain so far.
type verifier struct {
	n    int64  // records accepted
	head string // Hash of the last accepted record
}

func newVerifier() verifier { return verifier{head: Genesis} }

// check accepts r as the next record or says why not.
func (v *verifier) check(r Record) error {
	want := v.n + 1
	fail := func(format string, args ...any) error {
		return &Error{Seq: want, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case r.Seq != want:
		return fail("found seq %d (record missing, inserted or out of order)", r.Seq)
	case r.Prev != v.head:
		return fail("prev %.16s… does not match the hash of the previous record %.16s…", r.Prev, v.head)
	case r.At.Nanosecond()%1000 != 0:
		return fail("time %s is finer than a microsecond", r.At.Format(time.RFC3339Nano))
	}
	if h := r.ComputeHash(); r.Hash != h {
		return fail("hash %.16s… does not match the record's content (%.16s…)", r.Hash, h)
	}
	v.n, v.head = want, r.Hash
	return nil
}

// Verify checks a whole log from its first record: sequence numbers, prev
// links and hashes. Its error is an *Error naming the first bad seq.
func Verify(records []Record) error {
	v := newVerifier()
	for _, r := range records {
		if err := v.check(r); err != nil {
			return err
		}
	}
	return nil
}

// VerifyAfter checks records that continue the chain after prev, such as a
// page of a long log; prev's own hash is rechecked but its place in the chain
// is taken on trust. Its error is an *Error naming the first bad seq.
func VerifyAfter(prev Record, records []Record) error {
	if prev.Seq < 1 {
		return &Error{Seq: prev.Seq, Reason: "anchor record has no valid seq"}
	}
	if prev.At.Nanosecond()%1000 != 0 || prev.ComputeHash() != prev.Hash {
		return &Error{Seq: prev.Seq, Reason: "anchor record's hash does not match its content"}
	}
	v := verifier{n: prev.Seq, head: prev.Hash}
	for _, r := range records {
		if err := v.check(r); err != nil {
			return err
		}
	}
	return nil
}

// VerifyStream checks a whole log read one record at a time, and returns how
// many records verified and the head hash (Genesis for an empty log). next
// returns false when there are no more records.
func VerifyStream(next func() (Record, bool, error)) (n int64, head string, err error) {
	v := newVerifier()
	for {
		r, ok, err := next()
		if err != nil {
			return v.n, v.head, fmt.Errorf("read record after seq %d: %w", v.n, err)
		}
		if !ok {
			return v.n, v.head, nil
		}
		if err := v.check(r); err != nil {
			return v.n, v.head, err
		}
	}
}
