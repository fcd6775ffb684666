package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/store"
)

// dumper is how the suite plays someone who can write the database but
// does not hold the audit key: Load writes whatever rows it is given,
// past the append-only rules, as direct SQL on the file would.
type dumper interface {
	Dump(ctx context.Context) (*store.Dump, error)
	Load(ctx context.Context, d *store.Dump, replace bool) error
}

// runAudit checks the keyed chain against rewrites made without the key.
func runAudit(t *testing.T, open Opener) {
	ctx := context.Background()
	// prepare returns a store holding a few entries, as a dumper.
	prepare := func(t *testing.T) (Store, dumper, *store.Dump) {
		t.Helper()
		s := open(t)
		d, ok := s.(dumper)
		if !ok {
			t.Skip("the store cannot be dumped and loaded")
		}
		mustCreate(t, s, sample("bnv"))
		for i, target := range []string{"https://zalo.me/2", "https://zalo.me/3"} {
			if _, err := rotate(ctx, s, rot("bnv", int64(i+1), target, t0.Add(time.Duration(i+1)*time.Minute)), alice); err != nil {
				t.Fatal(err)
			}
		}
		dump, err := d.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s, d, dump
	}
	wantBad := func(t *testing.T, err error, seq int64, reason string) {
		t.Helper()
		var bad *audit.BadEntryError
		if !errors.As(err, &bad) || (seq > 0 && bad.Seq != seq) || !strings.Contains(bad.Reason, reason) {
			t.Errorf("verification = %v; want audit entry %d named, with %q", err, seq, reason)
		}
	}

	t.Run("KeyedChain", func(t *testing.T) {
		s, _, d := prepare(t)
		v, err := s.CheckAudit(ctx, audit.Head{})
		if err != nil || v.Entries != 4 || v.Head.Seq != 4 || v.Head.Hash != d.Audit[3].Hash || v.KeyID == "" {
			t.Fatalf("CheckAudit = %+v, %v; want 4 entries ending at the last one", v, err)
		}
		for i, e := range d.Audit {
			if e.Chain != audit.ChainHMAC {
				t.Errorf("entry %d has chain %d, want %d (keyed)", i+1, e.Chain, audit.ChainHMAC)
			}
		}
		if d.Audit[0].Action != audit.SealAction || audit.SealKeyID(d.Audit[0]) != v.KeyID {
			t.Errorf("the first entry = %+v, want the seal naming key %s", d.Audit[0], v.KeyID)
		}
	})

	t.Run("RecomputedWithSHA256", func(t *testing.T) {
		s, ld, d := prepare(t)
		// Edit an entry and recompute the whole chain as someone without
		// the key can: plain SHA-256, the head moved along.
		d.Audit[2].After = `{"target":"https://evil.example"}`
		prev := audit.Genesis
		for i := range d.Audit {
			d.Audit[i].PrevHash, d.Audit[i].Chain = prev, audit.ChainSHA256
			d.Audit[i].Hash = audit.Sum(d.Audit[i])
			prev = d.Audit[i].Hash
		}
		d.AuditHead.Seq, d.AuditHead.Hash = 4, prev
		if err := ld.Load(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		_, err := s.VerifyAudit(ctx)
		wantBad(t, err, 5, "no entry sealed with the audit key")
	})

	t.Run("EmptiedAndHeadReset", func(t *testing.T) {
		s, ld, d := prepare(t)
		d.Audit = nil
		d.AuditHead.Seq, d.AuditHead.Hash = 0, audit.Genesis
		if err := ld.Load(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		_, err := s.VerifyAudit(ctx)
		wantBad(t, err, 1, "emptied or rewritten")
	})

	t.Run("EditedKeyedEntry", func(t *testing.T) {
		s, ld, d := prepare(t)
		d.Audit[1].Actor = "mallory"
		if err := ld.Load(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		_, err := s.VerifyAudit(ctx)
		wantBad(t, err, 2, "does not verify with audit key")
	})

	t.Run("TruncatedAgainstRecordedHead", func(t *testing.T) {
		s, ld, d := prepare(t)
		recorded, err := s.CheckAudit(ctx, audit.Head{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rotate(ctx, s, rot("bnv", 3, "https://zalo.me/4", t0.Add(time.Hour)), alice); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CheckAudit(ctx, recorded.Head); err != nil {
			t.Fatalf("CheckAudit against a head recorded earlier, untouched = %v", err)
		}
		// Cut the newest entries and the head with them: the key cannot
		// tell, the recorded head does.
		d.Audit = d.Audit[:2]
		d.AuditHead.Seq, d.AuditHead.Hash = 2, d.Audit[1].Hash
		if err := ld.Load(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("a trail cut at an entry boundary, head moved = %v; the key alone cannot detect it", err)
		}
		_, err = s.CheckAudit(ctx, recorded.Head)
		wantBad(t, err, 4, "before the head recorded earlier")
	})
}
