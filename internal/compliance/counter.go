package compliance

import (
	"context"
	"strings"
	"sync"
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
// when too many sites appear in one interval.
const (
	NoSite    = "(none)"
	OtherSite = "(other)"
)

// CountStore receives counts in batches. AddCounts adds each Count's N to
// what is stored for its key, all in one transaction.
type CountStore interface {
	AddCounts(ctx context.Context, cs []Count) error
}

type countKey struct {
	campaign, site string
	day            int32 // days since 1970-01-01 in Vietnam
	event          Event
}

// Counter counts events in memory, for the serving path, and hands them to
// a CountStore in batches. It keeps no address, cookie or other per-person
// identifier: only the referring site, and only its scheme and host.
type Counter struct {
	mu      sync.Mutex
	m       map[countKey]int64
	maxKeys int
	now     func() time.Time
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
	return &Counter{m: make(map[countKey]int64), maxKeys: maxKeys, now: now}
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
	c.mu.Lock()
	if _, ok := c.m[k]; !ok {
		if len(c.m) >= c.maxKeys {
			k.site = OtherSite
		} else {
			// The site is a slice of the request's header: copy it so the
			// map does not keep the whole header alive.
			k.site = strings.Clone(k.site)
			k.campaign = strings.Clone(k.campaign)
		}
	}
	c.m[k]++
	c.mu.Unlock()
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

// take empties the counter and returns what it held.
func (c *Counter) take() map[countKey]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.m
	c.m = make(map[countKey]int64, len(m))
	return m
}

// putBack merges counts that could not be stored into the counter again.
func (c *Counter) putBack(m map[countKey]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range m {
		c.m[k] += n
	}
}

// Flush hands everything counted so far to st. If st fails, the counts
// are kept for the next flush, so a database outage loses nothing.
func (c *Counter) Flush(ctx context.Context, st CountStore) error {
	m := c.take()
	if len(m) == 0 {
		return nil
	}
	batch := make([]Count, 0, len(m))
	for k, n := range m {
		batch = append(batch, Count{Campaign: k.campaign, Site: k.site, Day: dayString(k.day), Event: k.event, N: n})
	}
	if err := st.AddCounts(ctx, batch); err != nil {
		c.putBack(m)
		return err
	}
	return nil
}

// Pending returns how many events wait for the next flush.
func (c *Counter) Pending() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.m {
		n += v
	}
	return n
}
