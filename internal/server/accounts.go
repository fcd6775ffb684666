package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
)

// accountRoutes lists the account lifecycle: the admin API and the console
// pages, both calling the auth service's methods, which hold every rule.
func (s *Server) accountRoutes() {
	const p = "/api/v1/admin"
	s.handle(http.MethodGet, p+"/me", s.signedIn(s.apiMe))
	s.handle(http.MethodPost, p+"/me/password", s.signedIn(s.apiOwnPassword))
	s.handle(http.MethodPost, p+"/accounts/:name/role", s.signedIn(s.apiAccountRole))
	s.handle(http.MethodPost, p+"/accounts/:name/disable", s.signedIn(s.apiAccountDisabled(true)))
	s.handle(http.MethodPost, p+"/accounts/:name/enable", s.signedIn(s.apiAccountDisabled(false)))
	s.handle(http.MethodPost, p+"/accounts/:name/password", s.signedIn(s.apiAccountPassword))
	s.handle(http.MethodPost, p+"/accounts/:name/end-sessions", s.signedIn(s.apiEndSessions))
	s.handle(http.MethodPost, p+"/accounts/:name/reset-2fa", s.signedIn(s.apiResetTOTP))
	s.handle(http.MethodPost, p+"/accounts/:name/approve", s.signedIn(s.apiApproveAccount))
	s.handle(http.MethodPost, p+"/accounts/:name/reject", s.signedIn(s.apiRejectAccount))

	s.handle(http.MethodGet, "/admin/account", s.console(s.consoleAccount))
	s.handle(http.MethodPost, "/admin/account/password", s.console(s.consoleOwnPassword))
	s.handle(http.MethodPost, "/admin/account/2fa/begin", s.console(s.consoleBeginTOTP))
	s.handle(http.MethodGet, "/admin/account/2fa.svg", s.console(s.consoleTOTPImage))
	s.handle(http.MethodPost, "/admin/account/2fa/confirm", s.console(s.consoleConfirmTOTP))
	s.handle(http.MethodPost, "/admin/account/2fa/remove", s.console(s.consoleRemoveTOTP))
	s.handle(http.MethodPost, "/admin/accounts/:name/:action", s.console(s.consoleAccountAction))
}

// fresh is the request's caller, marked Fresh when the request carries a
// current second-factor code (form field code, or header X-Oabadge-Code):
// approving or applying a change from a session with a second factor
// needs one.
func (s *Server) fresh(c echo.Context) (auth.Caller, error) {
	code := c.Request().Header.Get("X-Oabadge-Code")
	if code == "" && c.Request().Method == http.MethodPost && !strings.HasPrefix(c.Request().Header.Get("Content-Type"), "application/json") {
		code = c.FormValue("code")
	}
	return s.auth.StepUp(c.Request().Context(), code, caller(c))
}

type meJSON struct {
	accountJSON
	SecondFactor bool   `json:"second_factor"`
	MustEnroll   bool   `json:"must_enroll,omitempty"`
	Via          string `json:"via"`
}

func (s *Server) apiMe(c echo.Context) error {
	who := caller(c)
	a, err := s.auth.Me(c.Request().Context(), who)
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, meJSON{accountView(a), a.TOTPEnabled, who.MustEnroll, who.Via})
}

type passwordBody struct {
	Password string `json:"password"`
	Current  string `json:"current"`
}

func (s *Server) apiOwnPassword(c echo.Context) error {
	var b passwordBody
	if err := decode(c, &b); err != nil {
		return err
	}
	who := caller(c)
	if _, err := s.auth.SetPassword(c.Request().Context(), who.Account, b.Password, b.Current, sessionSecret(c), who); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiAccountPassword(c echo.Context) error {
	var b passwordBody
	if err := decode(c, &b); err != nil {
		return err
	}
	who := caller(c)
	a, err := s.auth.SetPassword(c.Request().Context(), c.Param("name"), b.Password, b.Current, sessionSecret(c), who)
	if err != nil {
		return err
	}
	if a.PendingRole != "" && a.Name != who.Account {
		// Under the two-person rule the account's role now waits for
		// another admin: say so, rather than a bare success.
		return c.JSON(http.StatusAccepted, accountView(a))
	}
	return c.NoContent(http.StatusNoContent)
}

type roleBody struct {
	Role string `json:"role"`
}

func (s *Server) apiAccountRole(c echo.Context) error {
	var b roleBody
	if err := decode(c, &b); err != nil {
		return err
	}
	a, err := s.auth.SetRole(c.Request().Context(), c.Param("name"), b.Role, caller(c))
	return s.accountAnswer(c, a, err)
}

func (s *Server) apiAccountDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.auth.SetDisabled(c.Request().Context(), c.Param("name"), disabled, caller(c))
		return s.accountAnswer(c, a, err)
	}
}

func (s *Server) apiEndSessions(c echo.Context) error {
	sessions, tokens, err := s.auth.EndSessions(c.Request().Context(), c.Param("name"), caller(c))
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"sessions_ended": sessions, "tokens_revoked": tokens})
}

