package audit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
)

func mustKey(t *testing.T) audit.Key {
	t.Helper()
	k, err := audit.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func entry(i int) audit.Entry {
	e := audit.New(audit.Actor{Name: "alice", Role: "admin", IP: "192.0.2.1", UserAgent: "test"}, "campaign.rotate", "bnv",
		map[string]any{"target": "https://zalo.me/1", "version": i + 1}, map[string]any{"target": "https://zalo.me/2", "version": i + 2})
	e.At = time.Date(2026, 7, 1, 8, i, 0, 0, time.UTC)
	return e
}

// legacy returns n entries chained with plain SHA-256, as they were
// written before the audit key existed.
func legacy(n int) []audit.Entry {
	var out []audit.Entry
	prevSeq, prev := int64(0), audit.Genesis
	for i := 0; i < n; i++ {
		e := entry(i)
		e.Seq, e.PrevHash, e.Chain = prevSeq+1, prev, audit.ChainSHA256
		e.Hash = audit.Sum(e)
		prevSeq, prev = e.Seq, e.Hash
		out = append(out, e)
	}
	return out
}

// keyed appends the seal entry and then n entries sealed with k.
func keyed(k audit.Key, es []audit.Entry, n int) []audit.Entry {
	prevSeq, prev := int64(0), audit.Genesis
	if len(es) > 0 {
		prevSeq, prev = es[len(es)-1].Seq, es[len(es)-1].Hash
	}
	seal := audit.SealEntry(k, time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC))
	k.Seal(&seal, prevSeq, prev)
	es = append(es, seal)
	for i := 0; i < n; i++ {
		e := entry(i)
		k.Seal(&e, es[len(es)-1].Seq, es[len(es)-1].Hash)
		es = append(es, e)
	}
	return es
}

func head(es []audit.Entry) audit.Head {
	if len(es) == 0 {
		return audit.Head{Hash: audit.Genesis}
	}
	return audit.Head{Seq: es[len(es)-1].Seq, Hash: es[len(es)-1].Hash}
}

