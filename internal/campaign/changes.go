package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
)

// Who may do what with campaigns. Every rule is checked here, once, for
// the console, the API, the command line and the scheduler alike:
//
//   - anyone signed in (viewer) reads campaigns, history and proposals;
//   - an editor creates and edits campaigns, proposes rotations and
//     rollbacks, previews them, and withdraws their own proposals;
//   - an admin also applies rotations at once (unless the two-person rule
//     is on), approves and rejects others' proposals;
//   - nobody approves their own proposal.

// Create validates and stores a new campaign at version 1. It needs an editor.
func (s *Service) Create(ctx context.Context, c Campaign, by auth.Caller) (Campaign, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Campaign{}, err
	}
	if err := normalize(&c); err != nil {
		return Campaign{}, err
	}
	target, err := s.CheckTarget(c, c.Target)
	if err != nil {
		return Campaign{}, err
	}
	now := s.now()
	c.Target, c.Version, c.CreatedAt, c.UpdatedAt = target, 1, now, now
	if err := s.store.CreateCampaign(ctx, c, by.Actor()); err != nil {
		return Campaign{}, err
	}
	s.apply(c)
	return c, nil
}

// Update is a change to a campaign's look and rules; nil fields stay.
type Update struct {
	Title, Caption *string
	QRMode         *QRMode
	OAIDs          *[]string
	Theme, Layout  *string
}

// Update changes the campaign named slug. The target is changed only by
// rotations; pinning ids that the current target does not name is refused.
// It needs an editor.
func (s *Service) Update(ctx context.Context, slug string, u Update, by auth.Caller) (Campaign, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Campaign{}, err
	}
	c, err := s.Get(ctx, slug)
	if err != nil {
		return Campaign{}, err
	}
	if u.Title != nil {
		c.Title = *u.Title
	}
	if u.Caption != nil {
		c.Caption = *u.Caption
	}
	if u.QRMode != nil {
		c.QRMode = *u.QRMode
	}
	if u.OAIDs != nil {
		c.OAIDs = *u.OAIDs
	}
	if u.Theme != nil {
		c.Theme = *u.Theme
	}
	if u.Layout != nil {
		c.Layout = *u.Layout
	}
	if err := normalize(&c); err != nil {
		return Campaign{}, err
	}
	if _, err := s.CheckTarget(c, c.Target); err != nil {
		return Campaign{}, apperr.Invalidf("the current target would not be allowed: %s", apperr.Message(err))
	}
	c.UpdatedAt = s.now()
	c, err = s.store.UpdateCampaign(ctx, c, by.Actor())
	if err != nil {
		return Campaign{}, err
	}
	s.apply(c)
	return c, nil
}

// Request is a change of target someone asks for.
type Request struct {
	Slug   string
	Target string
	// Expect is the version the requester saw; the change applies only to
	// it (0: whatever is current, for the command line).
	Expect int64
	// RunAt schedules the change; nil is now.
	RunAt *time.Time
	// Kind is "rotate" or "rollback".
	Kind string
}

// RequestRotation validates r and either applies it at once, returning the
// campaign, or stores it as a proposal, returning that. It needs an
// editor; it applies at once only for an admin, with the two-person rule
// off and no time set (an admin's scheduled change is approved already).
// When a change is applied, every badge, JSON and redirect this process
// serves reflects it before RequestRotation returns.
func (s *Service) RequestRotation(ctx context.Context, r Request, by auth.Caller) (Campaign, *Proposal, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Campaign{}, nil, err
	}
	if r.Kind == "" {
		r.Kind = "rotate"
	}
	c, err := s.Get(ctx, r.Slug)
	if err != nil {
		return Campaign{}, nil, err
	}
	target, err := s.CheckTarget(c, r.Target)
	if err != nil {
		return Campaign{}, nil, err
	}
	if r.Expect != 0 && r.Expect != c.Version {
		return Campaign{}, nil, apperr.PreconditionFailedf("campaign %q is at version %d, not %d: reload and try again", r.Slug, c.Version, r.Expect)
	}
	now := s.now()
	if r.RunAt != nil && !r.RunAt.After(now) {
		r.RunAt = nil // a time in the past means now
	}
	mayApply := by.Role.Allows(auth.Admin) && !s.cfg.TwoPerson
	if mayApply && r.RunAt == nil {
		c, err := s.rotateNow(ctx, Rotation{Slug: r.Slug, Expect: c.Version, Target: target, Kind: r.Kind, At: now}, by)
		return c, nil, err
	}
	p := Proposal{Slug: r.Slug, Target: target, Kind: r.Kind, BaseVersion: c.Version, Proposer: by.Account,
		ProposerRole: string(by.Role), RunAt: r.RunAt, Status: Pending, CreatedAt: now}
	if mayApply {
		p.Status, p.Approver = Approved, by.Account // scheduled by an admin: nothing to approve
	}
	p, err = s.store.CreateProposal(ctx, p, by.Actor())
	if err != nil {
		return Campaign{}, nil, err
	}
	return c, &p, nil
}

