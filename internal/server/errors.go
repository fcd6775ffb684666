package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:      http.StatusUnprocessableEntity,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.TooMany:      http.StatusTooManyRequests,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Unavailable:  http.StatusServiceUnavailable,
	apperr.Internal:     http.StatusInternalServerError,
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error string `json:"error"`
}

// writeError maps err to a status, logs server faults (and only those), and
// answers JSON under /api/ and plain text elsewhere. Internal details never
// reach the client.
func (s *Server) writeError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		code, msg = http.StatusRequestEntityTooLarge, "the request body is larger than "+strconv.FormatInt(tooBig.Limit>>10, 10)+" KiB"
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = strings.ToLower(http.StatusText(code))
		}
	default:
		code = statusOf[apperr.KindOf(err)]
		msg = apperr.Message(err)
	}
	if code >= 500 {
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
			slog.Int("status", code), slog.Any("err", err))
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		_ = c.JSON(code, errorBody{Error: msg})
		return
	}
	_ = c.String(code, msg+"\n")
}
