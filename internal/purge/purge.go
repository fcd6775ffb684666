// Package purge tells the shared caches in front of oabadge (Varnish, a
// CDN) that a campaign's responses changed, so they can hold badges for a
// day and still follow a rotation within a second.
//
// Responses name what they depend on with surrogate keys (Key, All); a
// Purger sends one request per changed key to every configured endpoint:
// by default the PURGE method with a Surrogate-Key header, which the VCL in
// deploy/varnish and most CDNs' purge APIs take. A failed purge is retried
// with backoff and then reported (Status, metrics, log); it never blocks
// the change that caused it.
package purge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// All is the surrogate key every cacheable campaign response carries.
const All = "oabadge"

// Key is the surrogate key of campaign slug's responses.
func Key(slug string) string { return "campaign-" + slug }

// Endpoint is where purges are sent: a method (PURGE unless named) and a
// URL, in which {key} is replaced by the key purged.
type Endpoint struct {
	Method string
	URL    string
}

// String is the endpoint as configured, with any credentials in its URL
// hidden: it is shown in logs, metrics and the console.
func (e Endpoint) String() string {
	u, err := url.Parse(e.URL)
	if err != nil {
		return e.Method + " (unparseable URL)"
	}
	// Query strings and user info are where CDN APIs put tokens.
	u.User, u.RawQuery = nil, ""
	return e.Method + " " + u.Scheme + "://" + u.Host + u.Path
}

