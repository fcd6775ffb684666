package server

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/static"
)

var indexTmpl = template.Must(template.ParseFS(static.FS, "index.html"))

// pageText is a page's wording in one language.
type pageText struct {
	Lang, Other, OtherName                  string
	Heading, Lead, Caption, Target, Version string
	Images, Snippet, Empty                  string
}

// texts holds the pages' wording; Vietnamese is the default.
var texts = map[string]pageText{
	"vi": {
		Lang: "vi", Other: "en", OtherName: "English",
		Heading: "Mã QR Zalo OA cho cổng thông tin",
		Lead:    "Mỗi chiến dịch là một mã QR dẫn tới Zalo Official Account. Dán đoạn mã bên dưới vào trang chủ cổng thông tin điện tử; khi quản trị viên đổi đường dẫn, mọi trang sẽ hiển thị mã mới.",
		Caption: "Chú thích", Target: "Đích", Version: "phiên bản", Images: "Ảnh",
		Snippet: "Đoạn mã HTML (không cần JavaScript)", Empty: "Chưa có chiến dịch nào.",
	},
	"en": {
		Lang: "en", Other: "vi", OtherName: "Tiếng Việt",
		Heading: "Zalo OA QR badges for agency portals",
		Lead:    "Each campaign is a QR code that leads to a Zalo Official Account. Paste the snippet below into the portal's homepage; when an admin changes the link, every portal shows the new code.",
		Caption: "Caption", Target: "Target", Version: "version", Images: "Images",
		Snippet: "HTML snippet (no JavaScript needed)", Empty: "No campaigns yet.",
	},
}

type indexCampaign struct {
	Slug, Title, Caption, Target, Link string
	SVG, PNG, JSON, Snippet            string
	Version                            int64
}

// index serves the landing page: every campaign with its live badge and
// the script-free snippet to paste.
func (s *Server) index(c echo.Context) error {
	t, ok := texts[c.QueryParam("lang")]
	if !ok {
		t = texts["vi"]
	}
	v := badge.DefaultVariant(badge.SVG)
	w, h := v.Dimensions()
	data := struct {
		T             pageText
		Campaigns     []indexCampaign
		Width, Height int
	}{T: t, Width: w, Height: h}
	base := s.cfg.PublicURL
	for _, x := range s.campaigns.List() {
		ic := indexCampaign{
			Slug: x.Slug, Title: x.Title, Caption: x.Caption, Target: x.Target, Version: x.Version,
			Link: base + "/go/" + x.Slug, SVG: base + "/b/" + x.Slug + ".svg", PNG: base + "/b/" + x.Slug + ".png",
			JSON: base + "/api/v1/campaigns/" + x.Slug,
		}
		ic.Snippet = imgSnippet(base, x.Slug, x.Caption, v)
		data.Campaigns = append(data.Campaigns, ic)
	}
	var b bytes.Buffer
	if err := indexTmpl.Execute(&b, data); err != nil {
		return err
	}
	setPageHeaders(c)
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// imgSnippet is the script-free embed: a link around an image whose width
// and height reserve its box, so the page does not shift when it loads.
func imgSnippet(base, slug, caption string, v badge.Variant) string {
	w, h := v.Dimensions()
	var b strings.Builder
	b.WriteString(`<a href="` + template.HTMLEscapeString(base+"/go/"+slug) + `" target="_blank" rel="noopener noreferrer">`)
	b.WriteString(`<img src="` + template.HTMLEscapeString(base+"/b/"+slug+".svg?size=") + itoa(v.Size) + `" `)
	b.WriteString(`width="` + itoa(w) + `" height="` + itoa(h) + `" alt="` + template.HTMLEscapeString(caption) + `"></a>`)
	return b.String()
}

func setPageHeaders(c echo.Context) {
	h := c.Response().Header()
	h["Content-Security-Policy"] = valPageCSP
	h["X-Frame-Options"] = valFrameDeny
	h["Referrer-Policy"] = valRefPolicy
	h["Cache-Control"] = valNoCache
}

// staticFile serves the embedded stylesheet.
func (s *Server) staticFile(c echo.Context) error {
	name := c.Param("*")
	if !strings.HasSuffix(name, ".css") || strings.Contains(name, "/") {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	b, err := static.FS.ReadFile(name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	c.Response().Header()["Cache-Control"] = []string{"public, max-age=3600"}
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", b)
}
