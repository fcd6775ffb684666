package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/compress"
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
	// Emblem is the campaign's emblem as a PNG (the sanitised raster,
	// never the file uploaded); omitted when it has none.
	Emblem string `json:"emblem,omitempty"`
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
			SVG: base + "/b/" + c.Slug + ".svg", PNG: base + "/b/" + c.Slug + ".png", Emblem: s.emblemURL(c.Emblem),
			Sizes: sizes, Themes: strings.Split(badge.ThemeList, ", "),
		},
	}
}

// emblemURL is where emblem id is served, or "" for none. The path names
// the bytes (the id is their hash), so it is cached for good.
func (s *Server) emblemURL(id string) string {
	if id == "" {
		return ""
	}
	return s.cfg.PublicURL + "/emblems/" + id + ".png"
}

// jsonDocument is v as the JSON document a public API call answers.
func jsonDocument(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeDocument answers a public JSON document, made and compressed once
// per campaign version (see campaign.Entry.Document), in the coding the
// client accepts, with that coding's strong ETag, honouring If-None-Match.
// Campaign JSON must follow a rotation at once, so browsers revalidate
// every time and get a cheap 304 while nothing changed; a campaign's own
// document names it as a surrogate key, for purged shared caches (see
// cacheControls). The list, which every change alters, is never kept.
func (s *Server) writeDocument(c echo.Context, doc *compress.Set, slug string) error {
	r := c.Request()
	b := doc.For(r.Header["Accept-Encoding"])
	h := c.Response().Header()
	h["Content-Type"] = valJSONType
	if slug == "" {
		h["Cache-Control"] = valNoCache // the list: every campaign's change
	} else {
		h["Cache-Control"] = s.docCacheControl
		s.setSurrogate(h, slug)
	}
	h["Access-Control-Allow-Origin"] = valAnyOrigin
	h["Vary"] = valVaryEncoding
	h["Etag"] = b.ETagValues()
	if enc := b.EncodingValues(); enc != nil {
		h["Content-Encoding"] = enc
	}
	if etagMatch(r.Header["If-None-Match"], b.ETag()) {
		return c.NoContent(http.StatusNotModified)
	}
	h["Content-Length"] = b.LengthValues()
	c.Response().WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := c.Response().Write(b.Bytes)
	return err
}

// listCampaigns serves GET /api/v1/campaigns.
func (s *Server) listCampaigns(c echo.Context) error {
	doc, err := s.campaigns.ListDocument(func(list []campaign.Campaign) ([]byte, error) {
		out := struct {
			Campaigns []campaignJSON `json:"campaigns"`
		}{Campaigns: make([]campaignJSON, 0, len(list))}
		for _, x := range list {
			out.Campaigns = append(out.Campaigns, s.campaignView(x))
		}
		return jsonDocument(out)
	})
	if err != nil {
		return err
	}
	return s.writeDocument(c, doc, "")
}

// getCampaign serves GET /api/v1/campaigns/{slug}.
func (s *Server) getCampaign(c echo.Context) error {
	e, err := s.campaigns.Lookup(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	doc, err := e.Document(func(x campaign.Campaign) ([]byte, error) { return jsonDocument(s.campaignView(x)) })
	if err != nil {
		return err
	}
	return s.writeDocument(c, doc, e.Slug())
}

// emblemFile serves GET /emblems/{id}.png: the emblem of a served
// campaign, as the sanitised PNG, with the headers of a badge image. An
// emblem that is only proposed is not served here.
func (s *Server) emblemFile(c echo.Context) error {
	id, ok := strings.CutSuffix(c.Param("file"), ".png")
	if !ok {
		return errNoEmblemFile
	}
	a, err := s.campaigns.EmblemPNG(id)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Content-Type"] = valPNGType
	h["Content-Security-Policy"] = valImageCSP
	h["Cross-Origin-Resource-Policy"] = valCORP
	h["Access-Control-Allow-Origin"] = valAnyOrigin
	h["Cache-Control"] = valForever // the path names the bytes
	h["Etag"] = a.ETagValues()
	if etagMatch(c.Request().Header["If-None-Match"], a.ETag()) {
		return c.NoContent(http.StatusNotModified)
	}
	h["Content-Length"] = a.LengthValues()
	return c.Blob(http.StatusOK, valPNGType[0], a.Body)
}

var errNoEmblemFile = apperr.NotFoundf("emblem path must be /emblems/ID.png")

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
