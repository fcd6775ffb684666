package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.BadRequest:           http.StatusBadRequest,
	apperr.Invalid:              http.StatusUnprocessableEntity,
	apperr.Unauthorized:         http.StatusUnauthorized,
	apperr.Forbidden:            http.StatusForbidden,
	apperr.NotFound:             http.StatusNotFound,
	apperr.Conflict:             http.StatusConflict,
	apperr.PreconditionRequired: http.StatusPreconditionRequired,
	apperr.PreconditionFailed:   http.StatusPreconditionFailed,
	apperr.TooMany:              http.StatusTooManyRequests,
	apperr.TooLarge:             http.StatusRequestEntityTooLarge,
	apperr.Unavailable:          http.StatusServiceUnavailable,
	apperr.Internal:             http.StatusInternalServerError,
}

// errorBody is the JSON shape of every API error: a message a person can
// act on and, when the problem has several places (lines of a file), each
// of them.
type errorBody struct {
	Error   string          `json:"error"`
	Details []apperr.Detail `json:"details,omitempty"`
}

// describe turns any error into the status, message and details a client
// sees. Router answers (unknown path or method) are the only errors that
// do not carry an apperr kind.
func describe(err error) (int, string, []apperr.Detail) {
	var he *echo.HTTPError
	if errors.As(err, &he) && apperr.KindOf(err) == apperr.Internal {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, "not found", nil
		case http.StatusMethodNotAllowed:
			return he.Code, "method not allowed", nil
		}
		return he.Code, strings.ToLower(http.StatusText(he.Code)), nil
	}
	return statusOf[apperr.KindOf(err)], apperr.Message(err), apperr.DetailsOf(err)
}

// writeError maps err to a status, logs server faults (and only those), and
// answers JSON under /api/ and plain text elsewhere. Internal details never
// reach the client.
func (s *Server) writeError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg, details := describe(err)
	if code >= 500 && apperr.KindOf(err) != apperr.Unavailable {
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
			slog.Int("status", code), slog.Any("err", err))
	}
	h := c.Response().Header()
	h["Cache-Control"] = valNoStore
	if d := apperr.RetryAfterOf(err); d > 0 {
		h.Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		_ = c.JSON(code, errorBody{Error: msg, Details: details})
		return
	}
	_ = c.String(code, msg+"\n")
}

// maxBytes limits a request body and reports an overlong one as TooLarge.
type maxBytes struct {
	rc    io.ReadCloser
	limit int64
}

func (b maxBytes) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = apperr.TooLargef("the request body is larger than %d KiB", b.limit>>10)
	}
	return n, err
}

func (b maxBytes) Close() error { return b.rc.Close() }
