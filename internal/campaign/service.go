package campaign

import (
	"context"
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
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/compress"
	"github.com/oabadge/oabadge/internal/poster"
)

// Asset is one rendered variant of one campaign version (or a served
// emblem), with its compressed forms. It is shared by every request that
// serves it and must not be modified.
type Asset struct {
	// Body is the uncompressed bytes.
	Body    []byte
	Variant badge.Variant
	Version int64

	codings *compress.Set
}

func newAsset(body []byte, v badge.Variant, version int64) *Asset {
	a := &Asset{Body: body, Variant: v, Version: version}
	if v.Format == badge.SVG {
		// Text compresses to a third; PNG is compressed already.
		a.codings = compress.Compressed(body)
	} else {
		a.codings = compress.Plain(body)
	}
	return a
}

// ETag returns the strong entity tag of the uncompressed body, quoted.
func (a *Asset) ETag() string { return a.codings.Identity().ETag() }

// ETagValues returns the entity tag as a one-element slice, for callers that
// put it in a header map without allocating. The slice is shared: do not
// modify it.
func (a *Asset) ETagValues() []string { return a.codings.Identity().ETagValues() }

// LengthValues returns len(Body) in decimal as a shared one-element slice.
func (a *Asset) LengthValues() []string { return a.codings.Identity().LengthValues() }

// Compressible reports whether the asset has compressed forms (SVG does,
// PNG does not), so its responses vary by Accept-Encoding.
func (a *Asset) Compressible() bool { return a.codings.Compressible() }

// For returns the form of the asset to send to a request whose
// Accept-Encoding lines are accept (brotli, else gzip, else identity),
// each with its own ETag and length. It does not allocate.
func (a *Asset) For(accept []string) *compress.Body { return a.codings.For(accept) }

// Observer is told about cache and render events, for metrics. Its methods
// are called on the serving path and must not block.
type Observer interface {
	CacheHit()
	CacheMiss()
	Rendered(v badge.Variant, d time.Duration, err error)
}

// Invalidator is told, without waiting, that a campaign's served bytes
// changed.
type Invalidator interface {
	Invalidate(slug string)
	// InvalidateAll drops every campaign's responses.
	InvalidateAll()
}

type nopInvalidator struct{}

func (nopInvalidator) Invalidate(string) {}
func (nopInvalidator) InvalidateAll()    {}

type nopObserver struct{}

func (nopObserver) CacheHit()                                    {}
func (nopObserver) CacheMiss()                                   {}
func (nopObserver) Rendered(badge.Variant, time.Duration, error) {}

// Entry is a campaign as served: the stored fields, what its QR encodes,
// and the cache key of every variant of this version, computed once so the
// serving path builds no strings. Entries are immutable and shared.
type Entry struct {
	c      Campaign
	code   string
	keys   [badge.NumVariants]string
	emblem *emblem // nil without one
	doc    atomic.Pointer[compress.Set]
}

// emblem is a campaign's emblem decoded once, with the PNG as served.
type emblem struct {
	img   *badge.Emblem
	asset *Asset
}

// Campaign returns the campaign the entry serves.
func (e *Entry) Campaign() Campaign { return e.c }

// Slug returns the campaign's slug.
func (e *Entry) Slug() string { return e.c.Slug }

// Look returns the campaign's default theme and layout.
func (e *Entry) Look() (theme, layout string) { return e.c.Theme, e.c.Layout }

// serves reports whether e is the entry of c as stored: the same version
// of the same campaign (the update time tells a campaign deleted and
// re-created apart). A nil entry serves nothing.
func (e *Entry) serves(c Campaign) bool {
	return e != nil && e.c.Version == c.Version && e.c.UpdatedAt.Equal(c.UpdatedAt)
}

// Emblem returns the campaign's emblem, decoded, or nil for none.
func (e *Entry) Emblem() *badge.Emblem {
	if e.emblem == nil {
		return nil
	}
	return e.emblem.img
}

