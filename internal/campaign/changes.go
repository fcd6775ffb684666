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
//   - an editor proposes every change that alters what citizens see (a
//     new campaign, a target, a rollback, the title, caption, QR mode,
//     pinned ids and look, the emblem, disabling and enabling), previews
//     targets, uploads emblems (inert until a change names them), and
//     withdraws their own proposals;
//   - an admin's change applies at once, unless the two-person rule is
//     on: then it too waits for a second admin; admins approve and reject
//     others' proposals;
//   - nobody approves their own proposal;
//   - approving re-checks the change against the campaign as it is then
//     (its pins, its target, its version), not as it was when proposed;
//   - an operator at the command line, with the database in hand, applies
//     at once: no rule here could stop them.

// Update is a change to a campaign's fields other than its target; nil
// fields stay as they are.
type Update struct {
	Title   *string   `json:"title,omitempty"`
	Caption *string   `json:"caption,omitempty"`
	QRMode  *QRMode   `json:"qr_mode,omitempty"`
	OAIDs   *[]string `json:"oa_ids,omitempty"`
	Theme   *string   `json:"theme,omitempty"`
	Layout  *string   `json:"layout,omitempty"`
	// Emblem names an uploaded emblem by its id ("" removes the emblem).
	Emblem       *string `json:"emblem,omitempty"`
	EmblemInCode *bool   `json:"emblem_in_code,omitempty"`
}

// Empty reports whether u changes nothing.
func (u Update) Empty() bool {
	return u.Title == nil && u.Caption == nil && u.QRMode == nil && u.OAIDs == nil && u.Theme == nil && u.Layout == nil &&
		u.Emblem == nil && u.EmblemInCode == nil
}

// apply sets u's fields on c.
func (u Update) apply(c *Campaign) {
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
		c.OAIDs = append([]string(nil), (*u.OAIDs)...)
	}
	if u.Theme != nil {
		c.Theme = *u.Theme
	}
	if u.Layout != nil {
		c.Layout = *u.Layout
	}
	if u.Emblem != nil {
		c.Emblem = *u.Emblem
		if c.Emblem == "" {
			c.EmblemInCode = false // no emblem, nothing to put in the code
		}
	}
	if u.EmblemInCode != nil {
		c.EmblemInCode = *u.EmblemInCode
	}
}

// fieldsOf returns every field of c as an Update, for a create proposal.
func fieldsOf(c Campaign) Update {
	ids := append([]string{}, c.OAIDs...)
	return Update{Title: &c.Title, Caption: &c.Caption, QRMode: &c.QRMode, OAIDs: &ids, Theme: &c.Theme, Layout: &c.Layout,
		Emblem: &c.Emblem, EmblemInCode: &c.EmblemInCode}
}

// next computes and checks the campaign p would make of cur (the campaign
// as it is now; the zero Campaign for a create): the one check of every
// change, made when it is asked for and again when it is carried out.
func (s *Service) next(ctx context.Context, cur Campaign, p Proposal) (Campaign, error) {
	c := cur
	switch p.Kind {
	case KindCreate:
		c = Campaign{Slug: p.Slug, Target: p.Target}
		p.Fields.apply(&c)
	case KindRotate, KindRollback:
		// Compared in canonical form, so another spelling of the current
		// target is not a change (a bad target is refused further on).
		if t, err := s.cfg.Policy.Check(p.Target); (err == nil && t == cur.Target) || p.Target == cur.Target {
			return Campaign{}, apperr.Invalidf("campaign %q points at %s already", cur.Slug, cur.Target)
		}
		c.Target = p.Target
	case KindUpdate:
		if p.Fields.Empty() {
			return Campaign{}, apperr.BadRequestf("the change names no field to change")
		}
		p.Fields.apply(&c)
	case KindDisable:
		if cur.Disabled {
			return Campaign{}, apperr.Conflictf("campaign %q is disabled already", cur.Slug)
		}
		c.Disabled = true
		return c, nil
	case KindEnable:
		if !cur.Disabled {
			return Campaign{}, apperr.Conflictf("campaign %q is enabled already", cur.Slug)
		}
		c.Disabled = false
	default:
		return Campaign{}, apperr.BadRequestf("unknown change %q", p.Kind)
	}
	if err := normalize(&c); err != nil {
		return Campaign{}, err
	}
	if c.Emblem != "" && c.Emblem != cur.Emblem {
		if _, err := s.store.Emblem(ctx, c.Emblem); apperr.KindOf(err) == apperr.NotFound {
			return Campaign{}, apperr.Invalidf("emblem %q has not been uploaded: upload the image first", c.Emblem)
		} else if err != nil {
			return Campaign{}, err
		}
	}
	target, err := s.CheckTarget(c, c.Target)
	if err != nil {
		if p.Kind == KindUpdate || p.Kind == KindEnable {
			return Campaign{}, apperr.Invalidf("the current target would not be allowed: %s", apperr.Message(err))
		}
		return Campaign{}, err
	}
	c.Target = target
	return c, nil
}

