package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"golang.org/x/sync/singleflight"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/badge"
)

// Asset is one rendered variant of one campaign version. It is shared by
// every request that serves it and must not be modified.
type Asset struct {
	Body    []byte
	Variant badge.Variant
	Version int64

	// Kept in arrays so the *Values methods can return slices of them
	// without allocating.
	etag   [1]string // quoted strong validator
	length [1]string // len(Body) in decimal
}

// ETag returns the asset's strong entity tag, quoted.
func (a *Asset) ETag() string { return a.etag[0] }

// ETagValues returns the entity tag as a one-element slice, for callers that
// put it in a header map without allocating. The slice is shared: do not
// modify it.
func (a *Asset) ETagValues() []string { return a.etag[:] }

// LengthValues returns len(Body) in decimal as a shared one-element slice.
func (a *Asset) LengthValues() []string { return a.length[:] }

// Observer is told about cache and render events, for metrics. Its methods
// are called on the serving path and must not block.
type Observer interface {
	CacheHit()
	CacheMiss()
	Rendered(v badge.Variant, d time.Duration, err error)
}

type nopObserver struct{}

func (nopObserver) CacheHit()                                    {}
func (nopObserver) CacheMiss()                                   {}
func (nopObserver) Rendered(badge.Variant, time.Duration, error) {}

// entry is a campaign as served: the stored fields, what its QR encodes,
// and the cache key of every variant of this version, computed once so the
// serving path builds no strings.
type entry struct {
	c    Campaign
	code string
	keys [badge.NumVariants]string
}

// snapshot is an immutable view of every campaign; it is replaced whole.
type snapshot struct {
	bySlug map[string]*entry
	list   []Campaign // ordered by slug
}

// Config is what a Service needs besides its store.
type Config struct {
	Policy Policy
	// PublicURL is the server's external base URL, without a trailing
	// slash, written into redirect-mode QR codes.
	PublicURL string
	// PollInterval is how often a store that cannot notify is re-read,
	// and how often due scheduled rotations are looked for.
	PollInterval time.Duration
	// TwoPerson makes every rotation wait for a second admin's approval.
	TwoPerson bool
	Observer  Observer
	Logger    *slog.Logger
	// Now is the clock; tests fix it.
	Now func() time.Time
}

// Service serves campaigns and their rendered badges from memory and
// applies changes. Reads never touch the store: a snapshot of every
// campaign is kept in memory and replaced when the store changes, so badges
// keep serving while the database is slow or away.
type Service struct {
	store Store
	cfg   Config
	snap  atomic.Pointer[snapshot]
	mu    sync.Mutex // serialises snapshot replacement
	cache *gocache.Cache
	group singleflight.Group
	// renders bounds the renders running at once to the processors: more
	// would not finish sooner, and each large PNG holds tens of MiB while
	// it is made.
	renders chan struct{}
}

// Cache expiry. Keys carry the campaign version, so an entry is never served
// stale; expiry only reclaims memory from variants nobody asks for any more.
const (
	cacheTTL     = 6 * time.Hour
	cacheCleanup = 10 * time.Minute
)

// NewService returns a Service over store. Call Refresh (or Run) before
// serving so the snapshot holds the stored campaigns.
func NewService(store Store, cfg Config) *Service {
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	s := &Service{store: store, cfg: cfg, cache: gocache.New(cacheTTL, cacheCleanup), renders: make(chan struct{}, runtime.GOMAXPROCS(0))}
	s.snap.Store(&snapshot{bySlug: map[string]*entry{}})
	return s
}

// now is the clock in UTC, to the microsecond: the precision every store
// keeps, so a time read back equals the time written.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Get returns the campaign named slug from memory.
func (s *Service) Get(slug string) (Campaign, bool) {
	e := s.snap.Load().bySlug[slug]
	if e == nil {
		return Campaign{}, false
	}
	return e.c, true
}

