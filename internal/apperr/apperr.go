// Package apperr holds the few error kinds the rest of oabadge speaks in.
//
// Every package returns one of these (wrapped or not) when the caller did
// something wrong; the HTTP layer maps the kind to a status in one table and
// the command line prints the message. Anything else is an internal error,
// logged in full and shown to clients only as "internal error".
package apperr

import (
	"errors"
	"fmt"
)

// Kind says what went wrong from the caller's point of view.
type Kind int

// The kinds. Their order is not significant.
const (
	// Internal is any failure that is not the caller's fault.
	Internal Kind = iota
	// Invalid means the input was malformed or outside the allowed values.
	Invalid
	// NotFound means the named thing does not exist.
	NotFound
	// Conflict means the request raced another change (a stale version).
	Conflict
	// Unavailable means a dependency (the database) cannot take writes now.
	Unavailable
	// Unauthorized means the caller is not signed in (or the token is bad).
	Unauthorized
	// Forbidden means the caller may not do this.
	Forbidden
	// TooMany means the caller must wait before trying again.
	TooMany
)

// Error is an error a person can act on: Msg is safe to show to clients.
type Error struct {
	Kind Kind
	Msg  string
	Err  error // optional cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalidf returns an Invalid error with a formatted message.
func Invalidf(format string, args ...any) error {
	return &Error{Kind: Invalid, Msg: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NotFound error with a formatted message.
func NotFoundf(format string, args ...any) error {
	return &Error{Kind: NotFound, Msg: fmt.Sprintf(format, args...)}
}

// Conflictf returns a Conflict error with a formatted message.
func Conflictf(format string, args ...any) error {
	return &Error{Kind: Conflict, Msg: fmt.Sprintf(format, args...)}
}

// Forbiddenf returns a Forbidden error with a formatted message.
func Forbiddenf(format string, args ...any) error {
	return &Error{Kind: Forbidden, Msg: fmt.Sprintf(format, args...)}
}

// Unauthorizedf returns an Unauthorized error with a formatted message.
func Unauthorizedf(format string, args ...any) error {
	return &Error{Kind: Unauthorized, Msg: fmt.Sprintf(format, args...)}
}

// TooManyf returns a TooMany error with a formatted message.
func TooManyf(format string, args ...any) error {
	return &Error{Kind: TooMany, Msg: fmt.Sprintf(format, args...)}
}

// Unavailablef wraps cause as an Unavailable error.
func Unavailablef(cause error, format string, args ...any) error {
	return &Error{Kind: Unavailable, Msg: fmt.Sprintf(format, args...), Err: cause}
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
