// Package app builds oabadge from its configuration, in one place: the
// store, the services and the HTTP server, wired together. The command
// line's every subcommand and every test that needs the whole program
// start it through New, so the wiring exists once.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/coalesce"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/fastpath"
	"github.com/oabadge/oabadge/internal/metrics"
	"github.com/oabadge/oabadge/internal/purge"
	"github.com/oabadge/oabadge/internal/server"
	"github.com/oabadge/oabadge/internal/store"
	"github.com/oabadge/oabadge/internal/store/postgres"
	"github.com/oabadge/oabadge/internal/store/sqlite"
)

// Options are what a caller sets beyond the configuration.
type Options struct {
	// Version is the build's version, shown in /readyz and the audit trail.
	Version string
	// Log receives the program's log; nil discards it.
	Log *slog.Logger
	// Now is the clock; nil is time.Now. Tests fix it.
	Now func() time.Time
	// PurgeBackoff is the wait before a failed purge is retried, doubled
	// each time; 0 is the purger's default. Tests shorten it.
	PurgeBackoff time.Duration
}

// App is oabadge assembled: the store and the services over it. Its
// fields are for the command line and tests to call; the wiring between
// them is New's.
type App struct {
	Config     config.Config
	Store      store.Store
	Metrics    *metrics.Metrics
	Campaigns  *campaign.Service
	Auth       *auth.Service
	Compliance *compliance.Service
	Log        *slog.Logger
	// Purge tells the shared caches of changes this process applies; nil
	// when none are configured (--purge).
	Purge *purge.Purger
	// AuditKey seals the store's audit trail.
	AuditKey audit.Key

	opts Options

	srvOnce sync.Once
	srv     *server.Server
	srvErr  error
}

// New opens the store cfg names and builds the services over it. The
// snapshot of campaigns is read before New returns. Close the App when done.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, keyFile, created, err := auditKey(cfg.DB, cfg.AuditKeyFile)
	if err != nil {
		return nil, err
	}
	st, err := Open(ctx, cfg.DB, key)
	var other *audit.BadEntryError
	if created && errors.As(err, &other) {
		// The trail is sealed with another key: the one just made sealed
		// nothing, and must not stay to be mistaken for the right one.
		os.Remove(keyFile)
	}
	if err != nil {
		return nil, err
	}
	if created {
		opts.Log.Warn("created the audit key file: back it up apart from the database; without it the audit trail cannot be verified", "file", keyFile, "key_id", key.ID())
	}
	a := &App{Config: cfg, Store: st, Metrics: metrics.New(), Log: opts.Log, AuditKey: key, opts: opts}
	if len(cfg.Purge) > 0 {
		a.Purge = purge.New(purge.Config{Endpoints: cfg.Purge, Backoff: opts.PurgeBackoff, MaxBackoff: 8 * opts.PurgeBackoff,
			Observer: a.Metrics.Purges(), Log: opts.Log, Now: opts.Now})
	}
	a.Campaigns = campaign.NewService(st, campaign.Config{
		Policy:       campaign.Policy{Hosts: cfg.AllowHosts},
		PublicURL:    cfg.PublicURL,
		TwoPerson:    cfg.TwoPerson,
		PollInterval: cfg.PollInterval,
		Observer:     a.Metrics,
		Invalidator:  a.Purge,
		Logger:       opts.Log,
		Now:          opts.Now,
	})
	a.Metrics.SetCacheLen(a.Campaigns.CacheLen)
	a.Auth = auth.NewService(st, auth.Config{TwoPerson: cfg.TwoPerson, RequireTOTP: cfg.Require2FA, Log: opts.Log, Now: opts.Now})
	a.Compliance = compliance.NewService(st, campaignSlugs{a.Campaigns}, compliance.Config{
		Checker: &compliance.Checker{PublicURL: cfg.PublicURL, Concurrency: cfg.CheckConcurrency, Timeout: cfg.CheckTimeout,
			AllowPrivate: cfg.CheckAllowPrivate},
		Render:   &compliance.Renderer{Dir: cfg.Screenshots, Timeout: cfg.CheckTimeout * 2},
		Counter:  compliance.NewCounter(0, opts.Now),
		MaxSites: cfg.CountSites,
		Log:      opts.Log,
		Now:      opts.Now,
	})
	if err := a.Campaigns.Refresh(ctx); err != nil {
		_ = a.Purge.Close(ctx)
		st.Close()
		return nil, fmt.Errorf("reading campaigns: %w", err)
	}
	return a, nil
}

