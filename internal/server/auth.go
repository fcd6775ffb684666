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
	if err := s.sameOrigin(c); err != nil {
		return caller, err
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
// caller may do is each service's to decide. An admin who must enroll a
// second factor first may only read their own account and sign out.
func (s *Server) signedIn(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		who, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if who.MustEnroll && !enrollmentPath(c.Path()) {
			return apperr.Forbiddenf("set up a second factor first (in the console, on your account page), as this server requires for admins")
		}
		c.Set(callerKey, who)
		return h(c)
	}
}

// enrollmentPath reports whether route is open to an admin who has yet to
// enroll a second factor: their account page, its forms, signing out.
func enrollmentPath(route string) bool {
	return strings.HasPrefix(route, "/admin/account") || route == "/admin/logout" ||
		route == "/api/v1/admin/logout" || strings.HasPrefix(route, "/api/v1/admin/me")
}

// sameOrigin refuses a cookie-carrying form or call that a browser says
// came from another site: Sec-Fetch-Site when the browser sends it, else
// Origin against the public URL. The session cookie is SameSite=Strict
// and forms carry a CSRF token; this also covers the sign-in form, which
// has neither (login CSRF).
func (s *Server) sameOrigin(c echo.Context) error {
	r := c.Request()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin", "none":
		return nil
	case "":
	default:
		return apperr.Forbiddenf("this form was sent from another site (%s); open the console at %s", site, s.cfg.PublicURL)
	}
	if o := r.Header.Get("Origin"); o != "" && o != origin(s.cfg.PublicURL) {
		return apperr.Forbiddenf("this form was sent from another site (%s); open the console at %s", o, s.cfg.PublicURL)
	}
	return nil
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
