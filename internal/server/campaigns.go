package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
)

// campaignJSON is the public view of a campaign.
type campaignJSON struct {
	Slug      string     `json:"slug"`
	Title     string     `json:"title"`
	Caption   string     `json:"caption"`
	Target    string     `json:"target"`
	Version   int64      `json:"version"`
	QRMode    string     `json:"qr_mode"`
	QRContent string     `json:"qr_content"`
	UpdatedAt time.Time  `json:"updated_at"`
	Link      string     `json:"link"`
	Look      lookJSON   `json:"look"`
	Images    imagesJSON `json:"images"`
}

type imagesJSON struct {
	SVG string `json:"svg"`
	PNG string `json:"png"`
	// Sizes lists each layout's box, in CSS pixels, at every allowed width,
	// so a client can reserve the space before the image loads.
	Sizes  map[string][]boxJSON `json:"sizes"`
	Themes []string             `json:"themes"`
}

type boxJSON struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

func (s *Server) campaignView(c campaign.Campaign) campaignJSON {
	base := s.cfg.PublicURL
	sizes := map[string][]boxJSON{}
	for _, l := range []badge.Layout{badge.LayoutBadge, badge.LayoutQR, badge.LayoutCard} {
		for _, size := range badge.Sizes {
			v := badge.Variant{Format: badge.SVG, Layout: l, Size: size, Density: 1}
			if v.Validate() != nil {
				continue
			}
			w, h := v.Dimensions()
			sizes[l.String()] = append(sizes[l.String()], boxJSON{w, h})
		}
	}
	return campaignJSON{
		Slug: c.Slug, Title: c.Title, Caption: c.Caption, Target: c.Target, Version: c.Version,
		QRMode: string(c.QRMode), QRContent: s.campaigns.QRContent(c), UpdatedAt: c.UpdatedAt,
		Link: base + "/go/" + c.Slug,
		Look: lookJSON{Theme: orDefault(c.Theme, "light"), Layout: orDefault(c.Layout, "badge")},
		Images: imagesJSON{
			SVG: base + "/b/" + c.Slug + ".svg", PNG: base + "/b/" + c.Slug + ".png",
		},
	}
}

// writeJSON answers v as JSON with a strong ETag, honouring If-None-Match.
// Campaign JSON must follow a rotation at once, so caches revalidate every
// time (no-cache) and get a cheap 304 while nothing changed.
func (s *Server) writeJSON(c echo.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := c.Response().Header()
	h["Content-Type"] = valJSONType
	h["Cache-Control"] = valNoCache
	h["Access-Control-Allow-Origin"] = valAnyOrigin
	h.Set("Etag", etag)
	if etagMatch(c.Request().Header["If-None-Match"], etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, valJSONType[0], append(body, '\n'))
}

// listCampaigns serves GET /api/v1/campaigns.
func (s *Server) listCampaigns(c echo.Context) error {
	list := s.campaigns.List()
	out := struct {
		Campaigns []campaignJSON `json:"campaigns"`
	}{Campaigns: make([]campaignJSON, 0, len(list))}
	for _, x := range list {
		out.Campaigns = append(out.Campaigns, s.campaignView(x))
	}
	return s.writeJSON(c, out)
}

// getCampaign serves GET /api/v1/campaigns/{slug}.
func (s *Server) getCampaign(c echo.Context) error {
	x, err := s.campaigns.Served(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return s.writeJSON(c, s.campaignView(x))
}

// redirect serves /go/{slug} and /s/{slug}: a 302 to the campaign's stored
// target and nowhere else, so it can never be used as an open redirect.
// It is not cacheable, so a rotation applies to the very next click.
func (s *Server) redirect(c echo.Context) error {
	x, err := s.campaigns.Served(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	switch {
	case !strings.HasPrefix(c.Path(), "/s/"):
		s.count(c, compliance.Click, x.Slug)
	case !s.countPlacement(c, x.Slug):
		s.count(c, compliance.Scan, x.Slug)
	}
	h := c.Response().Header()
	h["Cache-Control"] = valNoStore
	h["Referrer-Policy"] = valRefPolicy
	return c.Redirect(http.StatusFound, x.Target)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
