package server

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/compliance"
)

// maxImport bounds an uploaded register file (the body limit of other
// routes is smaller).
const maxImport = 4 << 20

func (s *Server) complianceRoutes() {
	const p = "/api/v1/admin"
	s.handle(http.MethodGet, p+"/agencies", s.signedIn(s.apiAgencies))
	s.handle(http.MethodPost, p+"/agencies", s.signedIn(s.apiImportAgencies))
	s.handle(http.MethodGet, p+"/agencies/:id", s.signedIn(s.apiAgency))
	s.handle(http.MethodGet, p+"/report", s.signedIn(s.apiReport))
	s.handle(http.MethodGet, p+"/report/followup", s.signedIn(s.apiFollowUp))
	s.handle(http.MethodGet, p+"/report/history", s.signedIn(s.apiReportHistory))
	s.handle(http.MethodPost, p+"/checks", s.signedIn(s.apiRunCheck))
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
	format, err := formatParam(c)
	if err != nil {
		return err
	}
	as, err := s.compliance.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	if format == "csv" {
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

// formatParam reads ?format=json|csv.
func formatParam(c echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "json":
		return "json", nil
	case "csv":
		return f, nil
	}
	return "", apperr.BadRequestf("format must be json or csv")
}

func (s *Server) csvFile(c echo.Context, name string, header []string, rows [][]string) error {
	w := s.csvStream(c, name, header)
	for _, r := range rows {
		w.Write(r)
	}
	return w.Close()
}

// csvStream starts a CSV download named name with header, for rows
// written one at a time (compliance.CSVWriter): memory stays bounded
// however many there are.
func (s *Server) csvStream(c echo.Context, name string, header []string) *compliance.CSVWriter {
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h["Cache-Control"] = valNoStore
	c.Response().WriteHeader(http.StatusOK)
	return compliance.NewCSVWriter(c.Response(), header)
}

// apiImportAgencies takes the CSV as the request body (text/csv). A file
// with bad lines answers 422 naming each line in the error's details.
func (s *Server) apiImportAgencies(c echo.Context) error {
	created, updated, err := s.compliance.Import(c.Request().Context(), c.Request().Body, caller(c))
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"created": created, "updated": updated})
}

// agencyID reads the :id of an agency route.
func agencyID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.NotFoundf("no such agency")
	}
	return id, nil
}

type resultJSON struct {
	Campaign   string                   `json:"campaign"`
	Status     string                   `json:"status"`
	Reason     string                   `json:"reason"`
	Fix        string                   `json:"fix,omitempty"`
	FixWhere   string                   `json:"fix_where,omitempty"`
	Boxes      []compliance.NukeVietBox `json:"nukeviet_boxes,omitempty"`
	Forms      []compliance.Form        `json:"forms,omitempty"`
	Findings   []compliance.Finding     `json:"findings,omitempty"`
	CMS        compliance.CMS           `json:"cms,omitempty"`
	HTTP       int                      `json:"http_status,omitempty"`
	Rendered   bool                     `json:"rendered,omitempty"`
	Screenshot string                   `json:"screenshot,omitempty"`
	CheckedAt  time.Time                `json:"checked_at"`
}

func resultView(r compliance.Result) resultJSON {
	return resultJSON{r.Campaign, r.Status, r.Reason, r.Fix, r.FixWhere, r.Boxes, r.Forms, r.Findings, r.CMS, r.HTTP, r.Rendered, r.Screenshot, r.CheckedAt}
}

// agencyChecks is how many of an agency's checks its page shows.
const agencyChecks = 100

func (s *Server) apiAgency(c echo.Context) error {
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	a, rs, err := s.compliance.Agency(c.Request().Context(), id, agencyChecks)
	if err != nil {
		return err
	}
	out := make([]resultJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, resultView(r))
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"agency": agencyView(a), "checks": out})
}

// Report pages: rows per page when the query names none, and at most.
const (
	reportPerPage    = 100
	maxReportPerPage = 1000
)

// pageInfo is one page of a list: its number (from 1), its size, how many
// pages and items there are in all.
type pageInfo struct {
	Page, PerPage, Pages, Total int
}

// pageParams reads ?page= and ?per_page=.
func pageParams(c echo.Context) (pageInfo, error) {
	p := pageInfo{Page: 1, PerPage: reportPerPage}
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, apperr.BadRequestf("page must be a whole number from 1")
		}
		p.Page = n
	}
	if v := c.QueryParam("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxReportPerPage {
			return p, apperr.BadRequestf("per_page must be between 1 and %d", maxReportPerPage)
		}
		p.PerPage = n
	}
	return p, nil
}

// paginate returns the items of page p of rows, and p with its totals.
// A page past the end is empty.
func paginate(rows []compliance.Row, p pageInfo) ([]compliance.Row, pageInfo) {
	p.Total = len(rows)
	p.Pages = max(1, (p.Total+p.PerPage-1)/p.PerPage)
	start := min((p.Page-1)*p.PerPage, p.Total)
	return rows[start:min(start+p.PerPage, p.Total)], p
}

