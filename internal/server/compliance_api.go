package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/compliance"
)

// maxImport bounds an uploaded register file (the body limit of other
// routes is smaller).
const maxImport = 4 << 20

func (s *Server) complianceRoutes() {
	const p = "/api/v1/admin"
	s.handle(http.MethodGet, p+"/agencies", s.requireRole(auth.Viewer, s.apiAgencies))
	s.handle(http.MethodPost, p+"/agencies", s.requireRole(auth.Editor, s.apiImportAgencies))
	s.handle(http.MethodGet, p+"/agencies/:id", s.requireRole(auth.Viewer, s.apiAgency))
	s.handle(http.MethodGet, p+"/report", s.requireRole(auth.Viewer, s.apiReport))
	s.handle(http.MethodPost, p+"/checks", s.requireRole(auth.Admin, s.apiRunCheck))
}

type agencyJSON struct {
	ID       int64           `json:"id"`
	Name     string          `json:"name"`
	Kind     compliance.Kind `json:"kind"`
	Homepage string          `json:"homepage"`
	Parent   string          `json:"parent,omitempty"`
	Contact  string          `json:"contact,omitempty"`
}

func agencyView(a compliance.Agency) agencyJSON {
	return agencyJSON{a.ID, a.Name, a.Kind, a.Homepage, a.Parent, a.Contact}
}

// apiAgencies lists the register, as JSON or (format=csv) as a file Excel opens.
func (s *Server) apiAgencies(c echo.Context) error {
	as, err := s.store.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "csv" {
		rows := make([][]string, 0, len(as))
		for _, a := range as {
			rows = append(rows, []string{a.Name, string(a.Kind), a.Homepage, a.Parent, a.Contact})
		}
		return s.csvFile(c, "agencies.csv", []string{"name", "kind", "homepage", "parent", "contact"}, rows)
	}
	out := make([]agencyJSON, 0, len(as))
	for _, a := range as {
		out = append(out, agencyView(a))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"agencies": out})
}

func (s *Server) csvFile(c echo.Context, name string, header []string, rows [][]string) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h["Cache-Control"] = valNoStore
	c.Response().WriteHeader(http.StatusOK)
	return compliance.WriteCSV(c.Response(), header, rows)
}

type lineJSON struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// importAgencies reads a CSV register and imports it: all of it, or, with
// any bad line, nothing. Problems with the file are apperr.Invalid (or an
// *compliance.ImportError naming the lines).
func (s *Server) importAgencies(c echo.Context, r io.Reader) (int, int, error) {
	as, err := compliance.ParseCSV(r)
	var ie *compliance.ImportError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ie), errors.As(err, &tooBig):
		return 0, 0, err
	case err != nil:
		return 0, 0, apperr.Invalidf("%s", err.Error())
	}
	return s.store.ImportAgencies(c.Request().Context(), as, s.now(), actor(c))
}

// apiImportAgencies takes the CSV as the request body (text/csv).
func (s *Server) apiImportAgencies(c echo.Context) error {
	created, updated, err := s.importAgencies(c, c.Request().Body)
	var ie *compliance.ImportError
	if errors.As(err, &ie) {
		lines := make([]lineJSON, len(ie.Rows))
		for i, x := range ie.Rows {
			lines[i] = lineJSON{x.Line, x.Reason}
		}
		return s.apiJSON(c, http.StatusUnprocessableEntity, map[string]any{"error": ie.Error(), "lines": lines})
	}
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"created": created, "updated": updated})
}

func (s *Server) agencyID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "no such agency")
	}
	return id, nil
}

type resultJSON struct {
	Campaign  string            `json:"campaign"`
	Status    string            `json:"status"`
	Reason    string            `json:"reason"`
	Fix       string            `json:"fix,omitempty"`
	Forms     []compliance.Form `json:"forms,omitempty"`
	HTTP      int               `json:"http_status,omitempty"`
	CheckedAt time.Time         `json:"checked_at"`
}

func resultView(r compliance.Result) resultJSON {
	return resultJSON{r.Campaign, r.Status, r.Reason, r.Fix, r.Forms, r.HTTP, r.CheckedAt}
}

func (s *Server) apiAgency(c echo.Context) error {
	id, err := s.agencyID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.store.Agency(ctx, id)
	if err != nil {
		return err
	}
	rs, err := s.store.AgencyResults(ctx, id, 100)
	if err != nil {
		return err
	}
	out := make([]resultJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, resultView(r))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"agency": agencyView(a), "checks": out})
}