// mayApply reports whether by's changes apply at once rather than wait
// for approval. An admin's API token applies nothing at once when the
// account has a second factor the token cannot prove.
func (s *Service) mayApply(by auth.Caller) bool {
	return by.Operator() || by.Role.Allows(auth.Admin) && !s.cfg.TwoPerson && !by.TokenWithoutFactor()
}

// propose checks change p against the campaign as it is, then applies it
// at once when by may, or stores it as a proposal. It returns the campaign
// (as changed, or as it is) and the proposal when one was stored.
func (s *Service) propose(ctx context.Context, p Proposal, expect int64, runAt *time.Time, by auth.Caller) (Campaign, *Proposal, error) {
	if err := by.Require(auth.Editor); err != nil {
		return Campaign{}, nil, err
	}
	var cur Campaign
	if p.Kind == KindCreate {
		if !ValidSlug(p.Slug) {
			return Campaign{}, nil, apperr.Invalidf("slug %q: use 1 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit", p.Slug)
		}
		if _, err := s.store.Campaign(ctx, p.Slug); err == nil {
			return Campaign{}, nil, apperr.Conflictf("campaign %q already exists", p.Slug)
		} else if apperr.KindOf(err) != apperr.NotFound {
			return Campaign{}, nil, err
		}
	} else {
		var err error
		if cur, err = s.Get(ctx, p.Slug); err != nil {
			return Campaign{}, nil, err
		}
		if expect != 0 && expect != cur.Version {
			return Campaign{}, nil, apperr.PreconditionFailedf("campaign %q is at version %d, not %d: reload and try again", p.Slug, cur.Version, expect)
		}
	}
	c, err := s.next(ctx, cur, p)
	if err != nil {
		return Campaign{}, nil, err
	}
	if p.Kind == KindCreate {
		p.Fields = fieldsOf(c)
	}
	p.Target = c.Target
	now := s.now()
	if runAt != nil && !runAt.After(now) {
		runAt = nil // a time in the past means now
	}
	if s.mayApply(by) && runAt == nil {
		if err := by.RequireFresh(); err != nil {
			return Campaign{}, nil, err
		}
		c, err := s.applyNow(ctx, Change{Kind: p.Kind, State: c, Expect: cur.Version, At: now}, by)
		return c, nil, err
	}
	p.BaseVersion, p.Proposer, p.ProposerRole, p.RunAt, p.Status, p.CreatedAt = cur.Version, by.Account, string(by.Role), runAt, Pending, now
	if s.mayApply(by) {
		p.Status, p.Approver = Approved, by.Account // scheduled by an admin: nothing to approve
	}
	stored, err := s.store.CreateProposal(ctx, p, by.Actor())
	if err != nil {
		return Campaign{}, nil, err
	}
	return cur, &stored, nil
}

// applyNow stores ch, serves it at once and tells the shared caches: the
// one place a change is applied, so the one place they are told.
func (s *Service) applyNow(ctx context.Context, ch Change, by auth.Caller) (Campaign, error) {
	c, err := s.store.Apply(ctx, ch, by.Actor())
	if err != nil {
		return Campaign{}, err
	}
	s.apply(ctx, c)
	s.cfg.Invalidator.Invalidate(c.Slug)
	return c, nil
}

