package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
)

// sessionCookie names the console's session cookie.
const sessionCookie = "oabadge_session"

// callerKey is where an authenticated request keeps its auth.Caller.
const callerKey = "oabadge.caller"

// authenticate finds who c acts as: a bearer token, or a session cookie
// (which must carry the CSRF token on anything but GET and HEAD).
func (s *Server) authenticate(c echo.Context) (auth.Caller, error) {
	r := c.Request()
	ctx := r.Context()
	caller := auth.Caller{IP: c.RealIP(), UserAgent: userAgent(r)}
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return caller, apperr.Unauthorizedf("use Authorization: Bearer TOKEN")
		}
		p, err := s.auth.Token(ctx, strings.TrimSpace(secret))
		caller.Principal = p
		return caller, err
	}
	var secret string
	if ck, err := r.Cookie(sessionCookie); err == nil {
		secret = ck.Value
	}
	p, err := s.auth.Session(ctx, secret)
	if err != nil {
		return caller, err
	}
	caller.Principal = p
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("csrf")
		}
		if !auth.SameHash(got, p.CSRF) {
			return caller, apperr.Forbiddenf("missing or wrong CSRF token: reload the page and try again")
		}
	}
	return caller, nil
}

// userAgent returns the request's User-Agent, bounded for the audit trail.
func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return ua
}

// signedIn wraps h so it runs only for an authenticated caller. What the
// caller may do is each service's to decide.
func (s *Server) signedIn(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		who, err := s.authenticate(c)
		if err != nil {
			return err
		}
		c.Set(callerKey, who)
		return h(c)
	}
}

// caller is who an authenticated request acts as.
func caller(c echo.Context) auth.Caller {
	p, _ := c.Get(callerKey).(auth.Caller)
	return p
}

// setSessionCookie sets (or, with an empty value, clears) the session
// cookie: HttpOnly, SameSite=Strict, Secure behind https.
func (s *Server) setSessionCookie(c echo.Context, value string, expires time.Time) {
	ck := &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")}
	if value == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	c.SetCookie(ck)
}

// sessionSecret is the session cookie's value, or "".
func sessionSecret(c echo.Context) string {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}
