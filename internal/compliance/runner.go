package compliance

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
)

// Runner runs whole-register checks and keeps their results, one run at a
// time: a second request while one runs is refused, so the expensive
// check cannot be stacked up.
type Runner struct {
	Store     Store
	Checker   *Checker
	Campaigns func() []string // the slugs to check for
	Log       *slog.Logger

	mu      sync.Mutex
	running bool
	last    time.Time
}

// ErrRunning is returned while a check runs already.
var ErrRunning = apperr.Conflictf("a check of the register is running already; wait for it to finish")

// Run checks every agency for every campaign and saves the results. It
// returns the results, or ErrRunning.
func (r *Runner) Run(ctx context.Context) ([]Result, error) {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return nil, ErrRunning
	}
	r.running = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running, r.last = false, time.Now()
		r.mu.Unlock()
	}()
	agencies, err := r.Store.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	if len(agencies) == 0 {
		return nil, apperr.Invalidf("the register is empty: import agencies first")
	}
	slugs := r.Campaigns()
	start := time.Now()
	results := r.Checker.Check(ctx, agencies, slugs)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err := r.Store.SaveResults(ctx, results); err != nil {
		return nil, err
	}
	if r.Log != nil {
		r.Log.Info("checked the register", "agencies", len(agencies), "campaigns", len(slugs), "results", len(results), "took", time.Since(start))
	}
	return results, nil
}

// Running reports whether a check runs now, and when the last one ended.
func (r *Runner) Running() (bool, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running, r.last
}

// Every runs a check every interval until ctx ends.
func (r *Runner) Every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := r.Run(ctx); err != nil && !errors.Is(err, ErrRunning) && ctx.Err() == nil && r.Log != nil {
				r.Log.Warn("scheduled check", "err", err)
			}
		}
	}
}

// FlushEvery flushes c into st every interval until ctx ends, and once
// more after, so a graceful shutdown loses no count. Failed flushes keep
// their counts for the next one.
func FlushEvery(ctx context.Context, c *Counter, st CountStore, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Flush(fctx, st); err != nil && log != nil {
				log.Error("flushing counts at shutdown", "err", err, "lost", c.Pending())
			}
			cancel()
			return
		case <-t.C:
			if err := c.Flush(ctx, st); err != nil && log != nil {
				log.Warn("flushing counts; kept for the next try", "err", err, "pending", c.Pending())
			}
		}
	}
}