// report builds the report for the campaign in ?campaign= (default: the
// first campaign).
func (s *Server) report(c echo.Context) (compliance.Report, error) {
	ctx := c.Request().Context()
	slug := c.QueryParam("campaign")
	if slug == "" {
		if list := s.campaigns.List(); len(list) > 0 {
			slug = list[0].Slug
		}
	}
	if _, ok := s.campaigns.Get(slug); !ok {
		return compliance.Report{}, apperr.NotFoundf("no campaign %q", slug)
	}
	as, err := s.store.Agencies(ctx)
	if err != nil {
		return compliance.Report{}, err
	}
	latest, err := s.store.LatestResults(ctx)
	if err != nil {
		return compliance.Report{}, err
	}
	now := s.now()
	counts, err := s.store.Counts(ctx, compliance.Day(now.AddDate(0, 0, -29)))
	if err != nil {
		return compliance.Report{}, err
	}
	return compliance.BuildReport(slug, as, latest, counts, now), nil
}

func reportFilter(c echo.Context) (compliance.Kind, string, error) {
	kind, status := compliance.Kind(c.QueryParam("kind")), c.QueryParam("status")
	ok := kind == ""
	for _, k := range compliance.Kinds {
		ok = ok || k == kind
	}
	if !ok {
		return "", "", apperr.Invalidf("kind must be one of department, unit, district, commune, other")
	}
	switch status {
	case "", "compliant", "noncompliant", "unchecked", compliance.Embedded, compliance.Missing, compliance.Blocked, compliance.Unreachable, compliance.HTTPError:
	default:
		return "", "", apperr.Invalidf("status must be one of compliant, noncompliant, unchecked, embedded, missing, blocked, unreachable, http_error")
	}
	return kind, status, nil
}

type reportRowJSON struct {
	agencyJSON
	Status        string    `json:"status"`
	Reason        string    `json:"reason,omitempty"`
	Fix           string    `json:"fix,omitempty"`
	CheckedAt     time.Time `json:"checked_at,omitzero"`
	LastSeen      string    `json:"last_seen,omitempty"`
	Impressions7  int64     `json:"impressions_7d"`
	Impressions30 int64     `json:"impressions_30d"`
	Clicks7       int64     `json:"clicks_7d"`
	Clicks30      int64     `json:"clicks_30d"`
	Compliant     bool      `json:"compliant"`
}

// apiReport serves the compliance report as JSON or (format=csv) CSV.
func (s *Server) apiReport(c echo.Context) error {
	kind, status, err := reportFilter(c)
	if err != nil {
		return err
	}
	rep, err := s.report(c)
	if err != nil {
		return err
	}
	rows := rep.Filter(kind, status)
	if c.QueryParam("format") == "csv" {
		out := make([][]string, 0, len(rows))
		for _, r := range rows {
			checked := ""
			if !r.CheckedAt.IsZero() {
				checked = r.CheckedAt.Format(time.RFC3339)
			}
			out = append(out, []string{r.Name, string(r.Kind), r.Homepage, strconv.FormatBool(r.Compliant), r.Status, r.Reason, r.Fix, checked, r.LastSeen,
				strconv.FormatInt(r.Impressions[0], 10), strconv.FormatInt(r.Impressions[1], 10), strconv.FormatInt(r.Clicks[0], 10), strconv.FormatInt(r.Clicks[1], 10)})
		}
		return s.csvFile(c, "compliance-"+rep.Campaign+".csv", []string{"agency", "kind", "homepage", "compliant", "status", "reason", "fix", "checked_at", "last_seen",
			"impressions_7d", "impressions_30d", "clicks_7d", "clicks_30d"}, out)
	}
	out := make([]reportRowJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, reportRowJSON{agencyView(r.Agency), r.Status, r.Reason, r.Fix, r.CheckedAt, r.LastSeen,
			r.Impressions[0], r.Impressions[1], r.Clicks[0], r.Clicks[1], r.Compliant})
	}
	unmatched := make([]map[string]any, 0, len(rep.Unmatched))
	for _, u := range rep.Unmatched {
		unmatched = append(unmatched, map[string]any{"site": u.Site, "impressions_30d": u.Impressions, "clicks_30d": u.Clicks, "last_seen": u.LastSeen})
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"campaign": rep.Campaign, "compliant": rep.Compliant, "agencies": len(rep.Rows),
		"rows": out, "unmatched_sites": unmatched})
}

// apiRunCheck starts a check of the whole register in the background and
// answers 202; one runs at a time.
func (s *Server) apiRunCheck(c echo.Context) error {
	if err := s.startCheck(); err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusAccepted, map[string]any{"started": true})
}

func (s *Server) startCheck() error {
	if s.cfg.Checks == nil {
		return apperr.Unavailablef(nil, "checks are not configured on this server")
	}
	if running, _ := s.cfg.Checks.Running(); running {
		return compliance.ErrRunning
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		if _, err := s.cfg.Checks.Run(ctx); err != nil && !errors.Is(err, compliance.ErrRunning) {
			s.log.Warn("check of the register", "err", err)
		}
	}()
	return nil
}
