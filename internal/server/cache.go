package server

import (
	"strconv"
	"time"

	"github.com/oabadge/oabadge/internal/purge"
)

// cacheControls builds the Cache-Control values of badge images and of a
// campaign's JSON document.
//
// Browsers keep a badge for max-age and show it once more while they fetch
// the next one (stale-while-revalidate); shared caches keep it for
// s-maxage, a day when they are told of every change (purged). With no
// s-maxage a shared cache keeps a badge as long as a browser does.
// stale-if-error keeps portals showing the badge while this server is down.
//
// The JSON document must follow a change at once: browsers revalidate it
// every time (a 304 while nothing changed); a purged shared cache may hold
// it for s-maxage, since it is told when it changes.
func cacheControls(cfg Config, purged bool) (image, doc []string) {
	age := secs(cfg.CacheMaxAge)
	v := "public, max-age=" + strconv.Itoa(age)
	if cfg.SendSharedMaxAge {
		v += ", s-maxage=" + strconv.Itoa(secs(cfg.SharedMaxAge))
	}
	v += ", stale-while-revalidate=" + strconv.Itoa(max(60, age)) + ", stale-if-error=86400"
	image, doc = []string{v}, valNoCache
	if purged && cfg.SendSharedMaxAge {
		doc = []string{"public, max-age=0, s-maxage=" + strconv.Itoa(secs(cfg.SharedMaxAge))}
	}
	return image, doc
}

func secs(d time.Duration) int { return int(d / time.Second) }

// followMinutes says how fast portals follow a rotation, from the badge
// images' cache lifetimes: a browser keeps a badge for max-age, then shows
// it once more while it fetches the new one (stale-while-revalidate); a
// shared cache that is not purged adds its own s-maxage. It is the one
// figure the webmaster page and the console's rotation screen state.
func (s *Server) followMinutes() int {
	age := secs(s.cfg.CacheMaxAge)
	total := age + max(60, age)
	if s.cfg.SendSharedMaxAge && !s.purge.Enabled() {
		total += secs(s.cfg.SharedMaxAge)
	}
	return (total + 59) / 60
}

// surrogateTags are the header values naming what a campaign's responses
// depend on, so a shared cache can be told to drop them: Surrogate-Key
// (Varnish, Fastly; space-separated) and Cache-Tag (comma-separated).
type surrogateTags struct {
	key, tag []string
}

// tagsOf returns slug's tags, built once per slug and shared by every
// response, so setting them allocates nothing. Only served campaigns
// reach here, so the map is bounded by the campaigns.
func (s *Server) tagsOf(slug string) *surrogateTags {
	if t, ok := s.tags.Load(slug); ok {
		return t.(*surrogateTags)
	}
	k := purge.Key(slug)
	t, _ := s.tags.LoadOrStore(slug, &surrogateTags{
		key: []string{purge.All + " " + k},
		tag: []string{purge.All + "," + k},
	})
	return t.(*surrogateTags)
}

// setSurrogate names slug as what the response depends on.
func (s *Server) setSurrogate(h map[string][]string, slug string) {
	t := s.tagsOf(slug)
	h["Surrogate-Key"] = t.key
	h["Cache-Tag"] = t.tag
}