// List returns every campaign, ordered by slug. The slice is shared: do
// not modify it.
func (s *Service) List() []Campaign { return s.snap.Load().list }

// QRContent returns what c's QR code encodes.
func (s *Service) QRContent(c Campaign) string {
	if c.QRMode == Redirect {
		return s.cfg.PublicURL + "/s/" + c.Slug
	}
	return c.Target
}

// PlacementCode reports whether p can name a placement (a desk, an
// agency) in a printed code: 1 to 32 lower-case letters, digits, hyphens.
func PlacementCode(p string) bool { return placementRE.MatchString(p) }

var placementRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// PrintedCode returns what a printed code for c encodes. A placement code
// is carried in the stable redirect URL (…/s/slug?p=CODE), so scans are
// counted per desk; it needs a campaign in redirect mode, since a direct
// code leads straight to Zalo and this server never sees the scan.
func (s *Service) PrintedCode(c Campaign, placement string) (string, error) {
	if placement == "" {
		return s.QRContent(c), nil
	}
	if !PlacementCode(placement) {
		return "", apperr.Invalidf("placement %q: use 1 to 32 lower-case letters, digits and hyphens", placement)
	}
	if c.QRMode != Redirect {
		return "", apperr.Invalidf("placement codes need a campaign whose QR encodes this server's stable redirect (qr_mode redirect)")
	}
	return s.cfg.PublicURL + "/s/" + c.Slug + "?p=" + placement, nil
}

// CacheLen returns the number of cached assets, for metrics.
func (s *Service) CacheLen() int { return s.cache.ItemCount() }

var errNoCampaign = apperr.NotFoundf("no such campaign")

// Badge returns variant v of the campaign named slug, rendering it at most
// once per campaign version however many requests ask at the same time.
// On a cache hit it does not allocate.
func (s *Service) Badge(ctx context.Context, slug string, v badge.Variant) (*Asset, error) {
	return s.BadgeFor(ctx, slug, func(string, string) (badge.Variant, error) { return v, nil })
}

