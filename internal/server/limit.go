package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/oabadge/oabadge/internal/apperr"
)

// rateLimiter gives each client address a token bucket, for routes that
// cost real work on every request (posters, previews): a client over its
// rate gets 429 with Retry-After, and others are not slowed by it.
type rateLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	every   rate.Limit
	burst   int
}

// maxBuckets bounds the addresses remembered; past it the map starts
// over, which at worst gives a burst back to addresses seen before.
const maxBuckets = 10000

func newRateLimiter(perMinute, burst int) *rateLimiter {
	return &rateLimiter{buckets: map[string]*rate.Limiter{}, every: rate.Every(time.Minute / time.Duration(perMinute)), burst: burst}
}

// allow takes a token for key, or returns a TooMany error saying when to
// try again.
func (l *rateLimiter) allow(key, what string) error {
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.buckets = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return apperr.TooManyf(d, "too many %s from this address; try again in %s s", what, strconv.Itoa(int(d/time.Second)+1))
	}
	return nil
}

// limited wraps h with l, keyed by the client address (as the
// trusted-proxy setting defines it).
func (s *Server) limited(l *rateLimiter, what string, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := l.allow(c.RealIP(), what); err != nil {
			return err
		}
		return h(c)
	}
}