// reportFilter reads the report's filters from the query.
func reportFilter(c echo.Context) compliance.ReportFilter {
	return compliance.ReportFilter{Campaign: c.QueryParam("campaign"), Kind: compliance.Kind(c.QueryParam("kind")), Status: c.QueryParam("status")}
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

// apiReport serves the compliance report as JSON, one page of rows at a
// time (page, per_page), or (format=csv) every row as CSV, written as it
// goes. Unmatched sites are the busiest few, with their total.
func (s *Server) apiReport(c echo.Context) error {
	format, err := formatParam(c)
	if err != nil {
		return err
	}
	page, err := pageParams(c)
	if err != nil {
		return err
	}
	rep, rows, err := s.compliance.Report(c.Request().Context(), reportFilter(c))
	if err != nil {
		return err
	}
	if format == "csv" {
		w := s.csvStream(c, "compliance-"+rep.Campaign+".csv", []string{"agency", "kind", "homepage", "compliant", "status", "reason", "fix", "checked_at", "last_seen",
			"impressions_7d", "impressions_30d", "clicks_7d", "clicks_30d"})
		for _, r := range rows {
			checked := ""
			if !r.CheckedAt.IsZero() {
				checked = r.CheckedAt.Format(time.RFC3339)
			}
			w.Write([]string{r.Name, string(r.Kind), r.Homepage, strconv.FormatBool(r.Compliant), r.Status, r.Reason, r.Fix, checked, r.LastSeen,
				strconv.FormatInt(r.Impressions[0], 10), strconv.FormatInt(r.Impressions[1], 10), strconv.FormatInt(r.Clicks[0], 10), strconv.FormatInt(r.Clicks[1], 10)})
		}
		return w.Close()
	}
	rows, page = paginate(rows, page)
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
		"rows": out, "page": page.Page, "per_page": page.PerPage, "pages": page.Pages, "total_rows": page.Total,
		"unmatched_sites": unmatched, "unmatched_total": rep.UnmatchedTotal})
}

// apiRunCheck starts a check of the whole register in the background and
// answers 202; one runs at a time.
func (s *Server) apiRunCheck(c echo.Context) error {
	if err := s.compliance.StartCheck(caller(c)); err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusAccepted, map[string]any{"started": true})
}

// apiFollowUp serves the agencies still not compliant, for the dispatch
// that reminds them (?campaign=, ?kind=): as JSON, a page at a time, or
// every row as CSV (format=csv, formulas defused) or an Excel workbook
// (format=xlsx, every cell text).
func (s *Server) apiFollowUp(c echo.Context) error {
	format := c.QueryParam("format")
	switch format {
	case "":
		format = "json"
	case "json", "csv", "xlsx":
	default:
		return apperr.BadRequestf("format must be json, csv or xlsx")
	}
	page, err := pageParams(c)
	if err != nil {
		return err
	}
	kind := compliance.Kind(c.QueryParam("kind"))
	rep, rows, err := s.compliance.FollowUp(c.Request().Context(), c.QueryParam("campaign"), kind)
	if err != nil {
		return err
	}
	name := "followup-" + rep.Campaign
	if kind != "" {
		name += "-" + string(kind)
	}
	switch format {
	case "csv":
		w := s.csvStream(c, name+".csv", compliance.FollowUpHeader)
		for _, r := range rows {
			w.Write(compliance.FollowUpRecord(r))
		}
		return w.Close()
	case "xlsx":
		records := make([][]string, len(rows))
		for i, r := range rows {
			records[i] = compliance.FollowUpRecord(r)
		}
		var b bytes.Buffer
		if err := compliance.WriteXLSX(&b, "followup", compliance.FollowUpHeader, records); err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		h["Cache-Control"] = valNoStore
		return c.Blob(http.StatusOK, xlsxType, b.Bytes())
	}
	rows, page = paginate(rows, page)
	out := make([]followUpJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, followUpJSON{agencyView(r.Agency), r.CheckStatus(), r.Reason, r.Fix, r.CheckedAt, r.LastSeen})
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"campaign": rep.Campaign, "kind": kind, "rows": out,
		"page": page.Page, "per_page": page.PerPage, "pages": page.Pages, "total_rows": page.Total})
}

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

type followUpJSON struct {
	agencyJSON
	Status    string    `json:"status"` // "unchecked" when never checked
	Reason    string    `json:"reason,omitempty"`
	Fix       string    `json:"fix"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	LastSeen  string    `json:"last_seen,omitempty"`
}

// historyFilter reads ?campaign=, ?kind= and ?days= (1 to
// compliance.MaxHistoryDays; none for the default).
func historyFilter(c echo.Context) (compliance.HistoryFilter, error) {
	f := compliance.HistoryFilter{Campaign: c.QueryParam("campaign"), Kind: compliance.Kind(c.QueryParam("kind"))}
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > compliance.MaxHistoryDays {
			return f, apperr.BadRequestf("days must be a whole number from 1 to %d", compliance.MaxHistoryDays)
		}
		f.Days = n
	}
	return f, nil
}

type historyDayJSON struct {
	Day         string `json:"day"`
	Compliant   int    `json:"compliant"`
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
}

// apiReportHistory serves how many agencies were compliant on each of the last
// days, with the campaign's impressions and clicks each day.
func (s *Server) apiReportHistory(c echo.Context) error {
	f, err := historyFilter(c)
	if err != nil {
		return err
	}
	h, err := s.compliance.History(c.Request().Context(), f)
	if err != nil {
		return err
	}
	days := make([]historyDayJSON, len(h.Days))
	for i, d := range h.Days {
		days[i] = historyDayJSON(d)
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"campaign": h.Campaign, "kind": h.Kind, "agencies": h.Agencies, "days": days})
}
