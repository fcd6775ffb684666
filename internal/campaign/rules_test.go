package campaign_test

import (
	"context"
	"testing"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
)

func as(name string, role auth.Role) auth.Caller {
	return auth.Caller{Principal: auth.Principal{Account: name, Role: role, Via: "session"}, IP: "192.0.2.9", UserAgent: "test"}
}

var (
	editor  = as("ed", auth.Editor)
	editor2 = as("eve", auth.Editor)
	admin   = as("alice", auth.Admin)
	admin2  = as("bob", auth.Admin)
	viewer  = as("vi", auth.Viewer)
)

// pinned is bnv pinned to one OA id.
var pinned = func() campaign.Campaign {
	c := bnv
	c.OAIDs = []string{"1111"}
	return c
}()

// TestEditorsOnlyPropose drives every kind of change as an editor: none
// may change what citizens see before an admin approves it.
func TestEditorsOnlyPropose(t *testing.T) {
	ctx := context.Background()
	title, ids := "Zalo OA giả mạo", []string{"1111", "6666"}
	empty := []string{}
	for _, tt := range []struct {
		name string
		do   func(svc *campaign.Service) (*campaign.Proposal, error)
	}{
		{"widen the pins", func(svc *campaign.Service) (*campaign.Proposal, error) {
			_, p, err := svc.Update(ctx, "bnv", campaign.Update{OAIDs: &ids}, 1, editor)
			return p, err
		}},
		{"clear the pins", func(svc *campaign.Service) (*campaign.Proposal, error) {
			_, p, err := svc.Update(ctx, "bnv", campaign.Update{OAIDs: &empty}, 1, editor)
			return p, err
		}},
		{"change the title", func(svc *campaign.Service) (*campaign.Proposal, error) {
			_, p, err := svc.Update(ctx, "bnv", campaign.Update{Title: &title}, 1, editor)
			return p, err
		}},
		{"rotate", func(svc *campaign.Service) (*campaign.Proposal, error) {
			_, p, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/1111?utm_source=qr", Expect: 1}, editor)
			return p, err
		}},
		{"disable", func(svc *campaign.Service) (*campaign.Proposal, error) {
			_, p, err := svc.SetDisabled(ctx, "bnv", true, 1, editor)
			return p, err
		}},
		{"create another campaign", func(svc *campaign.Service) (*campaign.Proposal, error) {
			c := bnv
			c.Slug, c.Title = "aaa", title
			_, p, err := svc.Create(ctx, c, editor)
			return p, err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc, st, _ := newService(t, "")
			create(t, svc, pinned)
			before, _ := st.Campaign(ctx, "bnv")
			p, err := tt.do(svc)
			if err != nil || p == nil || p.Status != campaign.Pending {
				t.Fatalf("an editor's change = %+v, %v; want a pending proposal", p, err)
			}
			after, _ := st.Campaign(ctx, "bnv")
			if after.Version != before.Version || served(svc, "bnv").Version != before.Version {
				t.Errorf("an editor's %s applied: version %d, served %d", tt.name, after.Version, served(svc, "bnv").Version)
			}
			if _, err := svc.Lookup(ctx, "aaa"); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("a proposed campaign is served before approval: %v", err)
			}
			if list := svc.List(); len(list) != 1 || list[0].Slug != "bnv" {
				t.Errorf("the served list = %v, want bnv alone", list)
			}
			// The editor cannot approve it, nor can another editor; an admin can.
			for _, who := range []auth.Caller{editor, editor2} {
				if _, err := svc.Approve(ctx, p.ID, who); apperr.KindOf(err) != apperr.Forbidden {
					t.Errorf("approval by editor %s = %v, want Forbidden", who.Account, err)
				}
			}
			if got, err := svc.Approve(ctx, p.ID, admin); err != nil || got.Status != campaign.Applied {
				t.Errorf("an admin's approval = %+v, %v; want applied", got, err)
			}
		})
	}
}