// InvalidateCaches tells the shared caches again to drop every
// campaign's responses, after one missed a change (it was down, or its
// purges were refused). It changes nothing citizens see, but costs the
// caches their contents, so it needs an admin.
func (s *Service) InvalidateCaches(_ context.Context, by auth.Caller) error {
	if err := by.Require(auth.Admin); err != nil {
		return err
	}
	s.cfg.Logger.Info("shared caches told to drop every campaign", "by", by.Account)
	s.cfg.Invalidator.InvalidateAll()
	return nil
}

// Create asks for a new campaign. It is served only once applied: at once
// for an admin (outside the two-person rule), else when approved.
func (s *Service) Create(ctx context.Context, c Campaign, by auth.Caller) (Campaign, *Proposal, error) {
	return s.propose(ctx, Proposal{Kind: KindCreate, Slug: c.Slug, Target: c.Target, Fields: fieldsOf(c)}, 0, nil, by)
}

// Update asks for a change of the campaign named slug's fields. The target
// is changed only by rotations; pinning ids that the current target does
// not name is refused. expect is the version the asker saw (0: current).
func (s *Service) Update(ctx context.Context, slug string, u Update, expect int64, by auth.Caller) (Campaign, *Proposal, error) {
	return s.propose(ctx, Proposal{Kind: KindUpdate, Slug: slug, Fields: u}, expect, nil, by)
}

// UploadEmblem sanitises an uploaded emblem (PNG or SVG: see
// badge.NewEmblem) and stores the result, returning its id. The blob is
// inert: nothing shows it until a change names the id, under the usual
// rules. It needs an editor. A file refused stores nothing.
func (s *Service) UploadEmblem(ctx context.Context, data []byte, by auth.Caller) (string, error) {
	if err := by.Require(auth.Editor); err != nil {
		return "", err
	}
	e, err := badge.NewEmblem(data)
	if err != nil {
		return "", err
	}
	if err := s.store.PutEmblem(ctx, EmblemBlob{ID: e.ID(), PNG: e.PNG(), CreatedAt: s.now()}, by.Actor()); err != nil {
		return "", err
	}
	return e.ID(), nil
}

// UpdateWithEmblem is Update with an emblem file: when emblem is not nil
// it is checked against the campaign's version, uploaded (UploadEmblem)
// and named by u, so the proposal carries its id. A stale version or a
// refused file stores nothing.
func (s *Service) UpdateWithEmblem(ctx context.Context, slug string, u Update, emblem []byte, expect int64, by auth.Caller) (Campaign, *Proposal, error) {
	if emblem != nil {
		if err := by.Require(auth.Editor); err != nil {
			return Campaign{}, nil, err
		}
		cur, err := s.Get(ctx, slug)
		if err != nil {
			return Campaign{}, nil, err
		}
		if expect != 0 && expect != cur.Version {
			return Campaign{}, nil, apperr.PreconditionFailedf("campaign %q is at version %d, not %d: reload and try again", slug, cur.Version, expect)
		}
		id, err := s.UploadEmblem(ctx, emblem, by)
		if err != nil {
			return Campaign{}, nil, err
		}
		u.Emblem = &id
	}
	return s.Update(ctx, slug, u, expect, by)
}

// RemoveEmblem asks for the campaign named slug to show no emblem.
func (s *Service) RemoveEmblem(ctx context.Context, slug string, expect int64, by auth.Caller) (Campaign, *Proposal, error) {
	none, off := "", false
	return s.Update(ctx, slug, Update{Emblem: &none, EmblemInCode: &off}, expect, by)
}

// SetDisabled asks for the campaign named slug to stop (or start again)
// being served.
func (s *Service) SetDisabled(ctx context.Context, slug string, disabled bool, expect int64, by auth.Caller) (Campaign, *Proposal, error) {
	kind := KindEnable
	if disabled {
		kind = KindDisable
	}
	return s.propose(ctx, Proposal{Kind: kind, Slug: slug}, expect, nil, by)
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
}

