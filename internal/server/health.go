package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers 200 while the process can serve HTTP at all: a liveness probe.
func (s *Server) healthz(c echo.Context) error {
	c.Response().Header()["Cache-Control"] = valNoStore
	return c.String(http.StatusOK, "ok\n")
}

type readyJSON struct {
	Status    string           `json:"status"`
	Store     string           `json:"store"`
	Version   string           `json:"version,omitempty"`
	Campaigns map[string]int64 `json:"campaigns"`
}

// readyz answers 200 when the server should get traffic, 503 while it
// drains for shutdown. A store that does not answer makes it "degraded"
// but still ready: badges are served from memory and stay correct. The
// body lists the campaign versions served, so drift between replicas shows.
func (s *Server) readyz(c echo.Context) error {
	c.Response().Header()["Cache-Control"] = valNoStore
	out := readyJSON{Status: "ready", Store: "ok", Version: s.cfg.Version, Campaigns: map[string]int64{}}
	for _, x := range s.campaigns.List() {
		out.Campaigns[x.Slug] = x.Version
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		out.Status, out.Store = "degraded", "unreachable"
	}
	code := http.StatusOK
	if s.draining.Load() {
		out.Status, code = "draining", http.StatusServiceUnavailable
	}
	return c.JSON(code, out)
}
