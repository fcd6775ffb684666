// Package storetest is the conformance suite every store passes, so the
// SQLite and PostgreSQL stores behave the same.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
)

// Store is everything a store implements.
type Store interface {
	campaign.Store
	auth.Store
	audit.Reader
	compliance.Store
}

// Opener returns a new, empty store for one subtest. Use t.Cleanup to close it.
type Opener func(t *testing.T) Store

var t0 = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

var (
	alice = audit.Actor{Name: "alice", Role: "admin", IP: "192.0.2.1", UserAgent: "test/1"}
	bob   = audit.Actor{Name: "bob", Role: "admin", IP: "192.0.2.2", UserAgent: "test/1"}
)

func sample(slug string) campaign.Campaign {
	return campaign.Campaign{
		Slug: slug, Title: "Zalo OA Bộ Nội vụ", Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
		Target: "https://zalo.me/1111", Version: 1, QRMode: campaign.Direct, CreatedAt: t0, UpdatedAt: t0,
	}
}

// rotation is a change of target, as the tests ask for one.
type rotation struct {
	Slug               string
	Expect             int64
	Target, Kind       string
	At                 time.Time
	Proposer, Approver string
	Proposal           int64
}

func rot(slug string, expect int64, target string, at time.Time) rotation {
	return rotation{Slug: slug, Expect: expect, Target: target, Kind: campaign.KindRotate, At: at}
}

// rotate applies r: the campaign as read, with r's target.
func rotate(ctx context.Context, s Store, r rotation, by audit.Actor) (campaign.Campaign, error) {
	cur, err := s.Campaign(ctx, r.Slug)
	if err != nil {
		return cur, err
	}
	cur.Target = r.Target
	return s.Apply(ctx, campaign.Change{Kind: r.Kind, State: cur, Expect: r.Expect, At: r.At,
		Proposer: r.Proposer, Approver: r.Approver, Proposal: r.Proposal}, by)
}

// createCampaign applies the creation of c.
func createCampaign(ctx context.Context, s Store, c campaign.Campaign, by audit.Actor) error {
	_, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindCreate, State: c, At: c.CreatedAt}, by)
	return err
}

func mustCreate(t *testing.T, s Store, c campaign.Campaign) {
	t.Helper()
	if err := createCampaign(context.Background(), s, c, alice); err != nil {
		t.Fatalf("creating %s: %v", c.Slug, err)
	}
}

// auditActions returns the actions of the audit trail, oldest first, and
// checks its chain.
func auditActions(t *testing.T, s Store) []string {
	t.Helper()
	n, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	es, err := s.AuditEntries(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(es)) != n {
		t.Fatalf("AuditEntries returned %d entries, VerifyAudit counted %d", len(es), n)
	}
	// The trail of a new store starts with its seal entry.
	if len(es) == 0 || es[len(es)-1].Action != audit.SealAction {
		t.Fatalf("the trail does not start with %s: %+v", audit.SealAction, es)
	}
	es = es[:len(es)-1]
	out := make([]string, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.Action
	}
	return out
}