// RequestRotation asks for a new target: applied at once for an admin
// (outside the two-person rule, with no time set; an admin's scheduled
// change is approved already), else stored as a proposal. When a change is
// applied, every badge, JSON and redirect this process serves reflects it
// before RequestRotation returns.
func (s *Service) RequestRotation(ctx context.Context, r Request, by auth.Caller) (Campaign, *Proposal, error) {
	return s.propose(ctx, Proposal{Kind: KindRotate, Slug: r.Slug, Target: r.Target}, r.Expect, r.RunAt, by)
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
		return s.propose(ctx, Proposal{Kind: KindRollback, Slug: slug, Target: r.Target}, expect, runAt, by)
	}
	return Campaign{}, nil, apperr.Invalidf("campaign %q has no version %d", slug, to)
}

// Rotate points slug at target at once, as its next version: the command
// line's rotation, made by an operator with access to the database itself,
// so neither the two-person rule nor a schedule applies. A non-zero expect
// must be the current version.
func (s *Service) Rotate(ctx context.Context, slug, target string, expect int64, by auth.Caller) (Campaign, error) {
	if !by.Operator() {
		return Campaign{}, apperr.Forbiddenf("a direct rotation is for operators at the command line; ask through the console or API")
	}
	c, _, err := s.RequestRotation(ctx, Request{Slug: slug, Target: target, Expect: expect}, by)
	return c, err
}

// Approve approves proposal id as by, who must be an admin and not its
// proposer, and carries it out unless it is scheduled for later. The
// change is checked again against the campaign as it is now; one that no
// longer holds (the campaign moved on, the pins changed, the slug was
// taken) is marked failed with the reason, and the error says why.
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
	if err := by.RequireFresh(); err != nil {
		return p, err
	}
	now := s.now()
	if p.RunAt != nil && p.RunAt.After(now) {
		return s.store.DecideProposal(ctx, id, Approved, "", now, by.Actor())
	}
	p.Approver = by.Account
	return s.carryOut(ctx, p, by)
}

// carryOut applies an approved (or being approved) proposal after checking
// it again against the campaign as it is now.
func (s *Service) carryOut(ctx context.Context, p Proposal, by auth.Caller) (Proposal, error) {
	now := s.now()
	fail := func(reason string, kind apperr.Kind) (Proposal, error) {
		if _, derr := s.store.DecideProposal(ctx, p.ID, Failed, reason, now, by.Actor()); derr != nil {
			return p, derr
		}
		return p, &apperr.Error{Kind: kind, Msg: reason + "; propose it again"}
	}
	var cur Campaign
	if p.Kind != KindCreate {
		var err error
		if cur, err = s.store.Campaign(ctx, p.Slug); err != nil {
			return p, err
		}
		if cur.Version != p.BaseVersion {
			return fail(fmt.Sprintf("the campaign moved on to version %d after this was proposed against version %d", cur.Version, p.BaseVersion), apperr.Conflict)
		}
	}
	c, err := s.next(ctx, cur, p)
	if err != nil {
		if k := apperr.KindOf(err); k == apperr.Internal || k == apperr.Unavailable {
			return p, err // the store failed, not the change: it stays as it is
		}
		return fail("it no longer holds: "+apperr.Message(err), apperr.Conflict)
	}
	_, err = s.applyNow(ctx, Change{Kind: p.Kind, State: c, Expect: p.BaseVersion, At: now,
		Proposer: p.Proposer, Approver: p.Approver, Proposal: p.ID}, by)
	switch apperr.KindOf(err) {
	case apperr.PreconditionFailed:
		return fail("the campaign moved on while this was being applied", apperr.Conflict)
	case apperr.Conflict:
		if p.Kind == KindCreate {
			return fail(fmt.Sprintf("campaign %q exists already", p.Slug), apperr.Conflict)
		}
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

// Scheduler is who carries out scheduled changes.
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
	em, err := s.emblemOf(ctx, c)
	if err != nil {
		return nil, "", err
	}
	b, err := badge.Render(badge.Content{Code: s.QRContent(c), Title: c.Title, Caption: c.Caption, Emblem: em, EmblemInCode: c.EmblemInCode}, v)
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
	target, err := s.cfg.Policy.CheckPinned(target, c.OAIDs)
	if err != nil {
		return "", err
	}
	c.Target = target
	if _, err := badge.Encode(s.QRContent(c)); err != nil {
		return "", apperr.Invalidf("target is too long for a QR code that scans at every size (at most %d bytes)", badge.MaxContentBytes)
	}
	return target, nil
}
