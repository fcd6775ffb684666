package server

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/poster"
)

// MaxAgencyLine bounds a poster's agency line.
const MaxAgencyLine = 200

// poster serves GET /p/{slug}.pdf?form=poster|tent|stickers&paper=a4|a5|a6&agency=…&bleed=1&placement=….
// agency is an agency id from the register or free text; tents and
// sticker sheets print on A4.
func (s *Server) poster(c echo.Context) error {
	slug, ok := strings.CutSuffix(c.Param("file"), ".pdf")
	if !ok {
		return apperr.NotFoundf("poster path must be /p/SLUG.pdf")
	}
	x, err := s.campaigns.Served(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	form := poster.FormPoster
	if v := q.Get("form"); v != "" {
		if form, ok = poster.ParseForm(v); !ok {
			return apperr.BadRequestf("form must be one of poster, tent, stickers")
		}
	}
	paper, ok := poster.Papers[strings.ToLower(q.Get("paper"))]
	if q.Get("paper") == "" {
		paper, ok = poster.Papers["a4"], true
	}
	if !ok {
		return apperr.BadRequestf("paper must be one of a4, a5, a6")
	}
	if form != poster.FormPoster && paper.Name != "a4" {
		return apperr.BadRequestf("%s prints on A4 only", form)
	}
	bleed := false
	switch q.Get("bleed") {
	case "", "0", "false":
	case "1", "true":
		bleed = true
	default:
		return apperr.BadRequestf("bleed must be 1 or 0")
	}
	agency, err := s.agencyLine(c, q.Get("agency"))
	if err != nil {
		return err
	}
	cs, err := s.campaigns.PrintContents(c.Request().Context(), x, form, agency, q.Get("placement"))
	if err != nil {
		return err
	}
	body, err := poster.Render(cs, poster.Options{Form: form, Paper: paper, Bleed: bleed})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Cache-Control"] = valPosterCache
	s.setSurrogate(h, x.Slug)
	h["Content-Security-Policy"] = valImageCSP
	name := x.Slug + "-" + paper.Name
	if form != poster.FormPoster {
		name = x.Slug + "-" + form.String()
	}
	h.Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", body)
}

// valPosterCache lets a poster be kept a few minutes: it is rendered per
// request, and its campaign's surrogate key drops it from purged caches.
var valPosterCache = []string{"public, max-age=300"}

// agencyLine turns ?agency= into the line printed: the name of a register
// agency given by id, or the free text itself.
func (s *Server) agencyLine(c echo.Context, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		a, _, err := s.compliance.Agency(c.Request().Context(), id, 0)
		if err != nil {
			return "", err
		}
		return a.Name, nil
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxAgencyLine {
		return "", apperr.BadRequestf("agency must be a register id or a line of at most %d characters", MaxAgencyLine)
	}
	return badge.CleanText(v), nil
}

// countPlacement counts a scan that carries a valid placement code.
func (s *Server) countPlacement(c echo.Context, slug string) bool {
	p := c.QueryParam("p")
	if p == "" || !campaign.PlacementCode(p) {
		return false
	}
	s.counter.AddPlacement(slug, p)
	return true
}
