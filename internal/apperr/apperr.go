// Package apperr holds the few error kinds the rest of oabadge speaks in.
//
// Every package returns one of these (wrapped or not) when the caller did
// something wrong; the HTTP layer maps the kind to a status in one table and
// the command line prints the message. Anything else is an internal error,
// logged in full and shown to clients only as "internal error". No package
// that returns these imports anything of HTTP.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what went wrong from the caller's point of view.
type Kind int

// The kinds. Their order is not significant.
const (
	// Internal is any failure that is not the caller's fault.
	Internal Kind = iota
	// BadRequest means the request itself was malformed: a query or body
	// that does not parse, a parameter outside its fixed list.
	BadRequest
	// Invalid means the request parsed but asks for something the rules
	// refuse (a target off the allowlist, a title too long).
	Invalid
	// NotFound means the named thing does not exist.
	NotFound
	// Conflict means the request clashes with the current state (a
	// duplicate name, a proposal decided already).
	Conflict
	// PreconditionRequired means a change must say which version it saw.
	PreconditionRequired
	// PreconditionFailed means the version the change saw is not current.
	PreconditionFailed
	// Unavailable means a dependency (the database) cannot take writes now.
	Unavailable
	// Unauthorized means the caller is not signed in (or the token is bad).
	Unauthorized
	// Forbidden means the caller may not do this.
	Forbidden
	// TooMany means the caller must wait before trying again.
	TooMany
	// TooLarge means the request body is larger than the call accepts.
	TooLarge
)

// Detail is one located problem inside a request: a line of an imported
// file, a field of a form.
type Detail struct {
	Line   int    `json:"line,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Error is an error a person can act on: Msg is safe to show to clients.
type Error struct {
	Kind Kind
	Msg  string
	// Details locate the problems, when there are several (safe to show).
	Details []Detail
	// RetryAfter, for TooMany and Unavailable, says when to try again.
	RetryAfter time.Duration
	Err        error // optional cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func newf(k Kind, format string, args []any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// BadRequestf returns a BadRequest error with a formatted message.
func BadRequestf(format string, args ...any) error { return newf(BadRequest, format, args) }

// Invalidf returns an Invalid error with a formatted message.
func Invalidf(format string, args ...any) error { return newf(Invalid, format, args) }

// NotFoundf returns a NotFound error with a formatted message.
func NotFoundf(format string, args ...any) error { return newf(NotFound, format, args) }

// Conflictf returns a Conflict error with a formatted message.
func Conflictf(format string, args ...any) error { return newf(Conflict, format, args) }

// PreconditionRequiredf returns a PreconditionRequired error.
func PreconditionRequiredf(format string, args ...any) error {
	return newf(PreconditionRequired, format, args)
}

// PreconditionFailedf returns a PreconditionFailed error.
func PreconditionFailedf(format string, args ...any) error {
	return newf(PreconditionFailed, format, args)
}

// Forbiddenf returns a Forbidden error with a formatted message.
func Forbiddenf(format string, args ...any) error { return newf(Forbidden, format, args) }

// Unauthorizedf returns an Unauthorized error with a formatted message.
func Unauthorizedf(format string, args ...any) error { return newf(Unauthorized, format, args) }

// TooManyf returns a TooMany error that asks the caller to wait retry.
func TooManyf(retry time.Duration, format string, args ...any) error {
	return &Error{Kind: TooMany, Msg: fmt.Sprintf(format, args...), RetryAfter: retry}
}

// TooLargef returns a TooLarge error with a formatted message.
func TooLargef(format string, args ...any) error { return newf(TooLarge, format, args) }

// Unavailablef wraps cause as an Unavailable error.
func Unavailablef(cause error, format string, args ...any) error {
	return &Error{Kind: Unavailable, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// WithDetails returns an error of kind k with msg and the located problems.
func WithDetails(k Kind, msg string, details []Detail) error {
	return &Error{Kind: k, Msg: msg, Details: details}
}

// KindOf reports the kind of err, Internal when it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message returns the client-safe message of err, or "internal error".
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Msg
	}
	return "internal error"
}

// DetailsOf returns the located problems err carries, if any.
func DetailsOf(err error) []Detail {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// RetryAfterOf returns how long err asks the caller to wait, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