// AuditKey loads the audit key file (--audit-key-file), creating it, 0600,
// with a random key when it does not exist. With SQLite it defaults to
// audit.key beside the database file; with PostgreSQL it must be named,
// since every replica and command must use the same key.
func AuditKey(dsn, file string) (audit.Key, error) {
	key, _, _, err := auditKey(dsn, file)
	return key, err
}

// auditKey is AuditKey, also saying which file it read and whether it
// created it.
func auditKey(dsn, file string) (key audit.Key, path string, created bool, err error) {
	if file == "" {
		if store.IsPostgres(dsn) {
			return audit.Key{}, "", false, errors.New("--audit-key-file (OABADGE_AUDIT_KEY_FILE) is required with PostgreSQL: every replica and the command line must use the same audit key file (e.g. one mounted from a Secret, mode 0400 or 0600)")
		}
		db, err := store.SQLitePath(dsn)
		if err != nil {
			return audit.Key{}, "", false, err
		}
		file = filepath.Join(filepath.Dir(db), DefaultAuditKeyFile)
	}
	key, created, err = audit.LoadOrCreateKey(file)
	if err != nil {
		return audit.Key{}, "", false, fmt.Errorf("--audit-key-file (OABADGE_AUDIT_KEY_FILE): %w", err)
	}
	return key, file, created, nil
}

// DefaultAuditKeyFile is the audit key file's name beside a SQLite
// database when --audit-key-file is not set.
const DefaultAuditKeyFile = "audit.key"

// Open opens the store a DSN names: sqlite:PATH or postgres://…, with the
// key that seals its audit trail. It returns a nil interface on error,
// never one holding a nil pointer.
func Open(ctx context.Context, dsn string, key audit.Key) (store.Store, error) {
	if store.IsPostgres(dsn) {
		pg, err := postgres.Open(ctx, dsn, key)
		if err != nil {
			return nil, err
		}
		return pg, nil
	}
	path, err := store.SQLitePath(dsn)
	if err != nil {
		return nil, err
	}
	s, err := sqlite.Open(ctx, path, key)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// purgeGrace bounds how long closing waits for purges still queued, so a
// command that applied a change tells the shared caches before it exits.
const purgeGrace = 10 * time.Second

// Close sends the purges still queued (for at most purgeGrace), then
// closes the store.
func (a *App) Close() error {
	if a.Purge != nil {
		ctx, cancel := context.WithTimeout(context.Background(), purgeGrace)
		defer cancel()
		_ = a.Purge.Close(ctx) // what could not be sent is logged
	}
	return a.Store.Close()
}

// campaignSlugs tells the compliance service which campaigns are served.
type campaignSlugs struct{ svc *campaign.Service }

func (c campaignSlugs) Code(slug string) (string, bool) {
	x, err := c.svc.Served(context.Background(), slug)
	if err != nil {
		return "", false
	}
	return c.svc.QRContent(x), true
}

func (c campaignSlugs) Slugs() []string {
	list := c.svc.List()
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.Slug
	}
	return out
}

// Server returns the HTTP server over the services, built on first use.
func (a *App) Server() (*server.Server, error) {
	a.srvOnce.Do(func() {
		shared, send := a.Config.SharedCacheAge()
		a.srv, a.srvErr = server.New(server.Config{
			PublicURL:        a.Config.PublicURL,
			CacheMaxAge:      a.Config.CacheMaxAge,
			SharedMaxAge:     shared,
			SendSharedMaxAge: send,
			TrustedProxies:   a.Config.TrustedProxies,
			AccessLog:        a.Config.AccessLog,
			Version:          a.opts.Version,
		}, server.Deps{
			Campaigns:  a.Campaigns,
			Auth:       a.Auth,
			Compliance: a.Compliance,
			Audit:      a.Store,
			Store:      a.Store,
			Embeds:     embedScripts(a.Store),
			Purge:      a.Purge,
			Metrics:    a.Metrics,
			Log:        a.Log,
		})
	})
	return a.srv, a.srvErr
}

