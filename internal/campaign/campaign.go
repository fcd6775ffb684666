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

	"github.com/oabadge/oabadge/internal/apperr"
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
	Slug      string
	Title     string
	Caption   string
	Target    string
	Version   int64
	QRMode    QRMode
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Revision is one entry of a campaign's target history.
type Revision struct {
	Version   int64
	Target    string
	Actor     string
	CreatedAt time.Time
}

// Store keeps campaigns durably. Implementations return apperr kinds:
// NotFound for an unknown slug, Conflict for a duplicate slug or a stale
// version, Unavailable when the database cannot take writes.
type Store interface {
	// Campaigns returns every campaign, ordered by slug.
	Campaigns(ctx context.Context) ([]Campaign, error)
	// Campaign returns the campaign named slug.
	Campaign(ctx context.Context, slug string) (Campaign, error)
	// CreateCampaign stores c as version 1 together with its first
	// history row, in one transaction.
	CreateCampaign(ctx context.Context, c Campaign, actor string) error
	// Rotate sets slug's target to target as the next version and appends
	// the history row, in one transaction. A non-zero expect must equal the
	// current version or nothing changes and the error is a Conflict.
	Rotate(ctx context.Context, slug string, expect int64, target, actor string, at time.Time) (Campaign, error)
	// History returns slug's revisions, newest first.
	History(ctx context.Context, slug string) ([]Revision, error)
}

// Watcher is implemented by stores that can tell when another process has
// changed them. Watch calls changed (from one goroutine) after each change
// it notices, until ctx ends.
type Watcher interface {
	Watch(ctx context.Context, changed func()) error
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
	return nil
}