// Rollback asks for the campaign named slug to point again at the target
// it had at version to, as RequestRotation does for a new target.
func (s *Service) Rollback(ctx context.Context, slug string, to, expect int64, runAt *time.Time, by auth.Caller) (Campaign, *Proposal, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Campaign{}, nil, err
	}
	revs, err := s.History(ctx, slug)
	if err != nil {
		return Campaign{}, nil, err
	}
	for _, r := range revs {
		if r.Version != to {
			continue
		}
		if r.Version == revs[0].Version {
			return Campaign{}, nil, apperr.Invalidf("version %d is the current one; roll back to an earlier version", to)
		}
		return s.RequestRotation(ctx, Request{Slug: slug, Target: r.Target, Expect: expect, RunAt: runAt, Kind: "rollback"}, by)
	}
	return Campaign{}, nil, apperr.Invalidf("campaign %q has no version %d", slug, to)
}

// Rotate points slug at target at once, as its next version: the command
// line's rotation, made by an operator with access to the database itself,
// so neither the two-person rule nor a schedule applies. A non-zero expect
// must be the current version. It needs an admin.
func (s *Service) Rotate(ctx context.Context, slug, target string, expect int64, by auth.Caller) (Campaign, error) {
	if err := by.Require(auth.Admin); err != nil {
		return Campaign{}, err
	}
	c, err := s.Get(ctx, slug)
	if err != nil {
		return Campaign{}, err
	}
	if target, err = s.CheckTarget(c, target); err != nil {
		return Campaign{}, err
	}
	return s.rotateNow(ctx, Rotation{Slug: slug, Expect: expect, Target: target, Kind: "rotate", At: s.now()}, by)
}

// rotateNow stores r and serves it at once.
func (s *Service) rotateNow(ctx context.Context, r Rotation, by auth.Caller) (Campaign, error) {
	c, err := s.store.Rotate(ctx, r, by.Actor())
	if err != nil {
		return Campaign{}, err
	}
	s.apply(c)
	return c, nil
}

