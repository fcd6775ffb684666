package server

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
)

// adminRoutes lists the admin API. Every route but sign-in authenticates
// (bearer token, or session cookie plus CSRF token); what the caller may
// do is each service's to decide, so the console and the API cannot differ.
func (s *Server) adminRoutes() {
	const p = "/api/v1/admin"
	s.handle(http.MethodPost, p+"/login", s.apiLogin)
	s.handle(http.MethodPost, p+"/logout", s.signedIn(s.apiLogout))

	s.handle(http.MethodGet, p+"/campaigns", s.signedIn(s.apiCampaigns))
	s.handle(http.MethodPost, p+"/campaigns", s.signedIn(s.apiCreateCampaign))
	s.handle(http.MethodGet, p+"/campaigns/:slug", s.signedIn(s.apiCampaign))
	s.handle(http.MethodPatch, p+"/campaigns/:slug", s.signedIn(s.apiUpdateCampaign))
	s.handle(http.MethodGet, p+"/campaigns/:slug/history", s.signedIn(s.apiHistory))
	s.handle(http.MethodPut, p+"/campaigns/:slug/target", s.signedIn(s.apiSetTarget))
	s.handle(http.MethodPost, p+"/campaigns/:slug/rollback", s.signedIn(s.apiRollback))
	s.handle(http.MethodPost, p+"/campaigns/:slug/disable", s.signedIn(s.apiSetDisabled(true)))
	s.handle(http.MethodPost, p+"/campaigns/:slug/enable", s.signedIn(s.apiSetDisabled(false)))
	s.handle(http.MethodPost, p+"/campaigns/:slug/preview", s.signedIn(s.limited(s.costly, "previews", s.apiPreview)))
	s.handle(http.MethodPut, p+"/campaigns/:slug/emblem", s.signedIn(s.apiSetEmblem))
	s.handle(http.MethodDelete, p+"/campaigns/:slug/emblem", s.signedIn(s.apiRemoveEmblem))
	s.handle(http.MethodGet, p+"/emblems/:file", s.signedIn(s.storedEmblem))

	s.handle(http.MethodGet, p+"/proposals", s.signedIn(s.apiProposals))
	s.handle(http.MethodPost, p+"/proposals/:id/approve", s.signedIn(s.apiApprove))
	s.handle(http.MethodPost, p+"/proposals/:id/reject", s.signedIn(s.apiReject))

	s.handle(http.MethodGet, p+"/audit", s.signedIn(s.apiAudit))

	s.handle(http.MethodGet, p+"/caches", s.signedIn(s.apiCaches))
	s.handle(http.MethodPost, p+"/caches/purge", s.signedIn(s.apiPurgeCaches))

	s.handle(http.MethodGet, p+"/accounts", s.signedIn(s.apiAccounts))
	s.handle(http.MethodPost, p+"/accounts", s.signedIn(s.apiCreateAccount))
	s.handle(http.MethodGet, p+"/tokens", s.signedIn(s.apiTokens))
	s.handle(http.MethodPost, p+"/tokens", s.signedIn(s.apiCreateToken))
	s.handle(http.MethodDelete, p+"/tokens/:id", s.signedIn(s.apiRevokeToken))
}

