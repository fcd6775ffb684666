// Package audit defines the audit trail's entries and the hash chain that
// makes editing or deleting one of them detectable.
//
// Every change to a campaign, a rotation proposal or an account is written,
// in the same transaction as the change, as an Entry whose Hash covers the
// previous entry's hash and every field of its own. A store keeps the chain's
// head (the last sequence number and hash) beside it, so removing the newest
// entries is detected too.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Genesis is the PrevHash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one row of the audit trail.
type Entry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`      // account name, "cli:USER" or "system:…"
	Role      string    `json:"role"`       // the actor's role at the time
	Action    string    `json:"action"`     // e.g. campaign.rotate, rotation.approve, account.add
	Subject   string    `json:"subject"`    // what it acted on: a campaign slug, an account name
	Before    string    `json:"before"`     // JSON of the state before, or ""
	After     string    `json:"after"`      // JSON of the state after, or ""
	IP        string    `json:"ip"`         // client address, as the trusted-proxy setting defines it
	UserAgent string    `json:"user_agent"` // client's User-Agent
	Approval  string    `json:"approval"`   // who approved it, for two-person changes
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// Actor is who makes a change and from where.
type Actor struct {
	Name, Role, IP, UserAgent string
}

// New returns an entry for action on subject by a, with before and after
// marshalled to JSON (nil gives "").
func New(a Actor, action, subject string, before, after any) Entry {
	return Entry{Actor: a.Name, Role: a.Role, Action: action, Subject: subject,
		Before: marshal(before), After: marshal(after), IP: a.IP, UserAgent: a.UserAgent}
}

func marshal(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}

// Sum computes e's hash from its fields and PrevHash; Hash itself is not
// covered. Each field is length-prefixed, so no two different entries
// serialise alike.
func Sum(e Entry) string {
	h := sha256.New()
	for _, f := range []string{
		fmt.Sprint(e.Seq), e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Role, e.Action, e.Subject,
		e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash,
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal sets e's sequence number, PrevHash and Hash to follow the entry
// with sequence prevSeq and hash prevHash.
func Seal(e *Entry, prevSeq int64, prevHash string) {
	// Stores keep microseconds; hash what will be read back.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.Hash = Sum(*e)
}

// BadEntryError names the first entry that breaks the chain.
type BadEntryError struct {
	Seq    int64
	Reason string
}

func (e *BadEntryError) Error() string {
	return fmt.Sprintf("audit entry %d: %s", e.Seq, e.Reason)
}

// Verifier checks entries in sequence order, one at a time.
type Verifier struct {
	seq  int64
	hash string
}

// NewVerifier starts a verification at the beginning of the chain.
func NewVerifier() *Verifier { return &Verifier{hash: Genesis} }

// Next checks e, which must follow the previous entry given to Next.
func (v *Verifier) Next(e Entry) error {
	switch {
	case e.Seq != v.seq+1:
		return &BadEntryError{Seq: v.seq + 1, Reason: fmt.Sprintf("missing (the next entry found is %d)", e.Seq)}
	case e.PrevHash != v.hash:
		return &BadEntryError{Seq: e.Seq, Reason: "does not follow the entry before it (deleted or edited entry)"}
	case Sum(e) != e.Hash:
		return &BadEntryError{Seq: e.Seq, Reason: "its content does not match its hash (edited)"}
	}
	v.seq, v.hash = e.Seq, e.Hash
	return nil
}

// Finish checks that the chain ends where the store's head says it does,
// which catches the removal of the newest entries.
func (v *Verifier) Finish(headSeq int64, headHash string) error {
	if headSeq != v.seq || headHash != v.hash {
		return &BadEntryError{Seq: v.seq + 1, Reason: fmt.Sprintf("the chain ends at %d but the recorded head is %d (entries removed from the end)", v.seq, headSeq)}
	}
	return nil
}

// Count returns how many entries were verified.
func (v *Verifier) Count() int64 { return v.seq }

// Filter selects audit entries; zero fields match everything.
type Filter struct {
	Actor   string
	Action  string // an exact action, or a prefix ending in "." (e.g. "campaign.")
	Subject string
	Since   time.Time
	Until   time.Time
	Limit   int // at most this many, newest first; 0 for a default
}

// Reader reads and verifies a store's audit trail.
type Reader interface {
	// AuditEntries returns the entries f selects, newest first.
	AuditEntries(ctx context.Context, f Filter) ([]Entry, error)
	// VerifyAudit checks the whole chain and returns how many entries it
	// holds, or a *BadEntryError naming the first bad one.
	VerifyAudit(ctx context.Context) (int64, error)
}