// BadgeFor is Badge for a variant that depends on the campaign's look:
// variant gets the campaign's default theme and layout and returns the
// variant to serve (or an error, returned as it is). The campaign is
// looked up once.
func (s *Service) BadgeFor(ctx context.Context, slug string, variant func(theme, layout string) (badge.Variant, error)) (*Asset, error) {
	e := s.snap.Load().bySlug[slug]
	if e == nil {
		return nil, errNoCampaign
	}
	v, err := variant(e.c.Theme, e.c.Layout)
	if err != nil {
		return nil, err
	}
	i := v.Index()
	if i < 0 {
		return nil, apperr.Invalidf("unsupported variant %s", v)
	}
	key := e.keys[i]
	if x, ok := s.cache.Get(key); ok {
		s.cfg.Observer.CacheHit()
		return x.(*Asset), nil
	}
	s.cfg.Observer.CacheMiss()
	if err := v.Validate(); err != nil {
		return nil, apperr.Invalidf("%v", err)
	}
	x, err, _ := s.group.Do(key, func() (any, error) {
		if x, ok := s.cache.Get(key); ok {
			return x, nil
		}
		s.renders <- struct{}{}
		start := time.Now()
		body, err := badge.Render(badge.Content{Code: e.code, Title: e.c.Title, Caption: e.c.Caption}, v)
		<-s.renders
		s.cfg.Observer.Rendered(v, time.Since(start), err)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		a := &Asset{Body: body, Variant: v, Version: e.c.Version}
		a.etag[0] = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		a.length[0] = strconv.Itoa(len(body))
		s.cache.Set(key, a, gocache.DefaultExpiration)
		// A rotation may have replaced this version while it rendered: its
		// keys are then unreachable, so free the memory now.
		if cur := s.snap.Load().bySlug[slug]; cur == nil || cur.c.Version != e.c.Version {
			s.cache.Delete(key)
		}
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	return x.(*Asset), nil
}

// Refresh re-reads every campaign from the store and replaces the snapshot,
// dropping cached variants of versions that are no longer current.
func (s *Service) Refresh(ctx context.Context) error {
	list, err := s.store.Campaigns(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	next := &snapshot{bySlug: make(map[string]*entry, len(list)), list: list}
	for _, c := range list {
		if e := old.bySlug[c.Slug]; e != nil && e.c.Version == c.Version && e.c.UpdatedAt.Equal(c.UpdatedAt) {
			next.bySlug[c.Slug] = e
			continue
		}
		next.bySlug[c.Slug] = s.newEntry(c)
	}
	s.swap(old, next)
	return nil
}

// apply puts one changed campaign into the snapshot.
func (s *Service) apply(c Campaign) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if e := old.bySlug[c.Slug]; e != nil && e.c.Version > c.Version {
		return // a newer version arrived through Refresh already
	}
	next := &snapshot{bySlug: make(map[string]*entry, len(old.bySlug)+1)}
	for k, e := range old.bySlug {
		next.bySlug[k] = e
	}
	next.bySlug[c.Slug] = s.newEntry(c)
	next.list = make([]Campaign, 0, len(next.bySlug))
	replaced := false
	for _, x := range old.list {
		if x.Slug == c.Slug {
			x, replaced = c, true
		}
		next.list = append(next.list, x)
	}
	if !replaced {
		next.list = insertSorted(next.list, c)
	}
	s.swap(old, next)
}

// swap publishes next and deletes the cached variants of every entry of old
// that next no longer holds. Called with s.mu held.
func (s *Service) swap(old, next *snapshot) {
	s.snap.Store(next)
	for slug, e := range old.bySlug {
		if next.bySlug[slug] == e {
			continue
		}
		for _, k := range e.keys {
			if k != "" {
				s.cache.Delete(k)
			}
		}
	}
}

func (s *Service) newEntry(c Campaign) *entry {
	e := &entry{c: c, code: s.QRContent(c)}
	// The key names the campaign, its version and the variant's index; the
	// update time guards against a campaign deleted and re-created with the
	// same slug and version.
	prefix := c.Slug + "/" + strconv.FormatInt(c.Version, 10) + "/" + strconv.FormatInt(c.UpdatedAt.UnixNano(), 36) + "/"
	for _, v := range badge.Variants() {
		e.keys[v.Index()] = prefix + strconv.Itoa(v.Index())
	}
	return e
}

func insertSorted(list []Campaign, c Campaign) []Campaign {
	i := 0
	for i < len(list) && list[i].Slug < c.Slug {
		i++
	}
	list = append(list, Campaign{})
	copy(list[i+1:], list[i:])
	list[i] = c
	return list
}

// Create validates and stores a new campaign at version 1.
func (s *Service) Create(ctx context.Context, c Campaign, by audit.Actor) (Campaign, error) {
	if err := normalize(&c); err != nil {
		return Campaign{}, err
	}
	target, err := s.CheckTarget(c, c.Target)
	if err != nil {
		return Campaign{}, err
	}
	now := s.now()
	c.Target, c.Version, c.CreatedAt, c.UpdatedAt = target, 1, now, now
	if err := s.store.CreateCampaign(ctx, c, by); err != nil {
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
func (s *Service) Update(ctx context.Context, slug string, u Update, by audit.Actor) (Campaign, error) {
	c, err := s.store.Campaign(ctx, slug)
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
	c, err = s.store.UpdateCampaign(ctx, c, by)
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
// campaign, or stores it as a proposal, returning that. It applies at once
// only when mayApply (the caller is an admin), the two-person rule is off
// and no time is set; an admin's scheduled change is approved already.
// When a change is applied, every badge, JSON and redirect this process
// serves reflects it before RequestRotation returns.
func (s *Service) RequestRotation(ctx context.Context, r Request, by audit.Actor, mayApply bool) (Campaign, *Proposal, error) {
	if r.Kind == "" {
		r.Kind = "rotate"
	}
	c, err := s.store.Campaign(ctx, r.Slug)
	if err != nil {
		return Campaign{}, nil, err
	}
	target, err := s.CheckTarget(c, r.Target)
	if err != nil {
		return Campaign{}, nil, err
	}
	if r.Expect != 0 && r.Expect != c.Version {
		return Campaign{}, nil, apperr.Conflictf("campaign %q is at version %d, not %d: reload and try again", r.Slug, c.Version, r.Expect)
	}
	now := s.now()
	if r.RunAt != nil && !r.RunAt.After(now) {
		r.RunAt = nil // a time in the past means now
	}
	if mayApply && !s.cfg.TwoPerson && r.RunAt == nil {
		c, err := s.rotateNow(ctx, Rotation{Slug: r.Slug, Expect: c.Version, Target: target, Kind: r.Kind, At: now}, by)
		return c, nil, err
	}
	p := Proposal{Slug: r.Slug, Target: target, Kind: r.Kind, BaseVersion: c.Version, Proposer: by.Name,
		ProposerRole: by.Role, RunAt: r.RunAt, Status: Pending, CreatedAt: now}
	if mayApply && !s.cfg.TwoPerson {
		p.Status, p.Approver = Approved, by.Name // scheduled by an admin: nothing to approve
	}
	p, err = s.store.CreateProposal(ctx, p, by)
	if err != nil {
		return Campaign{}, nil, err
	}
	return c, &p, nil
}

// Rotate points slug at target at once, as its next version: the command
// line's rotation, made by an operator with access to the database itself,
// so neither the two-person rule nor a schedule applies. A non-zero expect
// must be the current version.
func (s *Service) Rotate(ctx context.Context, slug, target string, expect int64, by audit.Actor) (Campaign, error) {
	c, err := s.store.Campaign(ctx, slug)
	if err != nil {
		return Campaign{}, err
	}
	if target, err = s.CheckTarget(c, target); err != nil {
		return Campaign{}, err
	}
	return s.rotateNow(ctx, Rotation{Slug: slug, Expect: expect, Target: target, Kind: "rotate", At: s.now()}, by)
}

// rotateNow stores r and serves it at once.
func (s *Service) rotateNow(ctx context.Context, r Rotation, by audit.Actor) (Campaign, error) {
	c, err := s.store.Rotate(ctx, r, by)
	if err != nil {
		return Campaign{}, err
	}
	s.apply(c)
	return c, nil
}

// Approve approves proposal id as by, who must not be its proposer, and
// applies it unless it is scheduled for later. A proposal whose campaign
// has moved on since is marked failed, and the error is a Conflict.
func (s *Service) Approve(ctx context.Context, id int64, by audit.Actor) (Proposal, error) {
	p, err := s.store.Proposal(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	if p.Status != Pending {
		return p, apperr.Conflictf("proposal %d is %s, not pending", id, p.Status)
	}
	if p.Proposer == by.Name {
		return p, apperr.Forbiddenf("you proposed this change; another admin must approve it")
	}
	now := s.now()
	if p.RunAt != nil && p.RunAt.After(now) {
		return s.store.DecideProposal(ctx, id, Approved, "", now, by)
	}
	p.Approver = by.Name
	return s.carryOut(ctx, p, by)
}

// carryOut applies an approved (or being approved) proposal.
func (s *Service) carryOut(ctx context.Context, p Proposal, by audit.Actor) (Proposal, error) {
	now := s.now()
	_, err := s.rotateNow(ctx, Rotation{Slug: p.Slug, Expect: p.BaseVersion, Target: p.Target, Kind: p.Kind, At: now,
		Proposer: p.Proposer, Approver: p.Approver, Proposal: p.ID}, by)
	if apperr.KindOf(err) == apperr.Conflict {
		cur, _ := s.store.Campaign(ctx, p.Slug)
		reason := fmt.Sprintf("the campaign moved on to version %d after this was proposed against version %d", cur.Version, p.BaseVersion)
		if _, derr := s.store.DecideProposal(ctx, p.ID, Failed, reason, now, by); derr != nil {
			return p, derr
		}
		return p, apperr.Conflictf("%s; propose it again", reason)
	}
	if err != nil {
		return p, err
	}
	return s.store.Proposal(ctx, p.ID)
}

// Reject refuses (or, by its proposer, withdraws) pending proposal id.
func (s *Service) Reject(ctx context.Context, id int64, reason string, by audit.Actor) (Proposal, error) {
	p, err := s.store.Proposal(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	if p.Status != Pending && p.Status != Approved {
		return p, apperr.Conflictf("proposal %d is %s already", id, p.Status)
	}
	status := Rejected
	if p.Proposer == by.Name {
		status = Cancelled
	}
	return s.store.DecideProposal(ctx, id, status, reason, s.now(), by)
}

// Proposal returns proposal id.
func (s *Service) Proposal(ctx context.Context, id int64) (Proposal, error) {
	return s.store.Proposal(ctx, id)
}

// Proposals returns the proposals in status (all when empty), newest first.
func (s *Service) Proposals(ctx context.Context, status string) ([]Proposal, error) {
	return s.store.Proposals(ctx, status)
}

// Scheduler is the actor that carries out scheduled rotations.
var Scheduler = audit.Actor{Name: "system:scheduler", Role: "admin"}

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

// Preview renders variant v of the campaign named slug as it would look
// pointing at target, without storing anything, after the same checks a
// rotation makes. It returns the canonical target too.
func (s *Service) Preview(ctx context.Context, slug, target string, v badge.Variant) ([]byte, string, error) {
	c, err := s.store.Campaign(ctx, slug)
	if err != nil {
		return nil, "", err
	}
	if target, err = s.CheckTarget(c, target); err != nil {
		return nil, "", err
	}
	c.Target = target
	b, err := badge.Render(badge.Content{Code: s.QRContent(c), Title: c.Title, Caption: c.Caption}, v)
	return b, target, err
}

// History returns slug's target history, newest first.
func (s *Service) History(ctx context.Context, slug string) ([]Revision, error) {
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

// Demo is the actor that creates the demo campaign.
var Demo = audit.Actor{Name: "system:demo", Role: "admin"}

// EnsureDemo creates c when the store holds no campaign at all, so a first
// run shows a badge at once. It reports whether it created it.
func (s *Service) EnsureDemo(ctx context.Context, c Campaign) (bool, error) {
	list, err := s.store.Campaigns(ctx)
	if err != nil {
		return false, err
	}
	if len(list) > 0 {
		return false, nil
	}
	if _, err := s.Create(ctx, c, Demo); err != nil {
		if apperr.KindOf(err) == apperr.Conflict {
			return false, nil // another process created it first
		}
		return false, err
	}
	return true, nil
}

// Run keeps the snapshot in step with the store until ctx ends: through the
// store's Watcher when it has one, else by polling. It also polls when the
// watcher fails, so a broken notification channel delays changes by at
// most one poll interval.
func (s *Service) Run(ctx context.Context) error {
	refresh := func() {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("refreshing campaigns", "err", err)
		}
	}
	go s.runScheduler(ctx)
	if w, ok := s.store.(Watcher); ok {
		for ctx.Err() == nil {
			err := w.Watch(ctx, refresh)
			if ctx.Err() != nil {
				break
			}
			s.cfg.Logger.Warn("watching the store for changes; polling until it works again", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(s.cfg.PollInterval):
				refresh()
			}
		}
		return nil
	}
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			refresh()
		}
	}
}

// runScheduler applies due scheduled rotations every poll interval.
func (s *Service) runScheduler(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.ApplyDue(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("applying scheduled rotations", "err", err)
			}
		}
	}
}
