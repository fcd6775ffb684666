// Package storetest is the conformance suite every campaign.Store passes,
// so the SQLite and PostgreSQL stores behave the same.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/campaign"
)

// Opener returns a new, empty store for one subtest. Use t.Cleanup to close it.
type Opener func(t *testing.T) campaign.Store

var t0 = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

func sample(slug string) campaign.Campaign {
	return campaign.Campaign{
		Slug: slug, Title: "Zalo OA Bộ Nội vụ", Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
		Target: "https://zalo.me/1111", Version: 1, QRMode: campaign.Direct, CreatedAt: t0, UpdatedAt: t0,
	}
}

// Run runs the suite against stores made by open.
func Run(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("CreateAndRead", func(t *testing.T) {
		s := open(t)
		want := sample("bnv")
		if err := s.CreateCampaign(ctx, want, "alice"); err != nil {
			t.Fatalf("CreateCampaign: %v", err)
		}
		got, err := s.Campaign(ctx, "bnv")
		if err != nil {
			t.Fatalf("Campaign: %v", err)
		}
		if got != want {
			t.Errorf("Campaign = %+v, want %+v", got, want)
		}
		list, err := s.Campaigns(ctx)
		if err != nil || len(list) != 1 || list[0] != want {
			t.Errorf("Campaigns = %+v, %v; want [%+v]", list, err, want)
		}
		h, err := s.History(ctx, "bnv")
		if err != nil || len(h) != 1 || h[0] != (campaign.Revision{Version: 1, Target: want.Target, Actor: "alice", CreatedAt: t0}) {
			t.Errorf("History = %+v, %v; want the first version by alice", h, err)
		}
	})

	t.Run("CampaignsAreOrderedBySlug", func(t *testing.T) {
		s := open(t)
		for _, slug := range []string{"c", "a", "b"} {
			if err := s.CreateCampaign(ctx, sample(slug), "x"); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.Campaigns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.Slug)
		}
		if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
			t.Errorf("Campaigns slugs = %v, want [a b c]", got)
		}
	})

	t.Run("DuplicateSlugConflicts", func(t *testing.T) {
		s := open(t)
		if err := s.CreateCampaign(ctx, sample("bnv"), "x"); err != nil {
			t.Fatal(err)
		}
		other := sample("bnv")
		other.Title = "other"
		err := s.CreateCampaign(ctx, other, "y")
		if apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("second CreateCampaign = %v, want a Conflict", err)
		}
		if got, _ := s.Campaign(ctx, "bnv"); got.Title != sample("bnv").Title {
			t.Errorf("the duplicate overwrote the first: title %q", got.Title)
		}
	})

	t.Run("UnknownSlugIsNotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Campaign(ctx, "nope"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Campaign(nope) = %v, want NotFound", err)
		}
		if _, err := s.History(ctx, "nope"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("History(nope) = %v, want NotFound", err)
		}
		if _, err := s.Rotate(ctx, "nope", 0, "https://zalo.me/2", "x", t0); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Rotate(nope) = %v, want NotFound", err)
		}
	})

	t.Run("RotateAppendsHistory", func(t *testing.T) {
		s := open(t)
		if err := s.CreateCampaign(ctx, sample("bnv"), "alice"); err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Hour)
		got, err := s.Rotate(ctx, "bnv", 1, "https://zalo.me/2222", "bob", at)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		if got.Version != 2 || got.Target != "https://zalo.me/2222" || !got.UpdatedAt.Equal(at) || !got.CreatedAt.Equal(t0) {
			t.Errorf("Rotate = %+v, want version 2, the new target, updated at %v", got, at)
		}
		read, _ := s.Campaign(ctx, "bnv")
		if read != got {
			t.Errorf("Campaign after Rotate = %+v, want %+v", read, got)
		}
		if _, err := s.Rotate(ctx, "bnv", 0, "https://zalo.me/3333", "carol", at.Add(time.Hour)); err != nil {
			t.Fatalf("Rotate without a precondition: %v", err)
		}
		h, err := s.History(ctx, "bnv")
		if err != nil {
			t.Fatal(err)
		}
		want := []campaign.Revision{
			{Version: 3, Target: "https://zalo.me/3333", Actor: "carol", CreatedAt: at.Add(time.Hour)},
			{Version: 2, Target: "https://zalo.me/2222", Actor: "bob", CreatedAt: at},
			{Version: 1, Target: "https://zalo.me/1111", Actor: "alice", CreatedAt: t0},
		}
		if len(h) != len(want) {
			t.Fatalf("History has %d rows, want %d: %+v", len(h), len(want), h)
		}
		for i := range want {
			if h[i] != want[i] {
				t.Errorf("History[%d] = %+v, want %+v", i, h[i], want[i])
			}
		}
	})

	t.Run("StaleVersionChangesNothing", func(t *testing.T) {
		s := open(t)
		if err := s.CreateCampaign(ctx, sample("bnv"), "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rotate(ctx, "bnv", 1, "https://zalo.me/2222", "bob", t0); err != nil {
			t.Fatal(err)
		}
		_, err := s.Rotate(ctx, "bnv", 1, "https://zalo.me/evil", "mallory", t0)
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("Rotate with stale version 1 = %v, want a Conflict", err)
		}
		c, _ := s.Campaign(ctx, "bnv")
		h, _ := s.History(ctx, "bnv")
		if c.Version != 2 || c.Target != "https://zalo.me/2222" || len(h) != 2 {
			t.Errorf("after a refused rotation: %+v with %d history rows, want version 2 and 2 rows", c, len(h))
		}
	})

	t.Run("ConcurrentRotationsAreSerialised", func(t *testing.T) {
		s := open(t)
		if err := s.CreateCampaign(ctx, sample("bnv"), "alice"); err != nil {
			t.Fatal(err)
		}
		// Everyone expects version 1: exactly one may win.
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Rotate(ctx, "bnv", 1, "https://zalo.me/2222", "x", t0)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case apperr.KindOf(err) == apperr.Conflict:
			default:
				t.Errorf("Rotate: %v, want success or Conflict", err)
			}
		}
		c, _ := s.Campaign(ctx, "bnv")
		if wins != 1 || c.Version != 2 {
			t.Errorf("%d rotations from version 1 won and the campaign is at version %d; want 1 and 2", wins, c.Version)
		}
	})

	t.Run("WatchSeesChanges", func(t *testing.T) {
		s := open(t)
		w, ok := s.(campaign.Watcher)
		if !ok {
			t.Skip("store does not implement campaign.Watcher")
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		changed := make(chan struct{}, 16)
		done := make(chan error, 1)
		go func() { done <- w.Watch(ctx, func() { changed <- struct{}{} }) }()
		// Watch calls changed once at start, after it begins watching.
		waitFor(t, changed, "the initial call")
		if err := s.CreateCampaign(context.Background(), sample("bnv"), "x"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, changed, "a call after CreateCampaign")
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v after cancel", err)
		}
	})
}

// waitFor waits for one signal. The bound is generous: it only keeps a
// broken watcher from hanging the suite, it is not a latency assertion.
func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
	}
}