// embedScripts is the store's memory of embed scripts offered; both stores have one.
func embedScripts(st store.Store) server.EmbedScripts {
	es, _ := st.(server.EmbedScripts)
	return es
}

// Handler returns the root HTTP handler, for tests that drive it directly.
func (a *App) Handler() (http.Handler, error) {
	s, err := a.Server()
	if err != nil {
		return nil, err
	}
	return s.Handler(), nil
}

// HTTP server limits. Echo's own server has none; without them a client
// that trickles its headers holds a connection and a goroutine forever.
const (
	readTimeout    = 15 * time.Second
	writeTimeout   = 30 * time.Second
	idleTimeout    = 120 * time.Second
	maxHeaderBytes = 16 << 10
)

// Serve serves HTTP on ln until ctx ends, with the background work a
// server does (following the store, scheduled rotations and checks,
// writing counts), then drains: /readyz fails for the drain delay, in-flight
// requests finish within the shutdown timeout, and the counts are written
// one last time.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv, err := a.Server()
	if err != nil {
		return err
	}
	c := a.Config
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if n, err := a.PurgeRecent(ctx); err != nil {
		a.Log.Warn("could not list campaigns to purge at start", "err", err)
	} else if n > 0 {
		a.Log.Info("telling the shared caches again of campaigns changed within their lifetime, in case a purge was lost", "campaigns", n)
	}
	// The background work outlives ctx until the last request is served:
	// requests served while draining are counted by the final flush.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var background sync.WaitGroup
	background.Go(func() { _ = a.Campaigns.Run(runCtx) })
	background.Go(func() { a.Compliance.FlushEvery(runCtx, c.CountFlush) }) // flushes once more when runCtx ends
	if c.CheckEvery > 0 {
		background.Go(func() { a.Compliance.Every(runCtx, c.CheckEvery) })
	}
	// Each response net/http writes leaves in one write (see package
	// coalesce). With the fast path, cached badges are answered before
	// net/http, which gets every other connection (see package fastpath).
	var front interface {
		Serve(net.Listener) error
		Shutdown(context.Context) error
	} = hs
	var l net.Listener = coalesce.NewListener(ln)
	if c.FastPath {
		front, l = &fastpath.Server{Handler: srv, Fallback: hs, WrapFallback: coalesce.Wrap}, ln
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- front.Serve(l) }()
	a.Log.Info("serving", "addr", ln.Addr().String(), "public_url", c.PublicURL)

	select {
	case err := <-serveErr:
		cancel()
		background.Wait()
		return err
	case <-ctx.Done():
	}
	srv.Drain()
	if c.DrainDelay > 0 {
		a.Log.Info("stopping: /readyz fails; still serving while load balancers catch up", "drain_delay", c.DrainDelay)
		time.Sleep(c.DrainDelay)
	}
	a.Log.Info("shutting down: draining in-flight requests", "timeout", c.ShutdownTimeout)
	sctx, scancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer scancel()
	err = front.Shutdown(sctx)
	cancel() // after the last request: the final flush counts it
	background.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// PurgeRecent queues a purge of every campaign changed within the shared
// caches' lifetime (s-maxage) and returns how many. A process that
// applied a change and stopped before its purge was sent (a crash, a
// kill) leaves the caches an old badge for up to that lifetime; a server
// that starts tells them again, so such a loss lasts only until the next
// start. Without --purge it does nothing.
func (a *App) PurgeRecent(ctx context.Context) (int, error) {
	age, send := a.Config.SharedCacheAge()
	if !a.Purge.Enabled() || !send || age <= 0 {
		return 0, nil
	}
	all, err := a.Campaigns.All(ctx)
	if err != nil {
		return 0, err
	}
	since := a.opts.Now().Add(-age)
	n := 0
	for _, c := range all {
		if c.UpdatedAt.After(since) {
			a.Purge.Invalidate(c.Slug)
			n++
		}
	}
	return n, nil
}

// Demo is the campaign created on first start, so a newcomer sees a badge at once.
func Demo(target string) campaign.Campaign {
	return campaign.Campaign{
		Slug:    "bnv",
		Title:   "Zalo OA Bộ Nội vụ",
		Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
		Target:  target,
		QRMode:  campaign.Direct,
	}
}