// Approve approves proposal id as by, who must be an admin and not its
// proposer, and applies it unless it is scheduled for later. A proposal
// whose campaign has moved on since is marked failed, and the error is a
// Conflict.
func (s *Service) Approve(ctx context.Context, id int64, by auth.Caller) (Proposal, error) {
	if err := by.Require(auth.Admin); err != nil {
		return Proposal{}, err
	}
	p, err := s.store.Proposal(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	if p.Status != Pending {
		return p, apperr.Conflictf("proposal %d is %s, not pending", id, p.Status)
	}
	if p.Proposer == by.Account {
		return p, apperr.Forbiddenf("you proposed this change; another admin must approve it")
	}
	now := s.now()
	if p.RunAt != nil && p.RunAt.After(now) {
		return s.store.DecideProposal(ctx, id, Approved, "", now, by.Actor())
	}
	p.Approver = by.Account
	return s.carryOut(ctx, p, by)
}

// carryOut applies an approved (or being approved) proposal.
func (s *Service) carryOut(ctx context.Context, p Proposal, by auth.Caller) (Proposal, error) {
	now := s.now()
	_, err := s.rotateNow(ctx, Rotation{Slug: p.Slug, Expect: p.BaseVersion, Target: p.Target, Kind: p.Kind, At: now,
		Proposer: p.Proposer, Approver: p.Approver, Proposal: p.ID}, by)
	if apperr.KindOf(err) == apperr.PreconditionFailed {
		cur, _ := s.store.Campaign(ctx, p.Slug)
		reason := fmt.Sprintf("the campaign moved on to version %d after this was proposed against version %d", cur.Version, p.BaseVersion)
		if _, derr := s.store.DecideProposal(ctx, p.ID, Failed, reason, now, by.Actor()); derr != nil {
			return p, derr
		}
		return p, apperr.Conflictf("%s; propose it again", reason)
	}
	if err != nil {
		return p, err
	}
	return s.store.Proposal(ctx, p.ID)
}

// MaxReason bounds the reason given when rejecting a proposal, in characters.
const MaxReason = 500

// Reject refuses pending (or approved, scheduled) proposal id. An admin
// may reject anyone's proposal; its proposer may withdraw it (it is then
// cancelled rather than rejected); nobody else may.
func (s *Service) Reject(ctx context.Context, id int64, reason string, by auth.Caller) (Proposal, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Proposal{}, err
	}
	p, err := s.store.Proposal(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	own := p.Proposer == by.Account
	if !own && !by.Role.Allows(auth.Admin) {
		return p, apperr.Forbiddenf("only an admin may reject another person's proposal")
	}
	if p.Status != Pending && p.Status != Approved {
		return p, apperr.Conflictf("proposal %d is %s already", id, p.Status)
	}
	status := Rejected
	if own {
		status = Cancelled
	}
	if r := []rune(reason); len(r) > MaxReason {
		reason = string(r[:MaxReason])
	}
	return s.store.DecideProposal(ctx, id, status, reason, s.now(), by.Actor())
}

// Proposal returns proposal id.
func (s *Service) Proposal(ctx context.Context, id int64) (Proposal, error) {
	return s.store.Proposal(ctx, id)
}

// Statuses lists the proposal states, for filters.
var Statuses = []string{Pending, Approved, Applied, Rejected, Cancelled, Failed}

// Proposals returns the proposals in status (all when empty), newest first.
func (s *Service) Proposals(ctx context.Context, status string) ([]Proposal, error) {
	if status != "" {
		ok := false
		for _, st := range Statuses {
			ok = ok || st == status
		}
		if !ok {
			return nil, apperr.BadRequestf("status must be one of pending, approved, applied, rejected, cancelled, failed")
		}
	}
	return s.store.Proposals(ctx, status)
}

// Open returns the proposals still waiting, for approval or for their
// time, newest first; those of campaign slug only when slug is not empty.
func (s *Service) Open(ctx context.Context, slug string) ([]Proposal, error) {
	ps, err := s.store.Proposals(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Proposal
	for _, p := range ps {
		if (p.Status == Pending || p.Status == Approved) && (slug == "" || p.Slug == slug) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Scheduler is who carries out scheduled rotations.
var Scheduler = auth.Caller{Principal: auth.Principal{Account: "system:scheduler", Role: auth.Admin, Via: "system"}}

// ApplyDue carries out approved proposals whose time has come. Run calls
// it every poll interval.
func (s *Service) ApplyDue(ctx context.Context) error {
	ps, err := s.store.Proposals(ctx, Approved)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	var errs []error
	for _, p := range ps {
		if p.RunAt != nil && p.RunAt.After(now) {
			continue
		}
		if _, err := s.carryOut(ctx, p, Scheduler); err != nil {
			errs = append(errs, fmt.Errorf("proposal %d: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

// CheckRotation checks target as a rotation of the campaign named slug
// would, without storing anything, and returns the campaign and the
// target in canonical form. It needs an editor.
func (s *Service) CheckRotation(ctx context.Context, slug, target string, by auth.Caller) (Campaign, string, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Campaign{}, "", err
	}
	c, err := s.Get(ctx, slug)
	if err != nil {
		return Campaign{}, "", err
	}
	target, err = s.CheckTarget(c, target)
	return c, target, err
}

// Preview renders variant v of the campaign named slug as it would look
// pointing at target, without storing anything, after the same checks a
// rotation makes. It returns the canonical target too. look, when not
// nil, picks the variant from the campaign's look (its default theme and
// layout). It needs an editor.
func (s *Service) Preview(ctx context.Context, slug, target string, look func(theme, layout string) (badge.Variant, error), by auth.Caller) ([]byte, string, error) {
	c, target, err := s.CheckRotation(ctx, slug, target, by)
	if err != nil {
		return nil, "", err
	}
	v, err := look(c.Theme, c.Layout)
	if err != nil {
		return nil, "", err
	}
	c.Target = target
	b, err := badge.Render(badge.Content{Code: s.QRContent(c), Title: c.Title, Caption: c.Caption}, v)
	return b, target, err
}

// History returns slug's target history, newest first.
func (s *Service) History(ctx context.Context, slug string) ([]Revision, error) {
	if !ValidSlug(slug) {
		return nil, errNoCampaign
	}
	return s.store.History(ctx, slug)
}

// CheckTarget applies the policy and c's pinned ids to target, and makes
// sure the QR code c would carry with it fits every variant. It returns
// the target in canonical form.
func (s *Service) CheckTarget(c Campaign, target string) (string, error) {
	target, err := s.cfg.Policy.Check(target)
	if err != nil {
		return "", err
	}
	if err := checkPinned(target, c.OAIDs); err != nil {
		return "", err
	}
	c.Target = target
	if _, err := badge.Encode(s.QRContent(c)); err != nil {
		return "", apperr.Invalidf("target is too long for a QR code that scans at every size (at most %d bytes)", badge.MaxContentBytes)
	}
	return target, nil
}
