package compliance

import (
	"context"
	"hash/maphash"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is what a counted request was.
type Event uint8

// The events. Impressions are loads of a badge image, of the embed script
// or of the iframe page; clicks are /go redirects; scans are /s redirects,
// the stable URL printed codes carry.
const (
	Image Event = iota
	Script
	Frame
	Click
	Scan
	numEvents
)

var eventNames = [...]string{Image: "image", Script: "script", Frame: "frame", Click: "click", Scan: "scan"}

func (e Event) String() string { return eventNames[e] }

// ParseEvent returns the event named s.
func ParseEvent(s string) (Event, bool) {
	for i, n := range eventNames {
		if n == s {
			return Event(i), true
		}
	}
	return 0, false
}

// Impression reports whether e counts as an impression (not a click or scan).
func (e Event) Impression() bool { return e <= Frame }

// Count is a number of events of one kind, for one campaign, from one
// site, on one day (in Vietnam).
type Count struct {
	Campaign string // "" for the embed script, which serves every campaign
	Site     string // scheme://host of the referring page; NoSite when none was sent
	Day      string // YYYY-MM-DD
	Event    Event
	N        int64
}

// Site names for requests with no usable referrer, and for the overflow
// when too many sites appear in one interval or in one day.
const (
	NoSite    = "(none)"
	OtherSite = "(other)"
)

// DefaultMaxSites bounds the distinct sites a store keeps per campaign and
// day; counts from further sites are kept under OtherSite. A flood of
// forged referrers then grows neither the database nor the report.
const DefaultMaxSites = 10000

// CountStore receives counts in batches.
type CountStore interface {
	// AddCounts adds each Count's N to what is stored for its key, all in
	// one transaction. Per campaign and day it keeps at most maxSites
	// distinct sites besides OtherSite: the counts of a site beyond them
	// are added to OtherSite instead (see BoundSites).
	AddCounts(ctx context.Context, cs []Count, maxSites int) error
}

// BoundSites applies the limit of maxSites distinct sites (OtherSite
// aside) per campaign and day to a batch, for a store inside its
// transaction. stored returns how many sites the store holds for a
// campaign and day (OtherSite aside), and list which (at most maxSites);
// list is asked only when the batch could overflow. New sites are let in by their count
// in the batch, largest first (then by name), so a busy portal is not
// crowded out by forged referrers seen once; the rest are renamed
// OtherSite. Counts that then share a key are summed.
func BoundSites(cs []Count, maxSites int, stored func(campaign, day string) (int, error), list func(campaign, day string) (map[string]bool, error)) ([]Count, error) {
	if maxSites <= 0 {
		maxSites = DefaultMaxSites
	}
	type group struct{ campaign, day string }
	bySite := map[group]map[string]int64{} // each group's sites, with their batch totals
	for _, c := range cs {
		if c.Site == OtherSite {
			continue
		}
		g := group{c.Campaign, c.Day}
		if bySite[g] == nil {
			bySite[g] = map[string]int64{}
		}
		bySite[g][c.Site] += c.N
	}
	rename := map[group]map[string]bool{}
	for g, sites := range bySite {
		n, err := stored(g.campaign, g.day)
		if err != nil {
			return nil, err
		}
		if n+len(sites) <= maxSites {
			continue // they all fit, known or not
		}
		known, err := list(g.campaign, g.day)
		if err != nil {
			return nil, err
		}
		n = len(known)
		var fresh []string
		for site := range sites {
			if !known[site] {
				fresh = append(fresh, site)
			}
		}
		sort.Slice(fresh, func(i, j int) bool {
			a, b := sites[fresh[i]], sites[fresh[j]]
			return a > b || a == b && fresh[i] < fresh[j]
		})
		room := max(maxSites-n, 0)
		if room >= len(fresh) {
			continue
		}
		rename[g] = map[string]bool{}
		for _, site := range fresh[room:] {
			rename[g][site] = true
		}
	}
	if len(rename) == 0 {
		return cs, nil
	}
	out := make([]Count, 0, len(cs))
	merged := map[Count]int{} // a key (N zero) → its index in out
	for _, c := range cs {
		if rename[group{c.Campaign, c.Day}][c.Site] {
			c.Site = OtherSite
		}
		k := c
		k.N = 0
		if i, ok := merged[k]; ok {
			out[i].N += c.N
			continue
		}
		merged[k] = len(out)
		out = append(out, c)
	}
	return out, nil
}

type countKey struct {
	campaign, site string
	day            int32 // days since 1970-01-01 in Vietnam
	event          Event
}

// Counter counts events in memory, for the serving path, and hands them to
// a CountStore in batches. It keeps no address, cookie or other per-person
// identifier: only the referring site, and only its scheme and host.
//
// A key already counted since the last flush costs a read lock and an
// atomic add: requests do not wait for one another, and the flush, which
// swaps the maps under the write lock, sees every count exactly once. The
// keys are spread over shards by site, so on many cores requests from
// different sites do not even share the read lock's memory.
type Counter struct {
	shards  []counterShard
	seed    maphash.Seed
	keys    atomic.Int64 // keys held, OtherSite ones aside
	maxKeys int64
	now     func() time.Time
}

type counterShard struct {
	mu sync.RWMutex
	m  map[countKey]*atomic.Int64
	_  [64]byte // keeps shards off each other's cache lines
}

// DefaultMaxKeys bounds the distinct (campaign, site, day, event) keys held
// between two flushes; past it, new sites count as OtherSite, so a flood
// of forged referrers cannot grow memory.
const DefaultMaxKeys = 50000

// NewCounter returns a Counter; now is the clock (nil for time.Now).
func NewCounter(maxKeys int, now func() time.Time) *Counter {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	n := 1 // shards: a power of two, one per core, at most 64
	for n < runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	c := &Counter{shards: make([]counterShard, n), seed: maphash.MakeSeed(), maxKeys: int64(maxKeys), now: now}
	for i := range c.shards {
		c.shards[i].m = make(map[countKey]*atomic.Int64)
	}
	return c
}

func (c *Counter) shard(site string) *counterShard {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, site)&uint64(len(c.shards)-1)]
}