// Run runs the suite against stores made by open.
func Run(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("EmbedScripts", func(t *testing.T) { embedScripts(t, open) })

	t.Run("CreateAndRead", func(t *testing.T) {
		s := open(t)
		want := sample("bnv")
		want.OAIDs = []string{"1111", "2222"}
		mustCreate(t, s, want)
		got, err := s.Campaign(ctx, "bnv")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Campaign = %+v, %v; want %+v", got, err, want)
		}
		list, err := s.Campaigns(ctx)
		if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
			t.Errorf("Campaigns = %+v, %v; want [%+v]", list, err, want)
		}
		h, err := s.History(ctx, "bnv")
		if err != nil || len(h) != 1 || h[0] != (campaign.Revision{Version: 1, Target: want.Target, Kind: "create", Actor: "alice", CreatedAt: t0}) {
			t.Errorf("History = %+v, %v; want the first version by alice", h, err)
		}
		if got := auditActions(t, s); !reflect.DeepEqual(got, []string{"campaign.create"}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("CampaignsAreOrderedBySlug", func(t *testing.T) {
		s := open(t)
		for _, slug := range []string{"c", "a", "b"} {
			mustCreate(t, s, sample(slug))
		}
		list, err := s.Campaigns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.Slug)
		}
		if !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
			t.Errorf("Campaigns slugs = %v, want [a b c]", got)
		}
	})

	t.Run("DuplicateSlugConflicts", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		other := sample("bnv")
		other.Title = "other"
		if err := createCampaign(ctx, s, other, bob); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("second CreateCampaign = %v, want a Conflict", err)
		}
		if got, _ := s.Campaign(ctx, "bnv"); got.Title != sample("bnv").Title {
			t.Errorf("the duplicate overwrote the first: title %q", got.Title)
		}
		if got := auditActions(t, s); len(got) != 1 {
			t.Errorf("a refused create was audited: %v", got)
		}
	})

	t.Run("UnknownIsNotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Campaign(ctx, "nope"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Campaign(nope) = %v, want NotFound", err)
		}
		if _, err := s.History(ctx, "nope"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("History(nope) = %v, want NotFound", err)
		}
		if _, err := rotate(ctx, s, rot("nope", 0, "https://zalo.me/2", t0), alice); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Rotate(nope) = %v, want NotFound", err)
		}
		if _, err := s.Proposal(ctx, 42); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Proposal(42) = %v, want NotFound", err)
		}
		if _, err := s.Account(ctx, "nobody"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Account(nobody) = %v, want NotFound", err)
		}
	})

	t.Run("UpdateIsANewVersion", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		c := sample("bnv")
		c.Title, c.Caption, c.QRMode, c.OAIDs = "Mới", "Chú thích mới", campaign.Redirect, []string{"1111"}
		c.Version = 99 // the store numbers versions itself
		got, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindUpdate, State: c, Expect: 1, At: t0.Add(time.Hour)}, bob)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Mới" || got.Caption != "Chú thích mới" || got.QRMode != campaign.Redirect || !reflect.DeepEqual(got.OAIDs, []string{"1111"}) ||
			got.Target != "https://zalo.me/1111" || got.Version != 2 || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || !got.CreatedAt.Equal(t0) {
			t.Errorf("update = %+v", got)
		}
		if read, _ := s.Campaign(ctx, "bnv"); !reflect.DeepEqual(read, got) {
			t.Errorf("Campaign after an update = %+v, want %+v", read, got)
		}
		if h, _ := s.History(ctx, "bnv"); len(h) != 2 || h[0].Kind != campaign.KindUpdate || h[0].Target != "https://zalo.me/1111" || h[0].Actor != "bob" {
			t.Errorf("History after an update = %+v", h)
		}
		if got := auditActions(t, s); !reflect.DeepEqual(got, []string{"campaign.create", "campaign.update"}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("DisableAndEnable", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		c := sample("bnv")
		c.Disabled = true
		if got, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindDisable, State: c, Expect: 1, At: t0.Add(time.Hour)}, bob); err != nil || !got.Disabled || got.Version != 2 {
			t.Fatalf("disable = %+v, %v", got, err)
		}
		if list, _ := s.Campaigns(ctx); len(list) != 1 || !list[0].Disabled {
			t.Errorf("Campaigns after disabling = %+v, want the campaign, disabled", list)
		}
		c.Disabled = false
		if got, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindEnable, State: c, Expect: 2, At: t0.Add(2 * time.Hour)}, bob); err != nil || got.Disabled || got.Version != 3 {
			t.Fatalf("enable = %+v, %v", got, err)
		}
		if got := auditActions(t, s); !reflect.DeepEqual(got, []string{"campaign.create", "campaign.disable", "campaign.enable"}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("ProposalsOfEveryKind", func(t *testing.T) {
		s := open(t)
		title := "Chiến dịch mới"
		ids := []string{"1111"}
		create, err := s.CreateProposal(ctx, campaign.Proposal{Slug: "new", Kind: campaign.KindCreate, Target: "https://zalo.me/1111",
			Fields: campaign.Update{Title: &title, OAIDs: &ids}, Proposer: "ed", ProposerRole: "editor", Status: campaign.Pending, CreatedAt: t0}, alice)
		if err != nil {
			t.Fatalf("a create proposal for a campaign that does not exist yet: %v", err)
		}
		if got, _ := s.Proposal(ctx, create.ID); !reflect.DeepEqual(got, create) || got.Fields.Title == nil || *got.Fields.Title != title {
			t.Errorf("Proposal = %+v, want %+v with its fields", got, create)
		}
		if _, err := s.Campaign(ctx, "new"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("a proposed campaign exists before it is applied: %v", err)
		}
		c := sample("new")
		c.Title = title
		if _, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindCreate, State: c, At: t0, Proposer: "ed", Approver: "bob", Proposal: create.ID}, bob); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Proposal(ctx, create.ID); p.Status != campaign.Applied || p.Approver != "bob" {
			t.Errorf("the applied create proposal is %+v", p)
		}
		if _, err := s.CreateProposal(ctx, campaign.Proposal{Slug: "nope", Kind: campaign.KindRotate, Target: "https://zalo.me/2", BaseVersion: 1,
			Proposer: "ed", ProposerRole: "editor", Status: campaign.Pending, CreatedAt: t0}, alice); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("a rotation proposal for an unknown campaign = %v, want NotFound", err)
		}
	})

	t.Run("RotateAppendsHistoryAndAudit", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		at := t0.Add(time.Hour)
		got, err := rotate(ctx, s, rot("bnv", 1, "https://zalo.me/2222", at), bob)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		if got.Version != 2 || got.Target != "https://zalo.me/2222" || !got.UpdatedAt.Equal(at) || !got.CreatedAt.Equal(t0) {
			t.Errorf("Rotate = %+v, want version 2, the new target, updated at %v", got, at)
		}
		if read, _ := s.Campaign(ctx, "bnv"); !reflect.DeepEqual(read, got) {
			t.Errorf("Campaign after Rotate = %+v, want %+v", read, got)
		}
		rb := rot("bnv", 0, "https://zalo.me/1111", at.Add(time.Hour))
		rb.Kind, rb.Approver = "rollback", "carol"
		if _, err := rotate(ctx, s, rb, bob); err != nil {
			t.Fatalf("Rotate without a precondition: %v", err)
		}
		h, err := s.History(ctx, "bnv")
		if err != nil {
			t.Fatal(err)
		}
		want := []campaign.Revision{
			{Version: 3, Target: "https://zalo.me/1111", Kind: "rollback", Actor: "bob", Approver: "carol", CreatedAt: at.Add(time.Hour)},
			{Version: 2, Target: "https://zalo.me/2222", Kind: "rotate", Actor: "bob", CreatedAt: at},
			{Version: 1, Target: "https://zalo.me/1111", Kind: "create", Actor: "alice", CreatedAt: t0},
		}
		if !reflect.DeepEqual(h, want) {
			t.Errorf("History = %+v, want %+v", h, want)
		}
		es, _ := s.AuditEntries(ctx, audit.Filter{Subject: "bnv", Action: "campaign.", Limit: 1})
		if len(es) != 1 || es[0].Action != "campaign.rollback" || es[0].Approval != "carol" || es[0].Actor != "bob" || es[0].IP != "192.0.2.2" ||
			!strings.Contains(es[0].Before, `"target":"https://zalo.me/2222"`) || !strings.Contains(es[0].Before, `"version":2`) {
			t.Errorf("newest campaign audit entry = %+v", es)
		}
		if got := auditActions(t, s); !reflect.DeepEqual(got, []string{"campaign.create", "campaign.rotate", "campaign.rollback"}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("StaleVersionChangesNothing", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		if _, err := rotate(ctx, s, rot("bnv", 1, "https://zalo.me/2222", t0), bob); err != nil {
			t.Fatal(err)
		}
		if _, err := rotate(ctx, s, rot("bnv", 1, "https://zalo.me/evil", t0), bob); apperr.KindOf(err) != apperr.PreconditionFailed {
			t.Fatalf("Rotate with stale version 1 = %v, want PreconditionFailed", err)
		}
		c, _ := s.Campaign(ctx, "bnv")
		h, _ := s.History(ctx, "bnv")
		if c.Version != 2 || c.Target != "https://zalo.me/2222" || len(h) != 2 || len(auditActions(t, s)) != 2 {
			t.Errorf("after a refused rotation: %+v with %d history rows", c, len(h))
		}
	})

	t.Run("ConcurrentRotationsAreSerialised", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = rotate(ctx, s, rot("bnv", 1, "https://zalo.me/2222", t0), bob)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case apperr.KindOf(err) == apperr.PreconditionFailed:
			default:
				t.Errorf("Rotate: %v, want success or PreconditionFailed", err)
			}
		}
		c, _ := s.Campaign(ctx, "bnv")
		if wins != 1 || c.Version != 2 || len(auditActions(t, s)) != 2 {
			t.Errorf("%d rotations from version 1 won and the campaign is at version %d; want 1 and 2", wins, c.Version)
		}
	})

	t.Run("Proposals", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("bnv"))
		runAt := t0.Add(24 * time.Hour)
		p, err := s.CreateProposal(ctx, campaign.Proposal{Slug: "bnv", Target: "https://zalo.me/2222", Kind: "rotate", BaseVersion: 1,
			Proposer: "alice", ProposerRole: "editor", RunAt: &runAt, Status: campaign.Pending, CreatedAt: t0}, alice)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.Slug != "bnv" || p.Status != campaign.Pending || p.RunAt == nil || !p.RunAt.Equal(runAt) || p.DecidedAt != nil {
			t.Errorf("CreateProposal = %+v", p)
		}
		got, _ := s.Proposal(ctx, p.ID)
		if !reflect.DeepEqual(got, p) {
			t.Errorf("Proposal = %+v, want %+v", got, p)
		}
		if ps, _ := s.Proposals(ctx, campaign.Pending); len(ps) != 1 {
			t.Errorf("Proposals(pending) = %d", len(ps))
		}
		d, err := s.DecideProposal(ctx, p.ID, campaign.Approved, "", t0.Add(time.Minute), bob)
		if err != nil || d.Status != campaign.Approved || d.Approver != "bob" || d.DecidedAt == nil {
			t.Errorf("DecideProposal(approved) = %+v, %v", d, err)
		}
		r := rot("bnv", 1, p.Target, runAt)
		r.Proposal, r.Proposer, r.Approver = p.ID, "alice", "bob"
		if _, err := rotate(ctx, s, r, bob); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.History(ctx, "bnv"); h[0].Actor != "alice" || h[0].Approver != "bob" {
			t.Errorf("history of an approved proposal = %+v, want proposer alice and approver bob", h[0])
		}
		if d, _ := s.Proposal(ctx, p.ID); d.Status != campaign.Applied {
			t.Errorf("after Rotate the proposal is %s, want applied", d.Status)
		}
		r.Expect = 0 // past the version check: the proposal's own state refuses it
		if _, err := rotate(ctx, s, r, bob); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("applying a proposal twice = %v, want Conflict", err)
		}
		if _, err := s.DecideProposal(ctx, p.ID, campaign.Rejected, "late", t0, bob); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("deciding an applied proposal = %v, want Conflict", err)
		}
		want := []string{"campaign.create", "proposal.create", "proposal.approved", "campaign.rotate"}
		if got := auditActions(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("audit = %v, want %v", got, want)
		}
	})

	t.Run("Emblems", func(t *testing.T) { runEmblems(t, open) })

	t.Run("AccountsTokensSessions", func(t *testing.T) {
		s := open(t)
		a := auth.Account{Name: "alice", Role: auth.Admin, PasswordHash: "$argon2id$x", CreatedAt: t0}
		if err := s.CreateAccount(ctx, a, audit.Actor{Name: "cli:root", Role: "admin"}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAccount(ctx, a, alice); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("duplicate account = %v, want Conflict", err)
		}
		got, err := s.Account(ctx, "alice")
		if err != nil || got.Name != "alice" || got.Role != auth.Admin || got.PasswordHash != a.PasswordHash || got.Disabled {
			t.Errorf("Account = %+v, %v", got, err)
		}
		tok := auth.Token{ID: "abcdef012345", Name: "ci", Account: "alice", Role: auth.Editor, SecretHash: "h", CreatedAt: t0}
		if err := s.CreateToken(ctx, tok, alice); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, auth.Token{ID: "x", Name: "y", Account: "nobody", Role: auth.Viewer, SecretHash: "h", CreatedAt: t0}, alice); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("token for an unknown account = %v", err)
		}
		if err := s.TouchToken(ctx, tok.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		gt, err := s.TokenByID(ctx, tok.ID)
		if err != nil || gt.Account != "alice" || gt.Role != auth.Editor || gt.LastUsedAt == nil || gt.RevokedAt != nil {
			t.Errorf("TokenByID = %+v, %v", gt, err)
		}
		if err := s.RevokeToken(ctx, tok.ID, t0.Add(time.Hour), alice); err != nil {
			t.Fatal(err)
		}
		if gt, _ := s.TokenByID(ctx, tok.ID); gt.RevokedAt == nil {
			t.Error("the revoked token is not revoked")
		}
		if err := s.RevokeToken(ctx, tok.ID, t0, alice); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("revoking twice = %v", err)
		}
		ss := auth.Session{IDHash: "sess", Account: "alice", CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		gs, err := s.SessionByHash(ctx, "sess", t0.Add(time.Minute))
		if err != nil || gs.Account != "alice" || gs.Role != auth.Admin || gs.CSRF != "c" {
			t.Errorf("SessionByHash = %+v, %v", gs, err)
		}
		if _, err := s.SessionByHash(ctx, "sess", t0.Add(2*time.Hour)); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("an expired session = %v, want Unauthorized", err)
		}
		if err := s.DeleteSession(ctx, "sess"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByHash(ctx, "sess", t0); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("a deleted session = %v, want Unauthorized", err)
		}
		want := []string{"account.add", "token.create", "token.revoke"}
		if got := auditActions(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("audit = %v, want %v", got, want)
		}
	})

	t.Run("AuditTamper", func(t *testing.T) { runAudit(t, open) })

	t.Run("AuditFilters", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, sample("a"))
		mustCreate(t, s, sample("b"))
		if _, err := rotate(ctx, s, rot("a", 0, "https://zalo.me/3", t0.Add(time.Hour)), bob); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			f    audit.Filter
			want int
		}{
			// The seal entry, written when the store was made (now), counts too.
			{audit.Filter{}, 4}, {audit.Filter{Subject: "a"}, 2}, {audit.Filter{Actor: "bob"}, 1},
			{audit.Filter{Action: "campaign."}, 3}, {audit.Filter{Action: "campaign.rotate"}, 1},
			{audit.Filter{Since: t0.Add(time.Minute)}, 2}, {audit.Filter{Until: t0.Add(time.Minute)}, 2}, {audit.Filter{Limit: 2}, 2},
		} {
			es, err := s.AuditEntries(ctx, tt.f)
			if err != nil || len(es) != tt.want {
				t.Errorf("AuditEntries(%+v) = %d entries, %v; want %d", tt.f, len(es), err, tt.want)
			}
		}
	})

	t.Run("AgencyImport", func(t *testing.T) {
		s := open(t)
		as := []compliance.Agency{
			{Name: "Sở Nội vụ", Kind: compliance.Department, Homepage: "https://www.sonoivu.example/", Line: 2},
			{Name: "UBND huyện A", Kind: compliance.District, Homepage: "https://a.example/", Line: 3},
			{Name: "UBND xã B", Kind: compliance.Commune, Homepage: "https://b.example/", Parent: "UBND huyện A", Line: 4},
		}
		c, u, err := s.ImportAgencies(ctx, as, t0, alice)
		if err != nil || c != 3 || u != 0 {
			t.Fatalf("first import = %d created, %d updated, %v", c, u, err)
		}
		// A re-import in another case updates one and leaves the rest.
		again := append([]compliance.Agency(nil), as...)
		again[0].Name, again[0].Contact = "SỞ NỘI VỤ", "Phòng CNTT"
		c, u, err = s.ImportAgencies(ctx, again, t0.Add(time.Hour), alice)
		if err != nil || c != 0 || u != 1 {
			t.Errorf("re-import = %d created, %d updated, %v; want 0 and 1", c, u, err)
		}
		list, _ := s.Agencies(ctx)
		if len(list) != 3 {
			t.Fatalf("%d agencies after a re-import, want 3", len(list))
		}
		a, err := s.Agency(ctx, list[0].ID)
		if err != nil || a.Name != list[0].Name {
			t.Errorf("Agency = %+v, %v", a, err)
		}
		// A parent in neither the file nor the register: nothing written.
		bad := []compliance.Agency{
			{Name: "Mới", Kind: compliance.Unit, Homepage: "https://new.example/", Line: 2},
			{Name: "Xã C", Kind: compliance.Commune, Homepage: "https://c.example/", Parent: "Huyện Không Có", Line: 3},
		}
		_, _, err = s.ImportAgencies(ctx, bad, t0, alice)
		var ie *compliance.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 3 {
			t.Errorf("import with an unknown parent = %v, want line 3 named", err)
		}
		if list, _ := s.Agencies(ctx); len(list) != 3 {
			t.Errorf("a refused import wrote %d agencies", len(list)-3)
		}
		if got := auditActions(t, s); !reflect.DeepEqual(got, []string{"agency.import", "agency.import"}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("Counts", func(t *testing.T) { runCounts(t, open) })
	t.Run("HistoryDays", func(t *testing.T) { runHistoryDays(t, open) })

	t.Run("CountsAndChecks", func(t *testing.T) {
		s := open(t)
		cs := []compliance.Count{
			{Campaign: "bnv", Site: "https://a.example", Day: "2026-07-01", Event: compliance.Image, N: 3},
			{Campaign: "bnv", Site: "https://a.example", Day: "2026-07-02", Event: compliance.Click, N: 1},
		}
		for range 2 {
			if err := s.AddCounts(ctx, cs, 0); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Counts(ctx, "2026-07-01")
		if err != nil || len(got) != 2 || got[0].N != 6 || got[1].N != 2 || got[1].Event != compliance.Click {
			t.Errorf("Counts = %+v, %v; want the sums", got, err)
		}
		if got, _ := s.Counts(ctx, "2026-07-02"); len(got) != 1 {
			t.Errorf("Counts since the 2nd = %+v", got)
		}
		if _, _, err := s.ImportAgencies(ctx, []compliance.Agency{{Name: "A", Kind: compliance.Unit, Homepage: "https://a.example/"}}, t0, alice); err != nil {
			t.Fatal(err)
		}
		list, _ := s.Agencies(ctx)
		id := list[0].ID
		for i, st := range []string{compliance.Missing, compliance.Embedded} {
			if err := s.SaveResults(ctx, []compliance.Result{{AgencyID: id, Campaign: "bnv", Status: st, Reason: "r", Forms: []compliance.Form{compliance.FormImage},
				FinalURL: "https://a.example/", HTTP: 200, CheckedAt: t0.Add(time.Duration(i) * time.Hour)}}); err != nil {
				t.Fatal(err)
			}
		}
		latest, err := s.LatestResults(ctx)
		if err != nil || len(latest) != 1 || latest[0].Status != compliance.Embedded || latest[0].Agency != "A" || latest[0].Forms[0] != compliance.FormImage {
			t.Errorf("LatestResults = %+v, %v", latest, err)
		}
		hist, _ := s.AgencyResults(ctx, id, 10)
		if len(hist) != 2 || hist[0].Status != compliance.Embedded {
			t.Errorf("AgencyResults = %+v", hist)
		}
	})

	t.Run("WatchNamesWhatChanged", func(t *testing.T) {
		s := open(t)
		w, ok := s.(campaign.Watcher)
		if !ok {
			t.Skip("store does not implement campaign.Watcher")
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		changed := make(chan string, 16)
		done := make(chan error, 1)
		go func() { done <- w.Watch(ctx, func(slug string) { changed <- slug }) }()
		if got := waitFor(t, changed, "the initial call"); got != "" {
			t.Errorf("the initial call names %q, want \"\" (read everything)", got)
		}
		mustCreate(t, s, sample("bnv"))
		if got := waitFor(t, changed, "a call after CreateCampaign"); got != "bnv" {
			t.Errorf("after CreateCampaign(bnv), changed(%q), want \"bnv\"", got)
		}
		// Writes that touch no campaign must not make anyone re-read: the
		// next call after them is for the next campaign change.
		a, err := auth.NewAccount("watcher", "viewer", "a-long-enough-password", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAccount(ctx, a, audit.Actor{Name: "cli:root", Role: "admin"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddCounts(ctx, []compliance.Count{{Campaign: "bnv", Site: "https://portal.example", Day: "2026-07-01", Event: compliance.Image, N: 1}}, 0); err != nil {
			t.Fatal(err)
		}
		// An uploaded emblem is inert until a campaign names it.
		if err := s.PutEmblem(ctx, blob(1), alice); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, sample("tinh"))
		if got := waitFor(t, changed, "a call after the second CreateCampaign"); got != "tinh" {
			t.Errorf("after an account, counts, an emblem and CreateCampaign(tinh), changed(%q), want \"tinh\" alone", got)
		}
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v after cancel", err)
		}
	})
}

// waitFor waits for one signal. The bound is generous: it only keeps a
// broken watcher from hanging the suite, it is not a latency assertion.
func waitFor[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
	}
	var zero T
	return zero
}