func (s *Server) apiResetTOTP(c echo.Context) error {
	if err := s.auth.ResetTOTP(c.Request().Context(), c.Param("name"), c.Request().Header.Get("X-Oabadge-Code"), caller(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiApproveAccount(c echo.Context) error {
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	a, err := s.auth.ApprovePending(c.Request().Context(), c.Param("name"), who)
	return s.accountAnswer(c, a, err)
}

func (s *Server) apiRejectAccount(c echo.Context) error {
	a, err := s.auth.RejectPending(c.Request().Context(), c.Param("name"), caller(c))
	return s.accountAnswer(c, a, err)
}

// accountAnswer answers a change of an account: 202 when it waits for a
// second admin, 200 when it applied.
func (s *Server) accountAnswer(c echo.Context, a auth.Account, err error) error {
	if err != nil {
		return err
	}
	code := http.StatusOK
	if a.PendingRole != "" {
		code = http.StatusAccepted
	}
	return s.apiJSON(c, code, accountView(a))
}

// consoleAccount is the caller's own page: password, second factor.
func (s *Server) consoleAccount(c echo.Context) error {
	d := s.consoleBase(c, "")
	d.Title = d.T.MyAccount
	a, err := s.auth.Me(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	d.Me = a
	if caller(c).MustEnroll && d.Error == "" {
		d.Error = d.T.MustEnroll
	}
	return s.render(c, http.StatusOK, "account", d)
}

func (s *Server) consoleOwnPassword(c echo.Context) error {
	who := caller(c)
	if c.FormValue("password") != c.FormValue("password2") {
		return back(c, "/admin/account", apperr.Invalidf("the two new passwords differ"), "")
	}
	_, err := s.auth.SetPassword(c.Request().Context(), who.Account, c.FormValue("password"), c.FormValue("current"), sessionSecret(c), who)
	return back(c, "/admin/account", err, "done")
}

func (s *Server) consoleBeginTOTP(c echo.Context) error {
	secret, _, err := s.auth.BeginTOTP(c.Request().Context(), caller(c))
	if err != nil {
		return back(c, "/admin/account", err, "")
	}
	d := s.consoleBase(c, "")
	d.Title, d.TOTPSecret = d.T.SecondFactor, groupBy4(secret)
	return s.render(c, http.StatusOK, "enroll", d)
}

// groupBy4 spaces a base32 secret for reading aloud and typing.
func groupBy4(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// consoleTOTPImage is the QR code of the caller's enrollment in progress.
func (s *Server) consoleTOTPImage(c echo.Context) error {
	url, err := s.auth.PendingTOTP(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	body, err := badge.Render(badge.Content{Code: url}, badge.Variant{Format: badge.SVG, Layout: badge.LayoutQR, Theme: badge.ThemeMono, Size: 256, Density: 1})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Content-Security-Policy"] = valImageCSP
	h["Cache-Control"] = valNoStore
	return c.Blob(http.StatusOK, valSVGType[0], body)
}

func (s *Server) consoleConfirmTOTP(c echo.Context) error {
	codes, err := s.auth.ConfirmTOTP(c.Request().Context(), c.FormValue("code"), caller(c))
	if err != nil {
		return back(c, "/admin/account", err, "")
	}
	d := s.consoleBase(c, "")
	d.Title, d.RecoveryCodes = d.T.SecondFactor, codes
	return s.render(c, http.StatusOK, "recovery", d)
}

func (s *Server) consoleRemoveTOTP(c echo.Context) error {
	who := caller(c)
	err := s.auth.ResetTOTP(c.Request().Context(), who.Account, c.FormValue("code"), who)
	return back(c, "/admin/account", err, "done")
}

// consoleAccountAction serves the forms of the accounts page.
func (s *Server) consoleAccountAction(c echo.Context) error {
	ctx, name, who := c.Request().Context(), c.Param("name"), caller(c)
	var err error
	switch c.Param("action") {
	case "role":
		_, err = s.auth.SetRole(ctx, name, c.FormValue("role"), who)
	case "disable":
		_, err = s.auth.SetDisabled(ctx, name, true, who)
	case "enable":
		_, err = s.auth.SetDisabled(ctx, name, false, who)
	case "password":
		var a auth.Account
		if a, err = s.auth.SetPassword(ctx, name, c.FormValue("password"), "", "", who); err == nil && a.PendingRole != "" && name != who.Account {
			return back(c, "/admin/accounts", nil, "proposed") // its role waits for another admin
		}
	case "end-sessions":
		_, _, err = s.auth.EndSessions(ctx, name, who)
	case "reset-2fa":
		err = s.auth.ResetTOTP(ctx, name, "", who)
	case "approve":
		if who, err = s.fresh(c); err == nil {
			_, err = s.auth.ApprovePending(ctx, name, who)
		}
	case "reject":
		_, err = s.auth.RejectPending(ctx, name, who)
	default:
		return apperr.NotFoundf("no such action")
	}
	return back(c, "/admin/accounts", err, "done")
}

// accountView is the API's view of an account: never a secret.
func accountView(a auth.Account) accountJSON {
	return accountJSON{Name: a.Name, Role: a.Role, CreatedAt: a.CreatedAt, Disabled: a.Disabled, SecondFactor: a.TOTPEnabled,
		PendingRole: a.PendingRole, PendingBy: a.PendingBy}
}
