// Package audit defines the audit trail's entries and the chain that makes
// editing, reordering or deleting one of them detectable.
//
// Every change to a campaign, a rotation proposal or an account is written,
// in the same transaction as the change, as an Entry whose Hash covers the
// previous entry's hash and every field of its own. Entries are sealed with
// HMAC-SHA256 under a Key kept outside the database (ChainHMAC), so someone
// who can write the database but not read the key cannot forge an entry or
// recompute the chain. Entries written before the key existed keep their
// plain SHA-256 (ChainSHA256); the first keyed entry covers the last of them,
// so they cannot be changed afterwards either.
//
// A store keeps the chain's head (the last sequence number and hash) beside
// it. What the key cannot prevent is the removal of the newest entries
// together with the head: that is found only against a head recorded
// elsewhere (Head, and Verifier's recorded head).
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// Genesis is the PrevHash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Chain versions: how an entry's Hash is computed.
const (
	// ChainSHA256 is the unkeyed chain of entries written before the
	// audit key existed: anyone who can write the database can recompute it.
	ChainSHA256 = 1
	// ChainHMAC is HMAC-SHA256 under the audit key.
	ChainHMAC = 2
)

// SealAction is the action of the entry a store writes when its trail
// starts being sealed with a key: it records the key's id, and its HMAC
// covers the last unkeyed entry.
const SealAction = "audit.seal"

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
	Chain     int       `json:"chain"`      // ChainSHA256 or ChainHMAC
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

// write feeds e's fields and PrevHash to h, each length-prefixed, so no two
// different entries serialise alike. Hash itself is not covered.
func write(h hash.Hash, e Entry, withChain bool) {
	fields := []string{
		strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Role, e.Action, e.Subject,
		e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash,
	}
	if withChain {
		// The chain version is covered too, so a keyed entry cannot be
		// passed off as an unkeyed one (or the switch point moved).
		fields = append(fields, strconv.Itoa(e.Chain))
	}
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
}

// Sum computes the unkeyed SHA-256 of e (ChainSHA256), as entries were
// sealed before the audit key existed.
func Sum(e Entry) string {
	h := sha256.New()
	write(h, e, false)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal sets e's sequence number, chain version, PrevHash and Hash to follow
// the entry with sequence prevSeq and hash prevHash, under k.
func (k Key) Seal(e *Entry, prevSeq int64, prevHash string) {
	// Stores keep microseconds; seal what will be read back.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Seq = prevSeq + 1
	e.Chain = ChainHMAC
	e.PrevHash = prevHash
	e.Hash = k.MAC(*e)
}

// MAC computes e's keyed hash (ChainHMAC) under k.
func (k Key) MAC(e Entry) string {
	h := hmac.New(sha256.New, k.b[:])
	h.Write([]byte("oabadge audit v2\n"))
	write(h, e, true)
	return hex.EncodeToString(h.Sum(nil))
}

// SealEntry returns the entry a store appends when it starts sealing its
// trail with k: it names the key by its id, so a wrong key is reported as
// such.
func SealEntry(k Key, at time.Time) Entry {
	e := New(Actor{Name: "system:oabadge", Role: "system"}, SealAction, "audit",
		nil, map[string]string{"chain": "hmac-sha256", "key_id": k.ID()})
	e.At = at
	return e
}

// SealKeyID returns the key id a seal entry's After records, or "".
func SealKeyID(e Entry) string {
	var v struct {
		KeyID string `json:"key_id"`
	}
	if e.Action != SealAction || json.Unmarshal([]byte(e.After), &v) != nil {
		return ""
	}
	return v.KeyID
}

// CheckSealKey returns an error when seal, the newest seal entry of a
// trail, names a key other than k: a store must not append to a trail it
// cannot verify.
func CheckSealKey(seal Entry, k Key) error {
	id := SealKeyID(seal)
	if id == "" || id == k.ID() {
		return nil
	}
	return &BadEntryError{Seq: seal.Seq, Reason: fmt.Sprintf(
		"the trail is sealed with audit key %s, but the key given is %s: give every replica and command the key file that sealed it (--audit-key-file, OABADGE_AUDIT_KEY_FILE)",
		id, k.ID())}
}

// Head is the newest entry of a chain: its sequence number and hash. An
// operator records it (`oabadge audit head`) outside the database, so that
// a later verification against it proves nothing up to it was removed or
// rewritten.
type Head struct {
	Seq  int64
	Hash string
}

// String formats h as SEQ:HASH, what ParseHead reads.
func (h Head) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash }

// IsZero reports whether h is unset.
func (h Head) IsZero() bool { return h == Head{} }

// ParseHead reads a head written by Head.String.
func ParseHead(s string) (Head, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return Head{}, fmt.Errorf("head %q: want SEQ:HASH as `oabadge audit head` prints it, e.g. 42:%s", s, strings.Repeat("0f", 32))
	}
	return Head{Seq: n, Hash: hash}, nil
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
	key      Key
	recorded Head
	seq      int64
	hash     string
	keyed    bool // a ChainHMAC entry was seen
	matched  bool // the recorded head was found
}

// NewVerifier starts a verification at the beginning of the chain, with k
// for keyed entries. A non-zero recorded head (from `oabadge audit head`)
// must still be in the chain, unchanged.
func NewVerifier(k Key, recorded Head) *Verifier {
	return &Verifier{key: k, recorded: recorded, hash: Genesis}
}

// Next checks e, which must follow the previous entry given to Next.
func (v *Verifier) Next(e Entry) error {
	switch {
	case e.Seq != v.seq+1:
		return &BadEntryError{Seq: v.seq + 1, Reason: fmt.Sprintf("missing (the next entry found is %d)", e.Seq)}
	case e.PrevHash != v.hash:
		return &BadEntryError{Seq: e.Seq, Reason: "does not follow the entry before it (deleted or edited entry)"}
	}
	switch e.Chain {
	case ChainSHA256:
		if v.keyed {
			return &BadEntryError{Seq: e.Seq, Reason: "an unkeyed entry after keyed ones (the trail was rewritten without the key)"}
		}
		if Sum(e) != e.Hash {
			return &BadEntryError{Seq: e.Seq, Reason: "its content does not match its hash (edited)"}
		}
	case ChainHMAC:
		if v.key.IsZero() {
			return &BadEntryError{Seq: e.Seq, Reason: "is sealed with the audit key, and no key was given"}
		}
		if !hmac.Equal([]byte(v.key.MAC(e)), []byte(e.Hash)) {
			reason := "does not verify with audit key " + v.key.ID() + " (edited, or sealed with another key)"
			if id := SealKeyID(e); id != "" && id != v.key.ID() {
				reason = fmt.Sprintf("was sealed with audit key %s, not with the key given (%s)", id, v.key.ID())
			}
			return &BadEntryError{Seq: e.Seq, Reason: reason}
		}
		v.keyed = true
	default:
		return &BadEntryError{Seq: e.Seq, Reason: fmt.Sprintf("unknown chain version %d", e.Chain)}
	}
	if e.Seq == v.recorded.Seq {
		if e.Hash != v.recorded.Hash {
			return &BadEntryError{Seq: e.Seq, Reason: "differs from the head recorded earlier (the trail up to it was rewritten)"}
		}
		v.matched = true
	}
	v.seq, v.hash = e.Seq, e.Hash
	return nil
}

// Finish checks that the chain ends where the store's head says it does
// (which catches the removal of the newest entries when the head was left
// alone), that it holds at least one keyed entry (an emptied trail, or one
// rewritten as unkeyed entries, has none), and that the recorded head, if
// any, was found.
func (v *Verifier) Finish(head Head) error {
	switch {
	case !v.recorded.IsZero() && !v.matched:
		return &BadEntryError{Seq: v.recorded.Seq, Reason: fmt.Sprintf("missing: the trail ends at %d, before the head recorded earlier (entries removed from the end)", v.seq)}
	case head.Seq != v.seq || head.Hash != v.hash:
		return &BadEntryError{Seq: v.seq + 1, Reason: fmt.Sprintf("the chain ends at %d but the recorded head is %d (entries removed from the end)", v.seq, head.Seq)}
	case !v.keyed:
		return &BadEntryError{Seq: v.seq + 1, Reason: "missing: the trail holds no entry sealed with the audit key, so it was emptied or rewritten"}
	}
	return nil
}

// Count returns how many entries were verified.
func (v *Verifier) Count() int64 { return v.seq }

// Head returns the last entry verified.
func (v *Verifier) Head() Head { return Head{Seq: v.seq, Hash: v.hash} }

// Verified is what a verification found.
type Verified struct {
	Entries int64 // how many entries the chain holds
	Head    Head  // its newest entry
	KeyID   string
}

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
	// CheckAudit checks the whole chain as VerifyAudit does and, when
	// recorded is not zero, that the entry recorded.Seq is still there
	// with hash recorded.Hash.
	CheckAudit(ctx context.Context, recorded Head) (Verified, error)
}