// TestViewersChangeNothing: a viewer can neither change nor propose.
func TestViewersChangeNothing(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	title := "x"
	if _, _, err := svc.Update(ctx, "bnv", campaign.Update{Title: &title}, 1, viewer); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("a viewer's update = %v, want Forbidden", err)
	}
	if _, _, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/2222"}, viewer); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("a viewer's rotation = %v, want Forbidden", err)
	}
	if _, err := svc.Rotate(ctx, "bnv", "https://zalo.me/2222", 0, admin); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("a direct rotation by a signed-in admin = %v, want Forbidden (the command line's alone)", err)
	}
}

// TestApprovalRechecksTheStateInForce proposes a change that holds, then
// changes what it depends on before approving it: the approval must fail
// and change nothing.
func TestApprovalRechecksTheStateInForce(t *testing.T) {
	ctx := context.Background()
	t.Run("the policy narrowed", func(t *testing.T) {
		path := t.TempDir() + "/s.db"
		svc, _, _ := newService(t, path)
		c := bnv
		c.Target = "https://oa.zalo.me/home?id=1111"
		create(t, svc, c)
		_, p, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://oa.zalo.me/home?id=2222", Expect: 1}, editor)
		if err != nil || p == nil {
			t.Fatalf("proposing: %v", err)
		}
		narrow := newServiceWith(t, path, campaign.Policy{Hosts: []string{"zalo.me"}})
		if _, err := narrow.Approve(ctx, p.ID, admin); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("approving a target the policy no longer allows = %v, want Conflict", err)
		}
		if got, _ := narrow.Proposal(ctx, p.ID); got.Status != campaign.Failed || got.Reason == "" {
			t.Errorf("the proposal is %s (%q), want failed with a reason", got.Status, got.Reason)
		}
		if got := served(narrow, "bnv"); got.Version != 1 {
			t.Errorf("a refused approval applied: version %d", got.Version)
		}
	})
	t.Run("the campaign moved on", func(t *testing.T) {
		svc, _, _ := newService(t, "")
		create(t, svc, pinned)
		ids := []string{"1111", "2222"}
		_, p, err := svc.Update(ctx, "bnv", campaign.Update{OAIDs: &ids}, 1, editor)
		if err != nil || p == nil {
			t.Fatalf("proposing: %v", err)
		}
		// An admin changes the caption meanwhile: the proposal was made
		// against a state that is gone.
		caption := "Chú thích mới"
		if _, _, err := svc.Update(ctx, "bnv", campaign.Update{Caption: &caption}, 1, admin); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approve(ctx, p.ID, admin2); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("approving a stale proposal = %v, want Conflict", err)
		}
		if got := served(svc, "bnv"); len(got.OAIDs) != 1 {
			t.Errorf("the stale pin change applied: %v", got.OAIDs)
		}
	})
	t.Run("the slug was taken", func(t *testing.T) {
		svc, _, _ := newService(t, "")
		c := bnv
		c.Slug = "new"
		_, p1, err := svc.Create(ctx, c, editor)
		if err != nil || p1 == nil {
			t.Fatalf("proposing: %v", err)
		}
		c.Title = "Another"
		_, p2, err := svc.Create(ctx, c, editor2)
		if err != nil || p2 == nil {
			t.Fatalf("proposing the same slug again: %v", err)
		}
		if _, err := svc.Approve(ctx, p1.ID, admin); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approve(ctx, p2.ID, admin); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("approving a second campaign with a taken slug = %v, want Conflict", err)
		}
		if got := served(svc, "new"); got.Title != bnv.Title {
			t.Errorf("the second create overwrote the first: %q", got.Title)
		}
	})
}