// cacheJSON is one shared cache's state in the API.
type cacheJSON struct {
	Endpoint    string     `json:"endpoint"`
	Pending     int        `json:"pending"`
	LastOK      *time.Time `json:"last_ok,omitempty"`
	Failed      int        `json:"failed"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
}

// apiCaches serves GET /api/v1/admin/caches: the shared caches told of
// changes (--purge), and whether they were.
func (s *Server) apiCaches(c echo.Context) error {
	out := []cacheJSON{}
	for _, st := range s.purge.Status() {
		j := cacheJSON{Endpoint: st.Endpoint, Pending: st.Pending, Failed: st.Failed, LastError: st.LastError}
		if !st.LastOK.IsZero() {
			j.LastOK = &st.LastOK
		}
		if !st.LastErrorAt.IsZero() {
			j.LastErrorAt = &st.LastErrorAt
		}
		out = append(out, j)
	}
	c.Response().Header()["Cache-Control"] = valNoStore
	return c.JSON(http.StatusOK, map[string]any{"caches": out})
}

// apiPurgeCaches serves POST /api/v1/admin/caches/purge: tell every shared
// cache again to drop every campaign's responses.
func (s *Server) apiPurgeCaches(c echo.Context) error {
	if err := s.campaigns.InvalidateCaches(c.Request().Context(), caller(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]int{"endpoints": len(s.purge.Status())})
}

// decode reads a JSON body into v, refusing unknown fields and trailing data.
func decode(c echo.Context, v any) error {
	d := json.NewDecoder(c.Request().Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if apperr.KindOf(err) != apperr.Internal {
			return err // the body is over its limit
		}
		return apperr.BadRequestf("the body is not the JSON this call takes: %v", err)
	}
	if d.More() {
		return apperr.BadRequestf("the body has more than one JSON value")
	}
	return nil
}

func (s *Server) apiJSON(c echo.Context, code int, v any) error {
	c.Response().Header()["Cache-Control"] = valNoStore
	return c.JSON(code, v)
}

type loginBody struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	// Code is the second factor, for accounts that have one.
	Code string `json:"code"`
}

func (s *Server) apiLogin(c echo.Context) error {
	if err := s.sameOrigin(c); err != nil {
		return err
	}
	var b loginBody
	if err := decode(c, &b); err != nil {
		return err
	}
	secret, ss, err := s.auth.SignIn(c.Request().Context(), b.Name, b.Password, b.Code, c.RealIP())
	if err != nil {
		return err
	}
	s.setSessionCookie(c, secret, ss.ExpiresAt)
	return s.apiJSON(c, http.StatusOK, map[string]any{"account": ss.Account, "role": ss.Role, "csrf": ss.CSRF, "expires_at": ss.ExpiresAt})
}

func (s *Server) apiLogout(c echo.Context) error {
	if err := s.auth.SignOut(c.Request().Context(), sessionSecret(c)); err != nil {
		return err
	}
	s.setSessionCookie(c, "", time.Time{})
	return c.NoContent(http.StatusNoContent)
}

// adminCampaign is the admin view of a campaign.
type adminCampaign struct {
	campaignJSON
	OAIDs     []string  `json:"oa_ids"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// Emblem is the emblem's id ("" for none); images.emblem is its URL.
	Emblem       string `json:"emblem"`
	EmblemInCode bool   `json:"emblem_in_code"`
}

// lookJSON is a campaign's default theme and layout.
type lookJSON struct {
	Theme  string `json:"theme"`
	Layout string `json:"layout"`
}

func (s *Server) adminView(c campaign.Campaign) adminCampaign {
	ids := c.OAIDs
	if ids == nil {
		ids = []string{}
	}
	return adminCampaign{campaignJSON: s.campaignView(c), OAIDs: ids, Disabled: c.Disabled, CreatedAt: c.CreatedAt,
		Emblem: c.Emblem, EmblemInCode: c.EmblemInCode}
}

func (s *Server) apiCampaigns(c echo.Context) error {
	list, err := s.campaigns.All(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]adminCampaign, 0, len(list))
	for _, x := range list {
		out = append(out, s.adminView(x))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"campaigns": out})
}

