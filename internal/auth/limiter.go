package auth

import (
	"sync"
	"time"
)

// Limiter bounds failed sign-ins per key (an account name, a client
// address) in a sliding window: after Max failures within Window, the key
// is refused until the oldest failure leaves the window. Success does not
// clear the address's failures, so one good password does not reset a
// guessing run from the same place.
type Limiter struct {
	Max    int
	Window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
	now      func() time.Time
}

// NewLimiter returns a limiter allowing max failures per window. now is the
// clock (nil for time.Now).
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{Max: max, Window: window, failures: map[string][]time.Time{}, now: now}
}

// maxKeys bounds the memory an address-spraying attacker can make the
// limiter use; past it, the oldest-looking entries are dropped.
const maxKeys = 100_000

// Allow reports whether key may try now, and if not, how long to wait.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.prune(key, now)
	if len(fs) < l.Max {
		return true, 0
	}
	return false, fs[0].Add(l.Window).Sub(now)
}

// Fail records a failed attempt by key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.failures) >= maxKeys {
		for k := range l.failures { // map order is random: drop some entries
			delete(l.failures, k)
			if len(l.failures) < maxKeys*9/10 {
				break
			}
		}
	}
	l.failures[key] = append(l.prune(key, now), now)
}

// Reset forgets key's failures (an account's, after it signs in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

func (l *Limiter) prune(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = fs
	return fs
}