// ParseEndpoints reads a comma-separated list of endpoints, each "URL" or
// "METHOD URL", e.g. "http://varnish:6081/" or "BAN http://10.0.0.5/".
func ParseEndpoints(s string) ([]Endpoint, error) {
	var out []Endpoint
	n := 0
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n++
		e := Endpoint{Method: "PURGE", URL: item}
		if m, rest, ok := strings.Cut(item, " "); ok {
			e.Method, e.URL = strings.ToUpper(m), strings.TrimSpace(rest)
		}
		// The error names the endpoint by its place in the list: its URL
		// may hold a token.
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("purge endpoint %d: %w", n, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (e Endpoint) check() error {
	for _, r := range e.Method {
		if r < 'A' || r > 'Z' {
			return errors.New("the method must be a word such as PURGE, BAN or POST")
		}
	}
	u, err := url.Parse(strings.ReplaceAll(e.URL, "{key}", "k"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return errors.New(`want an absolute http(s) URL, optionally after a method, e.g. http://127.0.0.1:6081/ or "BAN http://varnish/"`)
	}
	return nil
}

// Observer is told the outcome of every purge request, for metrics.
type Observer interface {
	// Purge records one request to endpoint: result is "ok", "retry"
	// (failed, will be tried again) or "failed" (given up).
	Purge(endpoint, result string)
	// PurgePending records how many keys wait to be sent, over all endpoints.
	PurgePending(n int)
}

type nopObserver struct{}

func (nopObserver) Purge(string, string) {}
func (nopObserver) PurgePending(int)     {}

// Config is what a Purger needs.
type Config struct {
	Endpoints []Endpoint
	// Client sends the requests; nil means one with a 5 s timeout that
	// follows no redirects.
	Client *http.Client
	// Attempts bounds the tries of one key at one endpoint (default 6).
	Attempts int
	// Backoff is the wait after the first failure, doubled after each
	// further one up to MaxBackoff (defaults 500 ms and 30 s).
	Backoff, MaxBackoff time.Duration
	Observer            Observer
	Log                 *slog.Logger
	Now                 func() time.Time
}

// Purger sends purges in the background, one worker per endpoint, so a
// slow or failing cache delays no change and no other cache.
type Purger struct {
	cfg     Config
	workers []*worker
	wg      sync.WaitGroup
	stop    context.CancelFunc
	ctx     context.Context
}

// New starts a Purger over cfg's endpoints. With none it does nothing;
// Invalidate may still be called.
func New(cfg Config) *Purger {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 6
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Purger{cfg: cfg}
	p.ctx, p.stop = context.WithCancel(context.Background())
	for _, e := range cfg.Endpoints {
		w := &worker{p: p, ep: e, name: e.String(), wake: make(chan struct{}, 1), idle: make(chan struct{})}
		close(w.idle)
		p.workers = append(p.workers, w)
	}
	for _, w := range p.workers { // started once the list is whole: they read it
		p.wg.Go(w.run)
	}
	return p
}

// Enabled reports whether any endpoint is configured.
func (p *Purger) Enabled() bool { return p != nil && len(p.workers) > 0 }

// Invalidate queues a purge of campaign slug's key at every endpoint and
// returns at once. Keys already waiting are not queued twice.
func (p *Purger) Invalidate(slug string) { p.Purge(Key(slug)) }

// InvalidateAll queues a purge of every campaign's responses.
func (p *Purger) InvalidateAll() { p.Purge(All) }

// Purge queues a purge of key at every endpoint and returns at once.
func (p *Purger) Purge(key string) {
	if p == nil {
		return
	}
	for _, w := range p.workers {
		w.add(key)
	}
	p.observePending()
}

func (p *Purger) observePending() {
	n := 0
	for _, w := range p.workers {
		w.mu.Lock()
		n += w.pendingLocked()
		w.mu.Unlock()
	}
	p.cfg.Observer.PurgePending(n)
}

// Wait returns once every queued purge has been sent or given up, or when
// ctx ends.
func (p *Purger) Wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	for _, w := range p.workers {
		w.mu.Lock()
		idle := w.idle
		w.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close waits, until ctx ends, for queued purges (so a command that
// applied a change tells the caches before it exits), then stops the
// workers. Purges still waiting are logged as lost.
func (p *Purger) Close(ctx context.Context) error {
	if p == nil {
		return nil
	}
	err := p.Wait(ctx)
	p.stop()
	p.wg.Wait()
	for _, w := range p.workers {
		w.mu.Lock()
		if len(w.queue) > 0 {
			p.cfg.Log.Error("purge: stopping with purges not sent; shared caches may serve old badges until their s-maxage",
				"endpoint", w.name, "keys", strings.Join(w.queue, " "))
		}
		w.mu.Unlock()
	}
	return err
}

// Status is what the console shows of one endpoint.
type Status struct {
	Endpoint string
	// Pending counts keys waiting or being sent.
	Pending int
	// LastOK is when a purge last succeeded; zero if never.
	LastOK time.Time
	// LastError is the last purge given up, with its key and time; empty
	// if none since the last success.
	LastError   string
	LastErrorAt time.Time
	// Failed counts purges given up since the process started.
	Failed int
}

// Status returns each endpoint's state.
func (p *Purger) Status() []Status {
	if p == nil {
		return nil
	}
	out := make([]Status, 0, len(p.workers))
	for _, w := range p.workers {
		w.mu.Lock()
		st := w.st
		st.Endpoint = w.name
		st.Pending = w.pendingLocked()
		w.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// worker sends one endpoint's purges in order.
type worker struct {
	p    *Purger
	ep   Endpoint
	name string
	wake chan struct{}

	mu     sync.Mutex
	queue  []string
	queued map[string]bool
	busy   bool
	idle   chan struct{} // closed while nothing waits or runs
	st     Status
}

// pendingLocked counts the keys waiting or being sent; w.mu is held.
func (w *worker) pendingLocked() int {
	if w.busy {
		return len(w.queue) + 1
	}
	return len(w.queue)
}

func (w *worker) add(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.queued[key] {
		return
	}
	if w.queued == nil {
		w.queued = map[string]bool{}
	}
	if len(w.queue) == 0 && !w.busy {
		w.idle = make(chan struct{})
	}
	w.queued[key] = true
	w.queue = append(w.queue, key)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// next takes the first queued key, or reports none (and marks the worker
// idle).
func (w *worker) next() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		if w.busy {
			w.busy = false
			close(w.idle)
		}
		return "", false
	}
	key := w.queue[0]
	w.queue = w.queue[1:]
	// A key queued again while it is being sent is sent again: the change
	// that queued it may have come after the cache refetched.
	delete(w.queued, key)
	w.busy = true
	return key, true
}

func (w *worker) run() {
	ctx := w.p.ctx
	for {
		key, ok := w.next()
		if !ok {
			w.p.observePending() // this worker is idle now
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		w.send(ctx, key)
	}
}

// send purges key at the endpoint, retrying with backoff.
func (w *worker) send(ctx context.Context, key string) {
	cfg := &w.p.cfg
	wait := cfg.Backoff
	var err error
	for attempt := 1; attempt <= cfg.Attempts; attempt++ {
		if err = w.once(ctx, key); err == nil {
			cfg.Observer.Purge(w.name, "ok")
			w.mu.Lock()
			w.st.LastOK, w.st.LastError, w.st.LastErrorAt = cfg.Now(), "", time.Time{}
			w.mu.Unlock()
			return
		}
		if attempt == cfg.Attempts || ctx.Err() != nil {
			break
		}
		cfg.Observer.Purge(w.name, "retry")
		cfg.Log.Warn("purge failed; retrying", "endpoint", w.name, "key", key, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		wait = min(2*wait, cfg.MaxBackoff)
	}
	cfg.Observer.Purge(w.name, "failed")
	cfg.Log.Error("purge given up; shared caches may serve the old badge until their s-maxage",
		"endpoint", w.name, "key", key, "err", err)
	w.mu.Lock()
	w.st.Failed++
	w.st.LastError, w.st.LastErrorAt = key+": "+err.Error(), cfg.Now()
	w.mu.Unlock()
}

// errStatus is an endpoint's answer other than 2xx.
var errStatus = errors.New("the cache answered")

func (w *worker) once(ctx context.Context, key string) error {
	u := strings.ReplaceAll(w.ep.URL, "{key}", url.PathEscape(key))
	req, err := http.NewRequestWithContext(ctx, w.ep.Method, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Surrogate-Key", key)
	req.Header.Set("User-Agent", "oabadge-purge")
	res, err := w.p.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold a token; the endpoint's name is logged instead
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%w %s", errStatus, res.Status)
	}
	return nil
}