// Document returns the campaign's public document (its JSON), made by
// build the first time it is asked for and kept, with its compressed
// forms, as long as the entry: once per campaign version, not per request.
// build must depend on nothing but the campaign and fixed configuration.
func (e *Entry) Document(build func(Campaign) ([]byte, error)) (*compress.Set, error) {
	if d := e.doc.Load(); d != nil {
		return d, nil
	}
	b, err := build(e.c)
	if err != nil {
		return nil, err
	}
	d := compress.Compressed(b)
	e.doc.Store(d) // two first requests at once may both build: the same bytes
	return d, nil
}

// snapshot is an immutable view of every campaign; it is replaced whole.
type snapshot struct {
	bySlug map[string]*Entry
	list   []Campaign // every campaign, ordered by slug
	served []Campaign // the enabled ones
	// emblems are the decoded emblems of every campaign, by id; public
	// those of served campaigns only.
	emblems, public map[string]*emblem
	listDoc         atomic.Pointer[compress.Set]
}

// finish computes what is derived from the list, before publishing.
func (sn *snapshot) finish() *snapshot {
	sn.served = make([]Campaign, 0, len(sn.list))
	sn.emblems, sn.public = map[string]*emblem{}, map[string]*emblem{}
	for _, c := range sn.list {
		if !c.Disabled {
			sn.served = append(sn.served, c)
		}
		if e := sn.bySlug[c.Slug]; e != nil && e.emblem != nil {
			sn.emblems[c.Emblem] = e.emblem
			if !c.Disabled {
				sn.public[c.Emblem] = e.emblem
			}
		}
	}
	return sn
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
	// Invalidator is told of every change this process applies, so the
	// shared caches in front can drop the campaign's responses; the
	// replicas that only follow the change do not tell them again.
	Invalidator Invalidator
	Logger      *slog.Logger
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
	if cfg.Invalidator == nil {
		cfg.Invalidator = nopInvalidator{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	s := &Service{store: store, cfg: cfg, cache: gocache.New(cacheTTL, cacheCleanup), renders: make(chan struct{}, runtime.GOMAXPROCS(0))}
	s.snap.Store((&snapshot{bySlug: map[string]*Entry{}}).finish())
	return s
}

// now is the clock in UTC, to the microsecond: the precision every store
// keeps, so a time read back equals the time written.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Lookup returns the served entry of the campaign named slug, from memory:
// the first half of serving a badge. It does not allocate.
func (s *Service) Lookup(_ context.Context, slug string) (*Entry, error) {
	e := s.snap.Load().bySlug[slug]
	if e == nil || e.c.Disabled {
		return nil, errNoCampaign
	}
	return e, nil
}

// Served returns the campaign named slug as this process serves it now.
func (s *Service) Served(ctx context.Context, slug string) (Campaign, error) {
	e, err := s.Lookup(ctx, slug)
	if err != nil {
		return Campaign{}, err
	}
	return e.c, nil
}

// Get returns the campaign named slug as stored: what an editor sees and
// changes, which may be ahead of what this process serves by at most one
// poll interval when another process changed it.
func (s *Service) Get(ctx context.Context, slug string) (Campaign, error) {
	if !ValidSlug(slug) {
		return Campaign{}, errNoCampaign
	}
	return s.store.Campaign(ctx, slug)
}

// List returns every campaign served (not disabled), ordered by slug, from
// memory. The slice is shared: do not modify it.
func (s *Service) List() []Campaign { return s.snap.Load().served }

// All returns every campaign as stored, disabled ones too, ordered by
// slug: what the console and the admin API list.
func (s *Service) All(ctx context.Context) ([]Campaign, error) { return s.store.Campaigns(ctx) }

// ListDocument returns the public document listing every served campaign
// (the JSON of GET /api/v1/campaigns), made by build the first time it is
// asked for after a change and kept, compressed, until the next change.
// build must depend on nothing but the list and fixed configuration.
func (s *Service) ListDocument(build func([]Campaign) ([]byte, error)) (*compress.Set, error) {
	sn := s.snap.Load()
	if d := sn.listDoc.Load(); d != nil {
		return d, nil
	}
	b, err := build(sn.served)
	if err != nil {
		return nil, err
	}
	d := compress.Compressed(b)
	sn.listDoc.Store(d)
	return d, nil
}

// EmblemPNG returns the emblem id as served: the sanitised PNG of a
// served campaign's emblem, from memory. An emblem no served campaign
// shows (one only proposed, or no longer used) is NotFound.
func (s *Service) EmblemPNG(id string) (*Asset, error) {
	e := s.snap.Load().public[id]
	if e == nil {
		return nil, errNoEmblem
	}
	return e.asset, nil
}

// StoredEmblem returns emblem id as stored, whether or not a campaign
// shows it: for people reviewing a proposal that names it. It needs a
// viewer.
func (s *Service) StoredEmblem(ctx context.Context, id string, by auth.Caller) ([]byte, error) {
	if err := by.Require(auth.Viewer); err != nil {
		return nil, err
	}
	if !ValidEmblemID(id) {
		return nil, errNoEmblem
	}
	b, err := s.store.Emblem(ctx, id)
	if err != nil {
		return nil, err
	}
	return b.PNG, nil
}

var errNoEmblem = apperr.NotFoundf("no such emblem")

// emblemOf returns c's emblem, decoded: from the snapshot when a campaign
// shows it, else read from the store.
func (s *Service) emblemOf(ctx context.Context, c Campaign) (*badge.Emblem, error) {
	if c.Emblem == "" {
		return nil, nil
	}
	if e := s.snap.Load().emblems[c.Emblem]; e != nil {
		return e.img, nil
	}
	e, err := s.loadEmblem(ctx, c.Emblem)
	if e == nil {
		return nil, err
	}
	return e.img, err
}

// loadEmblem reads and decodes emblem id. A stored blob that no longer
// decodes (it was sanitised when stored, so only damage does this) is
// logged and served as no emblem, rather than stop the campaign.
func (s *Service) loadEmblem(ctx context.Context, id string) (*emblem, error) {
	b, err := s.store.Emblem(ctx, id)
	if err != nil {
		return nil, err
	}
	img, err := badge.NewEmblem(b.PNG)
	if err != nil {
		s.cfg.Logger.Error("a stored emblem cannot be read; serving the campaign without it", "emblem", id, "err", err)
		return nil, nil
	}
	return &emblem{img: img, asset: newAsset(img.PNG(), badge.Variant{Format: badge.PNG}, 0)}, nil
}

// emblems returns the decoded emblems of cs, from the current snapshot
// or else the store, by id.
func (s *Service) emblems(ctx context.Context, cs ...Campaign) (map[string]*emblem, error) {
	have := s.snap.Load().emblems
	out := map[string]*emblem{}
	for _, c := range cs {
		if c.Emblem == "" || out[c.Emblem] != nil {
			continue
		}
		if e := have[c.Emblem]; e != nil {
			out[c.Emblem] = e
			continue
		}
		e, err := s.loadEmblem(ctx, c.Emblem)
		if err != nil {
			return nil, err
		}
		out[c.Emblem] = e
	}
	return out, nil
}

// PosterContent returns what a poster of campaign c shows: the printed
// code (with a placement code when placement is set: see PrintedCode),
// title, caption, the agency line, and the campaign's emblem. The server
// and the command line both print through it.
func (s *Service) PosterContent(ctx context.Context, c Campaign, agency, placement string) (poster.Content, error) {
	code, err := s.PrintedCode(c, placement)
	if err != nil {
		return poster.Content{}, err
	}
	pc := poster.NewContent(code, c.Title, c.Caption, agency)
	if pc.Emblem, err = s.emblemOf(ctx, c); err != nil {
		return poster.Content{}, err
	}
	pc.EmblemInCode = pc.Emblem != nil && c.EmblemInCode
	return pc, nil
}

// StickersPerSheet is how many stickers a sticker sheet holds.
const StickersPerSheet = 24

// PrintContents returns what a print form of c carries: one poster or
// tent card for agency; or, for a sticker sheet, one sticker per place
// (placement-01 … placement-24 when a placement is given, each counted
// apart; 24 alike otherwise). It is the one way the web route and the
// command line lay out what they print.
func (s *Service) PrintContents(ctx context.Context, c Campaign, form poster.Form, agency, placement string) ([]poster.Content, error) {
	if form != poster.FormStickers {
		pc, err := s.PosterContent(ctx, c, agency, placement)
		if err != nil {
			return nil, err
		}
		return []poster.Content{pc}, nil
	}
	if placement != "" && len(placement) > 29 {
		return nil, apperr.Invalidf("placement %q: at most 29 characters on a sticker sheet (each sticker adds -NN)", placement)
	}
	out := make([]poster.Content, StickersPerSheet)
	for i := range out {
		p := placement
		if p != "" {
			p = fmt.Sprintf("%s-%02d", placement, i+1)
		}
		pc, err := s.PosterContent(ctx, c, agency, p)
		if err != nil {
			return nil, err
		}
		pc.Placement = p
		out[i] = pc
	}
	return out, nil
}

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

// CachedBadge returns variant v of e if it is in the cache, and false
// otherwise: it never renders or waits. It is for a caller that has a
// slower way to serve a miss (which then calls Badge, counting the miss).
func (s *Service) CachedBadge(e *Entry, v badge.Variant) (*Asset, bool) {
	i := v.Index()
	if i < 0 {
		return nil, false
	}
	x, ok := s.cache.Get(e.keys[i])
	if !ok {
		return nil, false
	}
	s.cfg.Observer.CacheHit()
	return x.(*Asset), true
}

// Badge returns variant v of the campaign e serves, rendering it at most
// once per campaign version however many requests ask at the same time.
// On a cache hit it does not allocate. A request that must wait for a
// render gives up when ctx ends; the render itself goes on for the others.
func (s *Service) Badge(ctx context.Context, e *Entry, v badge.Variant) (*Asset, error) {
	if a, ok := s.CachedBadge(e, v); ok {
		return a, nil
	}
	i := v.Index()
	if i < 0 {
		return nil, apperr.BadRequestf("unsupported variant %s", v)
	}
	key := e.keys[i]
	s.cfg.Observer.CacheMiss()
	if err := v.Validate(); err != nil {
		return nil, apperr.BadRequestf("%v", err)
	}
	ch := s.group.DoChan(key, func() (any, error) { return s.render(e, key, v) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Asset), nil
	case <-ctx.Done():
		return nil, apperr.Unavailablef(ctx.Err(), "the badge is still being drawn; try again")
	}
}

// render makes and caches variant v of e, waiting for a render slot.
func (s *Service) render(e *Entry, key string, v badge.Variant) (*Asset, error) {
	if x, ok := s.cache.Get(key); ok {
		return x.(*Asset), nil
	}
	s.renders <- struct{}{}
	start := time.Now()
	body, err := badge.Render(badge.Content{Code: e.code, Title: e.c.Title, Caption: e.c.Caption,
		Emblem: e.Emblem(), EmblemInCode: e.c.EmblemInCode}, v)
	var a *Asset
	if err == nil {
		a = newAsset(body, v, e.c.Version) // compressed here, once, in the render slot
	}
	<-s.renders
	s.cfg.Observer.Rendered(v, time.Since(start), err)
	if err != nil {
		return nil, err
	}
	s.cache.Set(key, a, gocache.DefaultExpiration)
	// A change may have replaced this entry while it rendered: its keys
	// are then unreachable, so free the memory now.
	if cur := s.snap.Load().bySlug[e.c.Slug]; cur != e {
		s.cache.Delete(key)
	}
	return a, nil
}

// Refresh re-reads every campaign from the store and replaces the snapshot,
// dropping cached variants of versions that are no longer current.
func (s *Service) Refresh(ctx context.Context) error {
	list, err := s.store.Campaigns(ctx)
	if err != nil {
		return err
	}
	// Emblems are read (outside the lock) for the campaigns whose entries
	// will be made anew: a refresh that finds nothing changed reads none.
	var changed []Campaign
	for _, c := range list {
		if !s.snap.Load().bySlug[c.Slug].serves(c) {
			changed = append(changed, c)
		}
	}
	ems, err := s.emblems(ctx, changed...)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	next := &snapshot{bySlug: make(map[string]*Entry, len(list)), list: list}
	same := len(list) == len(old.bySlug)
	for _, c := range list {
		if e := old.bySlug[c.Slug]; e.serves(c) {
			next.bySlug[c.Slug] = e
			continue
		}
		same = false
		em := ems[c.Emblem]
		if em == nil {
			em = old.emblems[c.Emblem] // the snapshot moved on meanwhile
		}
		next.bySlug[c.Slug] = s.newEntry(c, em)
		if _, err := s.CheckTarget(c, c.Target); err != nil {
			// Stored before a stricter rule: it keeps serving (a badge
			// must not vanish), but say so, so an admin re-points it.
			s.cfg.Logger.Warn("a campaign's stored target would not be allowed today; rotate it", "slug", c.Slug, "target", c.Target, "reason", apperr.Message(err))
		}
	}
	if same {
		return nil // nothing changed: keep the snapshot and what it memoised
	}
	s.swap(old, next.finish())
	return nil
}

// apply puts one changed campaign into the snapshot. When its emblem
// cannot be read now, the snapshot is left as it is: the next refresh
// brings the change.
func (s *Service) apply(ctx context.Context, c Campaign) {
	ems, err := s.emblems(ctx, c)
	if err != nil {
		s.cfg.Logger.Warn("reading a campaign's emblem; the change is served after the next refresh", "slug", c.Slug, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if e := old.bySlug[c.Slug]; e != nil && e.c.Version > c.Version {
		return // a newer version arrived through Refresh already
	}
	next := &snapshot{bySlug: make(map[string]*Entry, len(old.bySlug)+1)}
	for k, e := range old.bySlug {
		next.bySlug[k] = e
	}
	next.bySlug[c.Slug] = s.newEntry(c, ems[c.Emblem])
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
	s.swap(old, next.finish())
}

// remove takes the campaign named slug out of the snapshot.
func (s *Service) remove(slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if old.bySlug[slug] == nil {
		return
	}
	next := &snapshot{bySlug: make(map[string]*Entry, len(old.bySlug)), list: make([]Campaign, 0, len(old.list))}
	for k, e := range old.bySlug {
		if k != slug {
			next.bySlug[k] = e
		}
	}
	for _, x := range old.list {
		if x.Slug != slug {
			next.list = append(next.list, x)
		}
	}
	s.swap(old, next.finish())
}

// RefreshOne re-reads the campaign named slug alone, as a notification
// that names it asks: cheaper than Refresh when one of many changed.
func (s *Service) RefreshOne(ctx context.Context, slug string) error {
	c, err := s.store.Campaign(ctx, slug)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		s.remove(slug)
		return nil
	case err != nil:
		return err
	}
	s.apply(ctx, c)
	return nil
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

func (s *Service) newEntry(c Campaign, em *emblem) *Entry {
	e := &Entry{c: c, code: s.QRContent(c), emblem: em}
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

// Demo is who creates the demo campaign.
var Demo = auth.Caller{Principal: auth.Principal{Account: "system:demo", Role: auth.Admin, Via: "system"}}

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
	if _, _, err := s.Create(ctx, c, Demo); err != nil {
		if apperr.KindOf(err) == apperr.Conflict {
			return false, nil // another process created it first
		}
		return false, err
	}
	return true, nil
}

// Run keeps the snapshot in step with the store until ctx ends: through the
// store's Watcher when it has one, else by polling. A notification that
// names a campaign re-reads that campaign alone; every poll interval
// everything is re-read anyway, so a lost notification, or a broken
// notification channel, delays a change by at most one interval.
func (s *Service) Run(ctx context.Context) error {
	refresh := func(slug string) {
		var err error
		if slug == "" {
			err = s.Refresh(ctx)
		} else {
			err = s.RefreshOne(ctx, slug)
		}
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("refreshing campaigns", "slug", slug, "err", err)
		}
	}
	go s.runScheduler(ctx)
	w, ok := s.store.(Watcher)
	if !ok {
		w = pollOnly{}
	}
	go func() { // the backstop
		t := time.NewTicker(s.cfg.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				refresh("")
			}
		}
	}()
	for ctx.Err() == nil {
		err := w.Watch(ctx, refresh)
		if ctx.Err() != nil {
			break
		}
		s.cfg.Logger.Warn("watching the store for changes; polling until it works again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(s.cfg.PollInterval):
		}
	}
	return nil
}

// pollOnly is the watcher of a store that cannot notify: nothing but the
// backstop poll.
type pollOnly struct{}

func (pollOnly) Watch(ctx context.Context, _ func(string)) error {
	<-ctx.Done()
	return ctx.Err()
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