func (s *Server) apiCampaign(c echo.Context) error {
	x, err := s.campaigns.Get(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", versionTag(x.Version))
	return s.apiJSON(c, http.StatusOK, s.adminView(x))
}

type campaignBody struct {
	Slug    string    `json:"slug"`
	Title   *string   `json:"title"`
	Caption *string   `json:"caption"`
	Target  string    `json:"target"`
	QRMode  *string   `json:"qr_mode"`
	OAIDs   *[]string `json:"oa_ids"`
	Theme   *string   `json:"theme"`
	Layout  *string   `json:"layout"`
	// Emblem names an uploaded emblem by id ("" for none); the file itself
	// goes to PUT …/emblem.
	Emblem       *string `json:"emblem"`
	EmblemInCode *bool   `json:"emblem_in_code"`
}

func (s *Server) apiCreateCampaign(c echo.Context) error {
	var b campaignBody
	if err := decode(c, &b); err != nil {
		return err
	}
	x := campaign.Campaign{Slug: b.Slug, Target: b.Target}
	if b.Title != nil {
		x.Title = *b.Title
	}
	if b.Caption != nil {
		x.Caption = *b.Caption
	}
	if b.QRMode != nil {
		x.QRMode = campaign.QRMode(*b.QRMode)
	}
	if b.OAIDs != nil {
		x.OAIDs = *b.OAIDs
	}
	if b.Theme != nil {
		x.Theme = *b.Theme
	}
	if b.Layout != nil {
		x.Layout = *b.Layout
	}
	if b.Emblem != nil {
		x.Emblem = *b.Emblem
	}
	if b.EmblemInCode != nil {
		x.EmblemInCode = *b.EmblemInCode
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	x, prop, err := s.campaigns.Create(c.Request().Context(), x, who)
	if err != nil {
		return err
	}
	if prop != nil {
		return s.apiJSON(c, http.StatusAccepted, map[string]any{"proposal": proposalView(*prop)})
	}
	c.Response().Header().Set("ETag", versionTag(x.Version))
	return s.apiJSON(c, http.StatusCreated, s.adminView(x))
}

func (s *Server) apiUpdateCampaign(c echo.Context) error {
	expect, err := ifMatch(c)
	if err != nil {
		return err
	}
	var b campaignBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Slug != "" || b.Target != "" {
		return apperr.BadRequestf("the slug cannot change, and the target changes only with PUT …/target")
	}
	u := campaign.Update{Title: b.Title, Caption: b.Caption, OAIDs: b.OAIDs, Theme: b.Theme, Layout: b.Layout,
		Emblem: b.Emblem, EmblemInCode: b.EmblemInCode}
	if b.QRMode != nil {
		m := campaign.QRMode(*b.QRMode)
		u.QRMode = &m
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	x, prop, err := s.campaigns.Update(c.Request().Context(), c.Param("slug"), u, expect, who)
	return s.changed(c, x, prop, err)
}

// apiSetDisabled serves POST …/disable and …/enable.
func (s *Server) apiSetDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		expect, err := ifMatch(c)
		if err != nil {
			return err
		}
		who, err := s.fresh(c)
		if err != nil {
			return err
		}
		x, prop, err := s.campaigns.SetDisabled(c.Request().Context(), c.Param("slug"), disabled, expect, who)
		return s.changed(c, x, prop, err)
	}
}

// emblemTypes are the Content-Types an emblem upload may have.
var emblemTypes = map[string]bool{"image/png": true, "image/svg+xml": true}

// apiSetEmblem serves PUT …/campaigns/{slug}/emblem: the body is the
// file (PNG or SVG, at most badge.MaxEmblemBytes), with If-Match. The
// file is sanitised and stored, and the change that shows it is applied
// or proposed like any other; an SVG is rasterised, never kept as sent.
func (s *Server) apiSetEmblem(c echo.Context) error {
	expect, err := ifMatch(c)
	if err != nil {
		return err
	}
	t, _, err := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if err != nil || !emblemTypes[t] {
		return apperr.Invalidf("send the emblem as the body, with Content-Type image/png or image/svg+xml")
	}
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if apperr.KindOf(err) != apperr.Internal {
			return err // over the limit: 413
		}
		return apperr.BadRequestf("reading the body: %v", err)
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	// Drawing an upload costs real work (an SVG is rasterised): held to
	// the rate of previews and posters.
	if err := s.costly.allow(c.RealIP(), "emblem uploads"); err != nil {
		return err
	}
	x, prop, err := s.campaigns.UpdateWithEmblem(c.Request().Context(), c.Param("slug"), campaign.Update{}, data, expect, who)
	return s.changed(c, x, prop, err)
}

// apiRemoveEmblem serves DELETE …/campaigns/{slug}/emblem, with If-Match.
func (s *Server) apiRemoveEmblem(c echo.Context) error {
	expect, err := ifMatch(c)
	if err != nil {
		return err
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	x, prop, err := s.campaigns.RemoveEmblem(c.Request().Context(), c.Param("slug"), expect, who)
	return s.changed(c, x, prop, err)
}

// storedEmblem serves GET …/emblems/{id}.png (API and console): any stored
// emblem, shown or only proposed, so a reviewer sees what they approve.
// The bytes are the sanitised PNG.
func (s *Server) storedEmblem(c echo.Context) error {
	id, ok := strings.CutSuffix(c.Param("file"), ".png")
	if !ok {
		return errNoEmblemFile
	}
	b, err := s.campaigns.StoredEmblem(c.Request().Context(), id, caller(c))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Content-Security-Policy"] = valImageCSP
	h["Cache-Control"] = valNoStore
	return c.Blob(http.StatusOK, valPNGType[0], b)
}

type revisionJSON struct {
	Version   int64     `json:"version"`
	Target    string    `json:"target"`
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	Approver  string    `json:"approver,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) apiHistory(c echo.Context) error {
	revs, err := s.campaigns.History(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	out := make([]revisionJSON, 0, len(revs))
	for _, r := range revs {
		out = append(out, revisionJSON(r))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"history": out})
}

func versionTag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// ifMatch reads the version a write applies to from If-Match: "N". A
// missing header is 428 and a malformed one 400, so a client cannot
// rotate without saying which version it saw.
func ifMatch(c echo.Context) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		return 0, apperr.PreconditionRequiredf(`send If-Match: "N", N being the campaign's current version (the "version" of its JSON)`)
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || n < 1 {
		return 0, apperr.BadRequestf(`If-Match must be "N", N being the campaign's current version`)
	}
	return n, nil
}

type targetBody struct {
	Target string     `json:"target"`
	At     *time.Time `json:"at"`
}

type proposalJSON struct {
	ID          int64           `json:"id"`
	Campaign    string          `json:"campaign"`
	Target      string          `json:"target,omitempty"`
	Kind        string          `json:"kind"`
	Fields      campaign.Update `json:"fields,omitzero"`
	BaseVersion int64           `json:"base_version"`
	Proposer    string          `json:"proposer"`
	RunAt       *time.Time      `json:"run_at,omitempty"`
	Status      string          `json:"status"`
	Approver    string          `json:"approver,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	DecidedAt   *time.Time      `json:"decided_at,omitempty"`
}

func proposalView(p campaign.Proposal) proposalJSON {
	return proposalJSON{ID: p.ID, Campaign: p.Slug, Target: p.Target, Kind: p.Kind, Fields: p.Fields, BaseVersion: p.BaseVersion, Proposer: p.Proposer,
		RunAt: p.RunAt, Status: p.Status, Approver: p.Approver, Reason: p.Reason, CreatedAt: p.CreatedAt, DecidedAt: p.DecidedAt}
}

// changed answers a change: 200 with the campaign when it applied, 202
// with the proposal when it waits.
func (s *Server) changed(c echo.Context, x campaign.Campaign, prop *campaign.Proposal, err error) error {
	if err != nil {
		return err
	}
	if prop != nil {
		return s.apiJSON(c, http.StatusAccepted, map[string]any{"proposal": proposalView(*prop)})
	}
	c.Response().Header().Set("ETag", versionTag(x.Version))
	return s.apiJSON(c, http.StatusOK, s.adminView(x))
}

func (s *Server) apiSetTarget(c echo.Context) error {
	expect, err := ifMatch(c)
	if err != nil {
		return err
	}
	var b targetBody
	if err := decode(c, &b); err != nil {
		return err
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	x, prop, err := s.campaigns.RequestRotation(c.Request().Context(),
		campaign.Request{Slug: c.Param("slug"), Target: b.Target, Expect: expect, RunAt: b.At}, who)
	return s.changed(c, x, prop, err)
}

type rollbackBody struct {
	Version int64      `json:"version"`
	At      *time.Time `json:"at"`
}

func (s *Server) apiRollback(c echo.Context) error {
	expect, err := ifMatch(c)
	if err != nil {
		return err
	}
	var b rollbackBody
	if err := decode(c, &b); err != nil {
		return err
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	x, prop, err := s.campaigns.Rollback(c.Request().Context(), c.Param("slug"), b.Version, expect, b.At, who)
	return s.changed(c, x, prop, err)
}

type previewBody struct {
	Target string `json:"target"`
	Size   int    `json:"size"`
	Layout string `json:"layout"`
	Theme  string `json:"theme"`
}

// apiPreview renders the badge as it would be with a new target, as SVG,
// after the checks a rotation makes. Nothing is stored.
func (s *Server) apiPreview(c echo.Context) error {
	var b previewBody
	if err := decode(c, &b); err != nil {
		return err
	}
	q := url.Values{}
	if b.Size != 0 {
		q.Set("size", strconv.Itoa(b.Size))
	}
	if b.Layout != "" {
		q.Set("layout", b.Layout)
	}
	if b.Theme != "" {
		q.Set("theme", b.Theme)
	}
	body, target, err := s.campaigns.Preview(c.Request().Context(), c.Param("slug"), b.Target, func(theme, layout string) (badge.Variant, error) {
		return variantOf(q.Encode(), badge.SVG, theme, layout)
	}, caller(c))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Content-Security-Policy"] = valImageCSP
	h["Cache-Control"] = valNoStore
	h.Set("X-Oabadge-Target", target)
	return c.Blob(http.StatusOK, valSVGType[0], body)
}

func (s *Server) apiProposals(c echo.Context) error {
	ps, err := s.campaigns.Proposals(c.Request().Context(), c.QueryParam("status"))
	if err != nil {
		return err
	}
	out := make([]proposalJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, proposalView(p))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"proposals": out})
}

func proposalID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.NotFoundf("no such proposal")
	}
	return id, nil
}

func (s *Server) apiApprove(c echo.Context) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	who, err := s.fresh(c)
	if err != nil {
		return err
	}
	p, err := s.campaigns.Approve(c.Request().Context(), id, who)
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"proposal": proposalView(p)})
}

type rejectBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiReject(c echo.Context) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	var b rejectBody
	if c.Request().ContentLength != 0 {
		if err := decode(c, &b); err != nil {
			return err
		}
	}
	out, err := s.campaigns.Reject(c.Request().Context(), id, b.Reason, caller(c))
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"proposal": proposalView(out)})
}

// auditFilter reads the audit log's filters from the query.
func auditFilter(c echo.Context) (audit.Filter, error) {
	q := c.QueryParams()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Subject: q.Get("subject")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				if t, err = time.Parse("2006-01-02", v); err != nil {
					return f, apperr.BadRequestf("%s must be a date (2026-07-01) or an RFC 3339 time", name)
				}
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return f, apperr.BadRequestf("limit must be between 1 and 100000")
		}
		f.Limit = n
	}
	return f, nil
}

type auditJSON struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Role      string    `json:"role"`
	Action    string    `json:"action"`
	Subject   string    `json:"subject"`
	Before    string    `json:"before"`
	After     string    `json:"after"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Approval  string    `json:"approval"`
	Hash      string    `json:"hash"`
}

// apiAudit serves the audit log as JSON, or as CSV with format=csv
// (UTF-8 with a byte-order mark, so Excel shows Vietnamese correctly).
func (s *Server) apiAudit(c echo.Context) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	es, err := s.audit.AuditEntries(c.Request().Context(), f)
	if err != nil {
		return err
	}
	switch c.QueryParam("format") {
	case "", "json":
		out := make([]auditJSON, 0, len(es))
		for _, e := range es {
			out = append(out, auditJSON{e.Seq, e.At, e.Actor, e.Role, e.Action, e.Subject, e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.Hash})
		}
		return s.apiJSON(c, http.StatusOK, map[string]any{"entries": out})
	case "csv":
		h := c.Response().Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="oabadge-audit.csv"`)
		h["Cache-Control"] = valNoStore
		c.Response().WriteHeader(http.StatusOK)
		return writeAuditCSV(c.Response(), es)
	}
	return apperr.BadRequestf("format must be json or csv")
}

// writeAuditCSV writes es as the CSV compliance.WriteCSV writes: every
// cell defused where a spreadsheet could read a formula (an actor name, a
// user agent and the JSON states are the client's text).
func writeAuditCSV(w io.Writer, es []audit.Entry) error {
	cw := compliance.NewCSVWriter(w, []string{"seq", "at", "actor", "role", "action", "subject", "before", "after", "ip", "user_agent", "approval", "hash"})
	for _, e := range es {
		cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339), e.Actor, e.Role, e.Action, e.Subject,
			e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.Hash})
	}
	return cw.Close()
}

type accountJSON struct {
	Name         string    `json:"name"`
	Role         auth.Role `json:"role"`
	CreatedAt    time.Time `json:"created_at"`
	Disabled     bool      `json:"disabled"`
	SecondFactor bool      `json:"second_factor"`
	PendingRole  auth.Role `json:"pending_role,omitempty"`
	PendingBy    string    `json:"pending_by,omitempty"`
}

func (s *Server) apiAccounts(c echo.Context) error {
	as, err := s.auth.Accounts(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]accountJSON, 0, len(as))
	for _, a := range as {
		out = append(out, accountView(a))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"accounts": out})
}

type newAccountBody struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (s *Server) apiCreateAccount(c echo.Context) error {
	var b newAccountBody
	if err := decode(c, &b); err != nil {
		return err
	}
	a, err := s.auth.CreateAccount(c.Request().Context(), b.Name, b.Role, b.Password, caller(c))
	if err != nil {
		return err
	}
	code := http.StatusCreated
	if a.PendingRole != "" {
		code = http.StatusAccepted // a new admin waits for a second admin
	}
	return s.apiJSON(c, code, accountView(a))
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Account    string     `json:"account"`
	Role       auth.Role  `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Token      string     `json:"token,omitempty"` // only in the answer that creates it
}

func (s *Server) apiTokens(c echo.Context) error {
	ts, err := s.auth.Tokens(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenJSON{ID: t.ID, Name: t.Name, Account: t.Account, Role: t.Role, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt})
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"tokens": out})
}

type newTokenBody struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Account string `json:"account"`
}

func (s *Server) apiCreateToken(c echo.Context) error {
	var b newTokenBody
	if err := decode(c, &b); err != nil {
		return err
	}
	t, secret, err := s.auth.CreateToken(c.Request().Context(), b.Name, b.Role, b.Account, caller(c))
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusCreated, tokenJSON{ID: t.ID, Name: t.Name, Account: t.Account, Role: t.Role, CreatedAt: t.CreatedAt, Token: secret})
}

func (s *Server) apiRevokeToken(c echo.Context) error {
	if err := s.auth.RevokeToken(c.Request().Context(), c.Param("id"), caller(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
