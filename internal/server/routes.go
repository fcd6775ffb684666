package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxBody bounds request bodies. No public route takes one; admin JSON is small.
const maxBody = "64K"

// routes lists every route the server answers.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.observeMW, s.headerMW, middleware.BodyLimit(maxBody))

	// Badges, hotlinked by portals: the hot path.
	e.GET("/b/:file", s.badge)
	e.HEAD("/b/:file", s.badge)

	// Public campaign data, for embed scripts and integrations.
	e.GET("/api/v1/campaigns", s.listCampaigns)
	e.GET("/api/v1/campaigns/:slug", s.getCampaign)

	// Redirects: /go from badge clicks, /s from scans of stable QR codes.
	e.GET("/go/:slug", s.redirect)
	e.GET("/s/:slug", s.redirect)

	// Pages.
	e.GET("/", s.index)
	e.GET("/static/*", s.staticFile)

	// Operations.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{})))

	e.RouteNotFound("/*", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	})
}