// TestTwoPersonRule: under --two-person an admin's change waits too, and
// its proposer cannot approve it.
func TestTwoPersonRule(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newServiceTwoPerson(t)
	create(t, svc, pinned)
	caption := "Chú thích"
	for _, tt := range []struct {
		name string
		do   func() (*campaign.Proposal, error)
	}{
		{"update", func() (*campaign.Proposal, error) {
			_, p, err := svc.Update(ctx, "bnv", campaign.Update{Caption: &caption}, 0, admin)
			return p, err
		}},
		{"rotate", func() (*campaign.Proposal, error) {
			_, p, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/1111?utm_source=qr"}, admin)
			return p, err
		}},
		{"create", func() (*campaign.Proposal, error) {
			c := bnv
			c.Slug = "x2"
			_, p, err := svc.Create(ctx, c, admin)
			return p, err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.do()
			if err != nil || p == nil {
				t.Fatalf("an admin's %s under two-person = %v, %v; want a proposal", tt.name, p, err)
			}
			if _, err := svc.Approve(ctx, p.ID, admin); apperr.KindOf(err) != apperr.Forbidden {
				t.Errorf("self-approval = %v, want Forbidden", err)
			}
			if _, err := svc.Reject(ctx, p.ID, "", admin2); err != nil {
				t.Errorf("another admin rejecting = %v", err)
			}
		})
	}
}

// TestDisabledIsNotServed: a disabled campaign answers NotFound to every
// serving path, and comes back when enabled.
func TestDisabledIsNotServed(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	if _, err := badgeOf(ctx, svc, "bnv", badge.DefaultVariant(badge.SVG)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SetDisabled(ctx, "bnv", true, 1, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Lookup(ctx, "bnv"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Lookup of a disabled campaign = %v, want NotFound", err)
	}
	if _, err := svc.Served(ctx, "bnv"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Served of a disabled campaign = %v, want NotFound", err)
	}
	if len(svc.List()) != 0 {
		t.Error("a disabled campaign is listed as served")
	}
	if all, _ := svc.All(ctx); len(all) != 1 || !all[0].Disabled {
		t.Errorf("All = %+v, want the disabled campaign", all)
	}
	if _, _, err := svc.SetDisabled(ctx, "bnv", true, 0, admin); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("disabling twice = %v, want Conflict", err)
	}
	if _, _, err := svc.SetDisabled(ctx, "bnv", false, 2, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := badgeOf(ctx, svc, "bnv", badge.DefaultVariant(badge.SVG)); err != nil {
		t.Errorf("after enabling: %v", err)
	}
}

// TestAnotherSpellingOfTheTargetIsNoChange: a rotation to the current
// target written differently is refused when asked for, not left as a
// proposal that can only fail when approved.
func TestAnotherSpellingOfTheTargetIsNoChange(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	for _, target := range []string{"HTTPS://ZALO.ME/1111", "https://zalo.me/%31111", " https://zalo.me/1111"} {
		t.Run(target, func(t *testing.T) {
			_, p, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: target, Expect: 1}, editor)
			if apperr.KindOf(err) != apperr.Invalid || p != nil {
				t.Errorf("rotating to %q = %v, %v; want Invalid, nothing proposed", target, p, err)
			}
		})
	}
	if ps, _ := svc.Open(ctx, "bnv"); len(ps) != 0 {
		t.Errorf("%d proposals were left", len(ps))
	}
}

// TestAdminTokenBehindASecondFactorOnlyProposes: an admin's API token,
// when the account has a second factor the token cannot prove, changes
// nothing at once and approves nothing; a person approves in the console.
func TestAdminTokenBehindASecondFactorOnlyProposes(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	tok := as("alice", auth.Admin)
	tok.Via, tok.TOTP = "token:1a2b3c4d5e6f", true
	c, p, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/2222", Expect: 1}, tok)
	if err != nil || p == nil || p.Status != campaign.Pending || c.Version != 1 {
		t.Fatalf("the token's rotation = version %d, proposal %+v, %v; want a pending proposal, nothing applied", c.Version, p, err)
	}
	if got, _ := svc.Get(ctx, "bnv"); got.Target != bnv.Target {
		t.Fatalf("the token's rotation applied: %s", got.Target)
	}
	_, p2, err := svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/3333", Expect: 1}, editor)
	if err != nil || p2 == nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, p2.ID, tok); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("the token approving an editor's proposal = %v, want Forbidden", err)
	}
	if _, err := svc.Approve(ctx, p.ID, admin2); err != nil {
		t.Errorf("bob approving the token's proposal in person = %v", err)
	}
}
