// Package campaign is the core of oabadge: a campaign is one badge, with
// the Official Account URL it points at and the history of those targets.
//
// The package owns the rules (which targets are allowed, how a rotation is
// versioned) and the Service that ties a Store, the rendered-bytes cache and
// change notification together. It knows nothing of HTTP.
package campaign

import (
	"context"
	"regexp"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/badge"
)

// QRMode says what a campaign's QR code encodes.
type QRMode string

const (
	// Direct encodes the target URL itself: the shortest code, but printed
	// copies keep pointing at the old target after a rotation.
	Direct QRMode = "direct"
	// Redirect encodes this server's stable /s/{slug} URL, which answers
	// with the current target, so printed posters follow rotations.
	Redirect QRMode = "redirect"
)

// Campaign is one badge. Version starts at 1 and grows by one with every
// change of Target; clients use it as an ETag-like precondition.
type Campaign struct {
	Slug    string
	Title   string
	Caption string
	Target  string
	Version int64
	QRMode  QRMode
	// OAIDs, when not empty, are the only Official Account ids a target
	// may name: a host allowlist alone would accept an attacker's own OA.
	OAIDs []string
	// Theme and Layout are the campaign's look: what a badge request that
	// names none gets ("light" and "badge" when empty).
	Theme, Layout string
	// Emblem names the campaign's emblem (badge.Emblem's ID), shown beside
	// the title on cards and posters; "" for none. The sanitised image is
	// kept by the store under that id (see EmblemBlob).
	Emblem string
	// EmblemInCode also puts the emblem in the centre of the code (see
	// badge.Content.EmblemInCode). It needs an emblem.
	EmblemInCode bool
	// Disabled campaigns are not served: their badges, pages and
	// redirects answer 404 until they are enabled again.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Revision is one entry of a campaign's history: every change makes one,
// with the target in force after it.
type Revision struct {
	Version   int64
	Target    string
	Kind      string // one of the change kinds
	Actor     string
	Approver  string // the second person, when one approved it
	CreatedAt time.Time
}

// The kinds of change. Each alters what citizens see, so each goes through
// the same rules: proposed by an editor, applied by an admin (or approved by
// a second one under the two-person rule), re-checked when applied.
const (
	KindCreate   = "create"   // a new campaign
	KindRotate   = "rotate"   // a new target
	KindRollback = "rollback" // the target of an earlier version
	KindUpdate   = "update"   // title, caption, QR mode, pinned ids, look, emblem
	KindDisable  = "disable"  // stop serving it
	KindEnable   = "enable"   // serve it again
)

// Kinds lists the change kinds.
var Kinds = []string{KindCreate, KindRotate, KindRollback, KindUpdate, KindDisable, KindEnable}

// Change is a change to a campaign as a store applies it.
type Change struct {
	Kind string
	// State is the campaign after the change: every field is stored. The
	// store sets the version (1 for a new campaign, else one more than the
	// current), the creation time (kept) and the update time (At).
	State Campaign
	// Expect is the version the change applies to; 0 applies to whatever
	// is current (the command line). A store refuses a stale one with
	// PreconditionFailed, and a create of an existing slug with Conflict.
	Expect int64
	At     time.Time
	// Proposer is who asked for it, when it carries out a proposal (the
	// history names them; the audit entry names who carried it out).
	// Approver is who approved it, and Proposal the proposal it carries
	// out (0 for a direct change).
	Proposer string
	Approver string
	Proposal int64
}

// Proposal states.
const (
	Pending   = "pending"   // waits for approval
	Approved  = "approved"  // approved, waits for its time
	Applied   = "applied"   // carried out
	Rejected  = "rejected"  // refused by an approver
	Cancelled = "cancelled" // withdrawn by its proposer
	Failed    = "failed"    // could not be carried out (the campaign moved on)
)

// Proposal is a change that waits: for a second person's approval (the
// two-person rule, or an editor's proposal) or for its scheduled time.
type Proposal struct {
	ID   int64
	Slug string
	Kind string // one of the change kinds
	// Target is the proposed target (create, rotate, rollback).
	Target string
	// Fields are the proposed fields (create, update).
	Fields Update
	// BaseVersion is the version it was proposed against (0 for create).
	BaseVersion  int64
	Proposer     string
	ProposerRole string
	RunAt        *time.Time // nil: as soon as approved
	Status       string
	Approver     string
	Reason       string // why it failed or was rejected
	CreatedAt    time.Time
	DecidedAt    *time.Time
}

// EmblemBlob is an emblem as a store keeps it: the sanitised PNG
// (badge.Emblem's PNG, never the file as uploaded) under its id
// (badge.Emblem's ID, derived from those bytes). A blob is inert until a
// campaign names it, so it is uploaded before the change that names it,
// and a proposal carries the id, not the image.
type EmblemBlob struct {
	ID        string
	PNG       []byte
	CreatedAt time.Time
}

// Store keeps campaigns durably. Every method that changes something also
// appends its audit entry, in the same transaction. Implementations return
// apperr kinds: NotFound for an unknown slug or proposal, Conflict for a
// duplicate slug or a proposal decided already, PreconditionFailed for a
// stale version, Unavailable when the database cannot take writes.
type Store interface {
	// Campaigns returns every campaign, disabled ones too, ordered by slug.
	Campaigns(ctx context.Context) ([]Campaign, error)
	// Campaign returns the campaign named slug.
	Campaign(ctx context.Context, slug string) (Campaign, error)
	// Apply stores a change, with its history row; a non-zero
	// ch.Proposal must be pending or approved, and is marked applied.
	Apply(ctx context.Context, ch Change, by audit.Actor) (Campaign, error)
	// History returns slug's revisions, newest first.
	History(ctx context.Context, slug string) ([]Revision, error)

	// CreateProposal stores p (its ID and CreatedAt are set by the store).
	CreateProposal(ctx context.Context, p Proposal, by audit.Actor) (Proposal, error)
	// Proposal returns the proposal id.
	Proposal(ctx context.Context, id int64) (Proposal, error)
	// Proposals returns the proposals in status (all when empty), newest first.
	Proposals(ctx context.Context, status string) ([]Proposal, error)
	// DecideProposal moves a pending (or approved) proposal to status,
	// recording who decided, when and why.
	DecideProposal(ctx context.Context, id int64, status, reason string, at time.Time, by audit.Actor) (Proposal, error)

	// PutEmblem stores an emblem blob, with its audit entry. Storing an id
	// that is stored already with the same bytes changes nothing and is
	// not an error; with other bytes it is a Conflict (the first stays).
	// It must not announce a campaign change.
	PutEmblem(ctx context.Context, b EmblemBlob, by audit.Actor) error
	// Emblem returns the emblem blob id (NotFound when none is stored).
	Emblem(ctx context.Context, id string) (EmblemBlob, error)
}

// Watcher is implemented by stores that can tell when another process has
// changed their campaigns. Watch calls changed (from one goroutine) after
// each change it notices, with the slug of the campaign that changed, or
// "" when it cannot tell which (or when everything should be re-read, as
// after a reconnect), until ctx ends or watching fails. It must not call
// changed for writes that touch no campaign (sign-ins, counts, checks).
type Watcher interface {
	Watch(ctx context.Context, changed func(slug string)) error
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// Limits on a campaign's text, in characters after cleaning.
const (
	MaxTitle   = 120
	MaxCaption = 200
)

// ValidSlug reports whether s can name a campaign: 1 to 40 lower-case ASCII
// letters, digits and inner hyphens, so it is safe in paths and cache keys.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// normalize cleans c's text and checks every field but the target.
func normalize(c *Campaign) error {
	if !ValidSlug(c.Slug) {
		return apperr.Invalidf("slug %q: use 1 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit", c.Slug)
	}
	for _, f := range []struct{ name, text string }{{"title", c.Title}, {"caption", c.Caption}} {
		if r, bad := badge.Undrawable(norm.NFC.String(f.text)); bad {
			return apperr.Invalidf("the %s has a character the badge cannot draw (%q, U+%04X): remove it", f.name, r, r)
		}
	}
	c.Title = badge.CleanText(c.Title)
	c.Caption = badge.CleanText(c.Caption)
	switch {
	case c.Title == "":
		return apperr.Invalidf("title is empty")
	case utf8.RuneCountInString(c.Title) > MaxTitle:
		return apperr.Invalidf("title is longer than %d characters", MaxTitle)
	case c.Caption == "":
		return apperr.Invalidf("caption is empty")
	case utf8.RuneCountInString(c.Caption) > MaxCaption:
		return apperr.Invalidf("caption is longer than %d characters", MaxCaption)
	}
	switch c.QRMode {
	case "":
		c.QRMode = Direct
	case Direct, Redirect:
	default:
		return apperr.Invalidf("qr mode %q: use %q or %q", c.QRMode, Direct, Redirect)
	}
	if c.Theme == "" {
		c.Theme = badge.ThemeLight.String()
	}
	if c.Layout == "" {
		c.Layout = badge.LayoutBadge.String()
	}
	if _, ok := badge.ParseTheme(c.Theme); !ok {
		return apperr.Invalidf("theme %q: use %s", c.Theme, badge.ThemeList)
	}
	if _, ok := badge.ParseLayout(c.Layout); !ok {
		return apperr.Invalidf("layout %q: use %s", c.Layout, badge.LayoutList)
	}
	if c.Emblem != "" && !ValidEmblemID(c.Emblem) {
		return apperr.Invalidf("emblem %q: not an emblem id (upload the image to get one)", c.Emblem)
	}
	if c.EmblemInCode && c.Emblem == "" {
		return apperr.Invalidf("emblem_in_code needs an emblem: upload one first")
	}
	if len(c.OAIDs) > MaxOAIDs {
		return apperr.Invalidf("at most %d pinned Official Account ids", MaxOAIDs)
	}
	for _, id := range c.OAIDs {
		if !oaIDRE.MatchString(id) {
			return apperr.Invalidf("Official Account id %q: use the digits of the OA's id", id)
		}
	}
	return nil
}

// MaxOAIDs bounds a campaign's pinned Official Account ids.
const MaxOAIDs = 20

var oaIDRE = regexp.MustCompile(`^[0-9]{1,32}$`)

var emblemIDRE = regexp.MustCompile(`^[0-9a-f]{12}$`)

// ValidEmblemID reports whether id has the form of badge.Emblem's ID (12
// lower-case hexadecimal digits), so it is safe in paths and cache keys.
func ValidEmblemID(id string) bool { return emblemIDRE.MatchString(id) }
