package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every route the server answers.
//
// Middleware is applied by s.handle when a route is registered, not with
// e.Use: Echo composes Use middleware on every request, which allocates a
// closure per middleware per request on the hot path.
func (s *Server) routes() {
	// Every GET route answers HEAD too; net/http drops the body.
	get := func(path string, h echo.HandlerFunc) {
		s.handle(http.MethodGet, path, h)
		s.handle(http.MethodHead, path, h)
	}

	// Badges, hotlinked by portals: the hot path.
	get("/b/:file", s.badge)

	// Public campaign data, for embed scripts and integrations: JSON made
	// and compressed once per campaign version.
	get("/api/v1/campaigns", s.listCampaigns)
	get("/api/v1/campaigns/:slug", s.getCampaign)

	// Emblems of served campaigns, as sanitised PNG, by content address.
	get("/emblems/:file", s.emblemFile)

	// Redirects: /go from badge clicks, /s from scans of stable QR codes.
	get("/go/:slug", s.redirect)
	get("/s/:slug", s.redirect)

	// Posters for one-stop desks: a PDF rendered per request, so rate-limited.
	get("/p/:file", s.limited(s.costly, "posters", s.poster))

	// Embedding: the script (current and pinned versions), the iframe page.
	get("/embed.js", s.embedJS)
	get("/embed/:file", s.embedVersioned)
	get("/e/:slug", s.frame)

	// Pages: the webmaster page and its assets, made per request, so
	// gzipped per response (see gzipped).
	get("/", s.gzipped(s.index))
	get("/static/*", s.gzipped(s.staticFile))

	// Admin API (admin_api.go) and console (console.go).
	s.adminRoutes()
	s.accountRoutes()
	s.complianceRoutes()
	s.consoleRoutes()

	// Operations.
	get("/healthz", s.healthz)
	get("/readyz", s.readyz)
	get("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{})))
}

// handle registers h with the server's middleware composed around it once.
func (s *Server) handle(method, path string, h echo.HandlerFunc) {
	s.echo.Add(method, path, s.observeMW(path, s.headerMW(h)))
}
