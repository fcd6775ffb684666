// Package server is oabadge's HTTP edge: Echo routes, the handlers for
// badges, campaigns, redirects and pages, error mapping, access logs and
// metrics. Everything it serves comes from campaign.Service; it never
// builds output from Host or X-Forwarded-* headers.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/logging"
	"github.com/oabadge/oabadge/internal/metrics"
	"github.com/oabadge/oabadge/internal/purge"
)

// Config is what the server needs from the command line.
type Config struct {
	// PublicURL is the external base URL, without a trailing slash.
	PublicURL string
	// CacheMaxAge is the max-age of badge images: how long browsers keep them.
	CacheMaxAge time.Duration
	// SharedMaxAge is the s-maxage of badge images, sent when
	// SendSharedMaxAge: how long shared caches keep them.
	SharedMaxAge     time.Duration
	SendSharedMaxAge bool
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// AccessLog logs one line per request.
	AccessLog bool
	// Version is the build's version, shown in /readyz.
	Version string
}

// Pinger tells whether the store answers, for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// AuditLog reads the audit trail, for anyone signed in.
type AuditLog interface {
	AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error)
}

// Deps are the services the handlers call: every rule lives in them.
type Deps struct {
	Campaigns  *campaign.Service
	Auth       *auth.Service
	Compliance *compliance.Service
	Audit      AuditLog
	Store      Pinger
	Metrics    *metrics.Metrics
	Log        *slog.Logger
	// Embeds remembers every embed script offered; nil keeps only this
	// binary's releases, for the current public URL.
	Embeds EmbedScripts
	// Purge tells shared caches of changes; nil or without endpoints when
	// none are configured. The server shows its state.
	Purge *purge.Purger
}

// Server is the HTTP handler of oabadge: it parses requests, calls one
// service method, and renders the answer.
type Server struct {
	cfg         Config
	campaigns   *campaign.Service
	auth        *auth.Service
	compliance  *compliance.Service
	audit       AuditLog
	store       Pinger
	counter     *compliance.Counter
	metrics     *metrics.Metrics
	log         *slog.Logger
	access      *logging.Access // nil when access logs are off
	unmatched   *metrics.Route
	badgeRoute  *metrics.Route // the series of /b/:file, for the fast path
	scriptRoute *metrics.Route // and of /embed.js
	echo        *echo.Echo
	draining    atomic.Bool

	// Header values built once and shared by every response (see setShared).
	imageCacheControl []string
	docCacheControl   []string
	hsts              []string
	frameCSP          []string
	purge             *purge.Purger
	tags              sync.Map // slug → *surrogateTags

	embeds *embedSet

	costly *rateLimiter // posters and previews, per client address
}