// vietnamOffset is UTC+7 in seconds: the day a count belongs to is the
// day in Vietnam, where the portals are.
const vietnamOffset = 7 * 3600

func dayNumber(t time.Time) int32 { return int32((t.Unix() + vietnamOffset) / 86400) }

func dayString(d int32) string {
	return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02")
}

// Day returns the Vietnam date of t as YYYY-MM-DD.
func Day(t time.Time) string { return dayString(dayNumber(t)) }

// Add counts one event for campaign from the site in referer (or, when
// that is empty, origin). It does not allocate for a key already counted
// since the last flush.
func (c *Counter) Add(e Event, campaign, referer, origin string) {
	site := siteOf(referer)
	if site == "" {
		site = siteOf(origin)
	}
	if site == "" {
		site = NoSite
	}
	c.add(e, campaign, site)
}

// PlacementSite is the site under which scans of a printed code with a
// placement code are counted.
func PlacementSite(code string) string { return "placement:" + code }

// AddPlacement counts a scan of a printed code carrying placement code p
// (already validated by the caller).
func (c *Counter) AddPlacement(campaign, p string) { c.add(Scan, campaign, PlacementSite(p)) }

func (c *Counter) add(e Event, campaign, site string) {
	k := countKey{campaign: campaign, site: site, day: dayNumber(c.now()), event: e}
	sh := c.shard(site)
	sh.mu.RLock()
	n := sh.m[k]
	if n != nil {
		n.Add(1)
	}
	sh.mu.RUnlock()
	if n == nil {
		c.insert(sh, k, 1)
	}
}

// insert adds n to k's count in sh, holding the key if it is new and the
// bound allows; past the bound the count goes to OtherSite instead.
func (c *Counter) insert(sh *counterShard, k countKey, n int64) {
	sh.mu.Lock()
	if v := sh.m[k]; v != nil {
		v.Add(n)
		sh.mu.Unlock()
		return
	}
	if k.site != OtherSite && c.keys.Add(1) > c.maxKeys {
		c.keys.Add(-1)
		sh.mu.Unlock()
		k.site = OtherSite
		c.insert(c.shard(OtherSite), k, n)
		return
	}
	// The site is a slice of the request's header: copy it so the map
	// does not keep the whole header alive.
	k.site = strings.Clone(k.site)
	k.campaign = strings.Clone(k.campaign)
	v := new(atomic.Int64)
	v.Store(n)
	sh.m[k] = v
	sh.mu.Unlock()
}

// siteOf returns the scheme://host[:port] prefix of an http(s) URL, or ""
// when s is not one. It returns a slice of s and does not allocate.
func siteOf(s string) string {
	var rest string
	switch {
	case strings.HasPrefix(s, "https://"):
		rest = s[len("https://"):]
	case strings.HasPrefix(s, "http://"):
		rest = s[len("http://"):]
	default:
		return ""
	}
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return "" // upper case, user info, odd bytes: not a site a browser sends
		}
	}
	if end == 0 || end > 255 {
		return ""
	}
	return s[:len(s)-len(rest)+end]
}

// take empties the counter and returns what it held. Once a shard's map
// is swapped under its write lock no Add holds one of its counts, so each
// count is taken exactly once.
func (c *Counter) take() map[countKey]int64 {
	out := make(map[countKey]int64)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		m := sh.m
		sh.m = make(map[countKey]*atomic.Int64, len(m))
		sh.mu.Unlock()
		var held int64
		for k, v := range m {
			out[k] = v.Load()
			if k.site != OtherSite {
				held++
			}
		}
		c.keys.Add(-held)
	}
	return out
}

// putBack merges counts that could not be stored into the counter again,
// past the key bound if need be: they were counted once already.
func (c *Counter) putBack(m map[countKey]int64) {
	for k, n := range m {
		sh := c.shard(k.site)
		sh.mu.Lock()
		if v := sh.m[k]; v != nil {
			v.Add(n)
		} else {
			v = new(atomic.Int64)
			v.Store(n)
			sh.m[k] = v
			if k.site != OtherSite {
				c.keys.Add(1)
			}
		}
		sh.mu.Unlock()
	}
}

// Flush hands everything counted so far to st, which keeps at most
// maxSites sites per campaign and day. If st fails, the counts are kept
// for the next flush, so a database outage loses nothing.
func (c *Counter) Flush(ctx context.Context, st CountStore, maxSites int) error {
	m := c.take()
	if len(m) == 0 {
		return nil
	}
	batch := make([]Count, 0, len(m))
	for k, n := range m {
		batch = append(batch, Count{Campaign: k.campaign, Site: k.site, Day: dayString(k.day), Event: k.event, N: n})
	}
	if err := st.AddCounts(ctx, batch, maxSites); err != nil {
		c.putBack(m)
		return err
	}
	return nil
}

// Pending returns how many events wait for the next flush.
func (c *Counter) Pending() int64 {
	var n int64
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		for _, v := range sh.m {
			n += v.Load()
		}
		sh.mu.RUnlock()
	}
	return n
}
