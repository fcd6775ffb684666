package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
)

// Session and sign-in settings.
const (
	sessionCookie = "oabadge_session"
	sessionTTL    = 8 * time.Hour
	// Failed sign-ins allowed per account and per client address in
	// loginWindow before further attempts are refused.
	loginPerAccount = 5
	loginPerAddress = 20
	loginWindow     = 15 * time.Minute
)

// principalKey is where an authenticated request keeps its Principal.
const principalKey = "oabadge.principal"

// authenticate finds who c acts as: a bearer token, or a session cookie
// (which must carry the CSRF token on anything but GET and HEAD).
func (s *Server) authenticate(c echo.Context) (auth.Principal, error) {
	r := c.Request()
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, apperr.Unauthorizedf("use Authorization: Bearer TOKEN")
		}
		return s.tokenPrincipal(ctx, strings.TrimSpace(secret))
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return auth.Principal{}, apperr.Unauthorizedf("sign in, or send an API token as Authorization: Bearer TOKEN")
	}
	ss, err := s.store.SessionByHash(ctx, auth.HashSecret(ck.Value), s.now())
	if err != nil {
		return auth.Principal{}, err
	}
	p := auth.Principal{Account: ss.Account, Role: ss.Role, Via: "session", CSRF: ss.CSRF}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("csrf")
		}
		if !auth.SameHash(got, ss.CSRF) {
			return auth.Principal{}, apperr.Forbiddenf("missing or wrong CSRF token: reload the page and try again")
		}
	}
	return p, nil
}

func (s *Server) tokenPrincipal(ctx context.Context, secret string) (auth.Principal, error) {
	bad := apperr.Unauthorizedf("the API token is not valid (revoked, or mistyped)")
	id, err := auth.ParseToken(secret)
	if err != nil {
		return auth.Principal{}, bad
	}
	t, err := s.store.TokenByID(ctx, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return auth.Principal{}, bad
	}
	if err != nil {
		return auth.Principal{}, err
	}
	if t.RevokedAt != nil || !auth.SameHash(t.SecretHash, auth.HashSecret(secret)) {
		return auth.Principal{}, bad
	}
	owner, err := s.store.Account(ctx, t.Account)
	if err != nil || owner.Disabled {
		return auth.Principal{}, bad
	}
	role := t.Role
	if !owner.Role.Allows(role) { // a token never outranks its owner, even after a demotion
		role = owner.Role
	}
	_ = s.store.TouchToken(ctx, id, s.now()) // best effort: a read-only database must not block reads
	return auth.Principal{Account: t.Account, Role: role, Via: "token:" + id}, nil
}

// requireRole wraps h so it runs only for principals with at least role.
func (s *Server) requireRole(role auth.Role, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if !p.Role.Allows(role) {
			return apperr.Forbiddenf("this needs the %s role; you are %s", role, p.Role)
		}
		c.Set(principalKey, p)
		return h(c)
	}
}

func principal(c echo.Context) auth.Principal {
	p, _ := c.Get(principalKey).(auth.Principal)
	return p
}

// actor is who the audit trail records for c.
func actor(c echo.Context) audit.Actor {
	r := c.Request()
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return principal(c).Actor(c.RealIP(), ua)
}

// signIn checks name and password under the limiter and starts a session.
// It returns the session's cookie value and CSRF token.
func (s *Server) signIn(c echo.Context, name, password string) (string, auth.Session, error) {
	ip := c.RealIP()
	accountKey, addrKey := "account:"+name, "addr:"+ip
	for _, k := range []string{accountKey, addrKey} {
		if ok, wait := s.limiter(k).Allow(k); !ok {
			c.Response().Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
			return "", auth.Session{}, apperr.TooManyf("too many failed sign-ins; try again in %s", roundUp(wait))
		}
	}
	a, err := s.store.Account(c.Request().Context(), name)
	if err != nil && apperr.KindOf(err) != apperr.NotFound {
		return "", auth.Session{}, err
	}
	// Check a password even for unknown names, so timing does not tell
	// which accounts exist.
	hash := a.PasswordHash
	if hash == "" {
		hash = s.dummyHash
	}
	if !auth.CheckPassword(hash, password) || a.Name == "" || a.Disabled {
		s.loginAccount.Fail(accountKey)
		s.loginAddress.Fail(addrKey)
		s.log.Info("sign-in failed", "account", name, "ip", ip)
		return "", auth.Session{}, apperr.Unauthorizedf("wrong account name or password")
	}
	s.loginAccount.Reset(accountKey)
	secret, err := auth.RandomString(32)
	if err != nil {
		return "", auth.Session{}, err
	}
	csrf, err := auth.RandomString(32)
	if err != nil {
		return "", auth.Session{}, err
	}
	now := s.now()
	ss := auth.Session{IDHash: auth.HashSecret(secret), Account: a.Name, Role: a.Role, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := s.store.CreateSession(c.Request().Context(), ss); err != nil {
		return "", auth.Session{}, err
	}
	s.log.Info("signed in", "account", a.Name, "ip", ip)
	return secret, ss, nil
}

func (s *Server) limiter(key string) *auth.Limiter {
	if strings.HasPrefix(key, "account:") {
		return s.loginAccount
	}
	return s.loginAddress
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

func roundUp(d time.Duration) string {
	if d < time.Minute {
		return itoa(int(d.Seconds())+1) + "s"
	}
	return itoa(int(d.Minutes())+1) + " min"
}