func verify(k audit.Key, recorded audit.Head, es []audit.Entry, h audit.Head) error {
	v := audit.NewVerifier(k, recorded)
	for _, e := range es {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return v.Finish(h)
}

// rechain recomputes every hash from the first changed entry on as
// someone without the key can: plain SHA-256.
func rechain(es []audit.Entry) []audit.Entry {
	prev := audit.Genesis
	for i := range es {
		es[i].Seq, es[i].PrevHash, es[i].Chain = int64(i+1), prev, audit.ChainSHA256
		es[i].Hash = audit.Sum(es[i])
		prev = es[i].Hash
	}
	return es
}

func TestVerify(t *testing.T) {
	k := mustKey(t)
	other := mustKey(t)
	tests := []struct {
		name     string
		build    func() ([]audit.Entry, audit.Head) // the trail and the store's head
		key      string                             // "" for the key that sealed it, "other" or "none"
		recorded func() audit.Head
		bad      int64 // 0: verifies
		reason   string
	}{
		{name: "keyed chain", build: func() ([]audit.Entry, audit.Head) { es := keyed(k, nil, 4); return es, head(es) }},
		{name: "unkeyed entries then keyed ones", build: func() ([]audit.Entry, audit.Head) { es := keyed(k, legacy(3), 2); return es, head(es) }},
		{name: "edited field", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, nil, 4)
			es[2].After = `{"target":"https://evil.example"}`
			return es, head(es)
		}, bad: 3, reason: "does not verify with audit key"},
		{name: "edited and rehashed with SHA-256", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, nil, 4)
			es[1].Actor, es[1].Chain = "mallory", audit.ChainSHA256
			es[1].Hash = audit.Sum(es[1])
			return es, head(es)
		}, bad: 2, reason: "unkeyed entry after keyed ones"},
		{name: "whole chain recomputed with SHA-256", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, legacy(2), 4)
			es[4].Actor = "mallory"
			es = rechain(es)
			return es, head(es)
		}, bad: 8, reason: "no entry sealed with the audit key"},
		{name: "emptied, head reset", build: func() ([]audit.Entry, audit.Head) {
			return nil, audit.Head{Hash: audit.Genesis}
		}, bad: 1, reason: "emptied or rewritten"},
		{name: "switch point moved later", build: func() ([]audit.Entry, audit.Head) {
			// Turn the seal and the entries after it into unkeyed ones,
			// to edit them: the chain then holds no keyed entry.
			es := keyed(k, legacy(2), 2)
			es[3].After = `{"target":"https://evil.example"}`
			es = rechain(es)
			return es, head(es)
		}, bad: 6, reason: "no entry sealed"},
		{name: "unkeyed entry edited under keyed ones", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, legacy(3), 2)
			es[1].Actor = "mallory"
			rechain(es[:3])
			return es, head(es)
		}, bad: 4, reason: "does not follow"},
		{name: "deleted middle", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, nil, 4)
			h := head(es)
			return append(es[:1:1], es[2:]...), h
		}, bad: 2, reason: "missing"},
		{name: "deleted newest, head left", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, nil, 4)
			return es[:4], head(es)
		}, bad: 5, reason: "entries removed"},
		{name: "wrong key", key: "other", build: func() ([]audit.Entry, audit.Head) { es := keyed(k, legacy(2), 2); return es, head(es) },
			bad: 3, reason: "was sealed with audit key " + k.ID() + ", not with the key given (" + other.ID() + ")"},
		{name: "no key", key: "none", build: func() ([]audit.Entry, audit.Head) { es := keyed(k, nil, 1); return es, head(es) },
			bad: 1, reason: "no key was given"},
		{name: "recorded head still there", build: func() ([]audit.Entry, audit.Head) { es := keyed(k, nil, 4); return es, head(es) },
			recorded: func() audit.Head { return head(keyed(k, nil, 4)[:3]) }},
		{name: "truncated below the recorded head, head moved too", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, nil, 4)
			return es[:2], head(es[:2])
		}, recorded: func() audit.Head { return head(keyed(k, nil, 4)[:4]) }, bad: 4, reason: "before the head recorded earlier"},
		{name: "rewritten up to the recorded head", build: func() ([]audit.Entry, audit.Head) {
			es := keyed(k, legacy(3), 1)
			es[0].Actor = "mallory"
			es = rechain(es[:3])
			return es, head(es)
		}, recorded: func() audit.Head { return head(legacy(3)) }, bad: 3, reason: "differs from the head recorded earlier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := map[string]audit.Key{"": k, "other": other, "none": {}}[tt.key]
			var recorded audit.Head
			if tt.recorded != nil {
				recorded = tt.recorded()
			}
			es, h := tt.build()
			err := verify(key, recorded, es, h)
			if tt.bad == 0 {
				if err != nil {
					t.Fatalf("verify = %v, want no error", err)
				}
				return
			}
			var bad *audit.BadEntryError
			if !errors.As(err, &bad) || bad.Seq != tt.bad || !strings.Contains(bad.Reason, tt.reason) {
				t.Errorf("verify = %v, want entry %d named, with %q", err, tt.bad, tt.reason)
			}
		})
	}
}

func TestParseHead(t *testing.T) {
	h := audit.Head{Seq: 42, Hash: strings.Repeat("ab", 32)}
	if got, err := audit.ParseHead(h.String() + "\n"); err != nil || got != h {
		t.Errorf("ParseHead(%q) = %v, %v; want %v", h.String(), got, err, h)
	}
	for _, s := range []string{"", "42", "0:" + strings.Repeat("ab", 32), "x:" + strings.Repeat("ab", 32), "42:" + strings.Repeat("AB", 32), "42:abc"} {
		t.Run(s, func(t *testing.T) {
			if _, err := audit.ParseHead(s); err == nil || !strings.Contains(err.Error(), "want SEQ:HASH") {
				t.Errorf("ParseHead(%q) = %v, want an error saying what to give", s, err)
			}
		})
	}
}

func TestCheckSealKey(t *testing.T) {
	k, other := mustKey(t), mustKey(t)
	seal := audit.SealEntry(k, time.Now())
	k.Seal(&seal, 0, audit.Genesis)
	if err := audit.CheckSealKey(seal, k); err != nil {
		t.Errorf("CheckSealKey with the sealing key = %v", err)
	}
	err := audit.CheckSealKey(seal, other)
	if err == nil || !strings.Contains(err.Error(), "audit entry 1") || !strings.Contains(err.Error(), k.ID()) || !strings.Contains(err.Error(), "--audit-key-file") {
		t.Errorf("CheckSealKey with another key = %v, want entry 1 and both ids named, and the flag", err)
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := mustKey(t)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if !strings.Contains(s, k.ID()) || strings.Contains(s, "[") {
			t.Errorf("a key prints as %q: want its id only", s)
		}
	}
}
