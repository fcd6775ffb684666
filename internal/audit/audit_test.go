package audit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
)

func chain(n int) []audit.Entry {
	var out []audit.Entry
	prevSeq, prev := int64(0), audit.Genesis
	for i := 0; i < n; i++ {
		e := audit.New(audit.Actor{Name: "alice", Role: "admin", IP: "192.0.2.1", UserAgent: "test"}, "campaign.rotate", "bnv",
			map[string]any{"target": "https://zalo.me/1", "version": i + 1}, map[string]any{"target": "https://zalo.me/2", "version": i + 2})
		e.At = time.Date(2026, 7, 1, 8, i, 0, 0, time.UTC)
		audit.Seal(&e, prevSeq, prev)
		prevSeq, prev = e.Seq, e.Hash
		out = append(out, e)
	}
	return out
}

func verify(es []audit.Entry, headSeq int64, headHash string) error {
	v := audit.NewVerifier()
	for _, e := range es {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return v.Finish(headSeq, headHash)
}

func TestVerify(t *testing.T) {
	es := chain(5)
	head := es[len(es)-1]
	if err := verify(es, head.Seq, head.Hash); err != nil {
		t.Fatalf("an untouched chain: %v", err)
	}
	tests := []struct {
		name   string
		mutate func([]audit.Entry) ([]audit.Entry, int64, string)
		bad    int64
	}{
		{"edited field", func(es []audit.Entry) ([]audit.Entry, int64, string) {
			es[2].After = `{"target":"https://evil.example"}`
			return es, head.Seq, head.Hash
		}, 3},
		{"edited and rehashed", func(es []audit.Entry) ([]audit.Entry, int64, string) {
			es[1].Actor = "mallory"
			es[1].Hash = audit.Sum(es[1])
			return es, head.Seq, head.Hash
		}, 3},
		{"deleted middle", func(es []audit.Entry) ([]audit.Entry, int64, string) {
			return append(es[:1:1], es[2:]...), head.Seq, head.Hash
		}, 2},
		{"deleted newest", func(es []audit.Entry) ([]audit.Entry, int64, string) {
			return es[:4], head.Seq, head.Hash
		}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, seq, hash := tt.mutate(chain(5))
			err := verify(es, seq, hash)
			var bad *audit.BadEntryError
			if !errors.As(err, &bad) || bad.Seq != tt.bad {
				t.Errorf("verify = %v, want entry %d named", err, tt.bad)
			}
		})
	}
}