// New returns the Server for d's services.
func New(cfg Config, d Deps) (*Server, error) {
	s := &Server{cfg: cfg, campaigns: d.Campaigns, auth: d.Auth, compliance: d.Compliance, audit: d.Audit, store: d.Store,
		counter: d.Compliance.Counter(), metrics: d.Metrics, log: d.Log, purge: d.Purge}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.AccessLog {
		s.access = logging.NewAccess(s.log)
	}
	s.unmatched = s.metrics.Route("unmatched")
	s.badgeRoute, s.scriptRoute = s.metrics.Route("/b/:file"), s.metrics.Route("/embed.js")
	s.costly = newRateLimiter(30, 10)
	var err error
	if s.embeds, err = newEmbedSet(cfg.PublicURL, d.Embeds, s.log); err != nil {
		return nil, err
	}
	o := origin(cfg.PublicURL)
	s.frameCSP = []string{valFrameCSPBase + "; img-src " + o + "; style-src " + o}
	s.imageCacheControl, s.docCacheControl = cacheControls(cfg, s.purge.Enabled())
	if strings.HasPrefix(cfg.PublicURL, "https://") {
		s.hsts = []string{"max-age=31536000"}
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.routerError
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s.echo = e
	s.routes()
	return s, nil
}

// Handler returns the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Drain makes /readyz fail so load balancers stop sending traffic before
// the listener closes.
func (s *Server) Drain() { s.draining.Store(true) }

// ipExtractor believes X-Forwarded-For only from the configured proxies.
// Echo's own default for XFF also trusts loopback, link-local and private
// ranges; that is switched off so a spoofed header from any other peer is
// ignored.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// count records an impression or click for the referring site of c's
// request. The checker's own loads of a portal's badge are not the
// portal's visitors, so they are not counted.
func (s *Server) count(c echo.Context, e compliance.Event, slug string) {
	h := c.Request().Header
	var ua, ref, org string
	if v := h["User-Agent"]; len(v) > 0 {
		ua = v[0]
	}
	if v := h["Referer"]; len(v) > 0 {
		ref = v[0]
	}
	if v := h["Origin"]; len(v) > 0 {
		org = v[0]
	}
	s.countFrom(e, slug, ua, ref, org)
}

// countFrom counts e for slug from a request's first User-Agent, Referer
// and Origin lines (empty when absent).
func (s *Server) countFrom(e compliance.Event, slug, ua, ref, org string) {
	if ua != "" && compliance.IsCheckerRequest(ua) {
		return
	}
	s.counter.Add(e, slug, ref, org)
}

// Shared header values. net/http never modifies header values it is given,
// so a response may point at these slices instead of allocating its own.
var (
	valNosniff      = []string{"nosniff"}
	valCORP         = []string{"cross-origin"}
	valAnyOrigin    = []string{"*"}
	valNoStore      = []string{"no-store"}
	valNoCache      = []string{"no-cache"}
	valForever      = []string{"public, max-age=31536000, immutable"} // content-addressed paths
	valVaryEncoding = []string{"Accept-Encoding"}
	valSVGType      = []string{"image/svg+xml"}
	valPNGType      = []string{"image/png"}
	valJSONType     = []string{"application/json; charset=utf-8"}
	valFrameDeny    = []string{"DENY"}
	valRefPolicy    = []string{"strict-origin-when-cross-origin"}
	valImageCSP     = []string{"default-src 'none'; style-src 'unsafe-inline'; sandbox"}
	valPageCSP      = []string{"default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"}
)

// headerMW sets the headers every response carries.
func (s *Server) headerMW(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["X-Content-Type-Options"] = valNosniff
		if s.hsts != nil {
			h["Strict-Transport-Security"] = s.hsts
		}
		return next(c)
	}
}

// maxBody bounds request bodies. No public route takes one; admin JSON is small.
const maxBody = 64 << 10

// maxEmblemForm bounds the console's campaign form: an emblem file and
// the form's other fields.
const maxEmblemForm = badge.MaxEmblemBytes + 64<<10

// observeMW is the outermost middleware of the route registered as route:
// it recovers panics, bounds the request body, turns handler errors into
// responses (so the status it records is the one sent), then records
// metrics and the access log line. What depends on the route alone (its
// series, its body limit) is settled here, once.
func (s *Server) observeMW(route string, next echo.HandlerFunc) echo.HandlerFunc {
	rm := s.metrics.Route(route)
	limit := int64(maxBody)
	switch route {
	case "/api/v1/admin/agencies", "/admin/agencies":
		limit = maxImport // register files
	case "/api/v1/admin/campaigns/:slug/emblem":
		limit = badge.MaxEmblemBytes // the file alone
	case "/admin/c/:slug/edit":
		limit = maxEmblemForm // the edit form, with its emblem file
	}
	return func(c echo.Context) (err error) {
		start := time.Now()
		r := c.Request()
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = maxBytes{http.MaxBytesReader(c.Response(), r.Body, limit), limit}
		}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", p)
				err = errors.New("panic")
			}
			if err != nil {
				s.writeError(err, c)
				err = nil
			}
			s.observe(c, rm, start)
		}()
		return next(c)
	}
}

// routerError is Echo's HTTPErrorHandler. Route handlers never return
// errors to Echo (observeMW answers them), so it only sees the router's
// own 404 and 405 answers, for paths and methods no route takes.
func (s *Server) routerError(err error, c echo.Context) {
	c.Response().Header()["X-Content-Type-Options"] = valNosniff
	if s.hsts != nil {
		c.Response().Header()["Strict-Transport-Security"] = s.hsts
	}
	s.writeError(err, c)
	s.observe(c, s.unmatched, time.Time{})
}

// observe records a request that started at start (zero: not timed) in
// the route's metrics and the access log. It reads the clock once.
func (s *Server) observe(c echo.Context, rm *metrics.Route, start time.Time) {
	end := time.Now()
	var d time.Duration
	if !start.IsZero() {
		d = end.Sub(start)
	}
	res := c.Response()
	rm.Observe(res.Status, d)
	if s.access != nil {
		r := c.Request()
		s.access.Log(r.Context(), end, logging.Request{
			Method: r.Method, Path: r.URL.Path, Status: res.Status, Bytes: res.Size, Dur: d, IP: c.RealIP(),
		})
	}
}
