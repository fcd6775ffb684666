package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/static"
)

var (
	indexTmpl = template.Must(template.ParseFS(static.FS, "index.html"))
	frameTmpl = template.Must(template.ParseFS(static.FS, "frame.html"))
)

// pageQuery is what the webmaster page was asked for.
type pageQuery struct {
	lang, slug, theme, cms, align string
	v                             badge.Variant
	policy, cspForm               string // the CSP merge form
}

// maxPolicy bounds the policy pasted into the page's CSP form, which
// travels in the URL: its request must stay under the server's 16 KiB
// header limit.
const maxPolicy = 8 << 10

// parsePageQuery reads the page's controls. Unknown values are refused; a
// size the layout does not offer becomes the nearest one it does, since
// the controls change one value at a time and the page must not fail
// between two changes.
func parsePageQuery(q url.Values) (pageQuery, string) {
	p := pageQuery{lang: q.Get("lang"), slug: q.Get("c"), theme: "light", cms: q.Get("cms"), v: badge.DefaultVariant(badge.SVG)}
	if _, ok := texts[p.lang]; !ok {
		p.lang = "vi"
	}
	if _, ok := cmsGuides[p.cms]; !ok {
		p.cms = "other"
	}
	var ok bool
	if s := q.Get("layout"); s != "" {
		if p.v.Layout, ok = badge.ParseLayout(s); !ok {
			return p, msgLayout
		}
	}
	offered := badge.OfferedSizes(p.v.Layout)
	p.v.Size = offered[0]
	if p.v.Layout == badge.LayoutBadge || p.v.Layout == badge.LayoutQR {
		if slices.Contains(offered, 192) {
			p.v.Size = 192
		}
	}
	if s := q.Get("size"); s != "" {
		n, ok := badge.ParseSize(s)
		if !ok {
			return p, msgSize
		}
		p.v.Size = nearest(offered, n)
	}
	if s := q.Get("theme"); s != "" {
		if _, ok := badge.ParseTheme(s); !ok && s != "auto" {
			return p, msgTheme + ", auto"
		}
		p.theme = s
	}
	p.align = q.Get("align")
	if !slices.Contains(aligns, p.align) {
		return p, "align must be one of start, center, end"
	}
	p.policy = q.Get("policy")
	if len(p.policy) > maxPolicy {
		return p, "the policy is longer than " + strconv.Itoa(maxPolicy) + " bytes"
	}
	p.cspForm = q.Get("form")
	if _, ok := cspNeeds[p.cspForm]; !ok {
		p.cspForm = cmsGuides[p.cms].order[0]
	}
	return p, ""
}

// nearest returns the smallest of sizes at least n, else the largest.
func nearest(sizes []int, n int) int {
	for _, s := range sizes {
		if s >= n {
			return s
		}
	}
	return sizes[len(sizes)-1]
}

type option struct {
	Value, Label string
	Selected     bool
}

// snippetView is one form of the snippet as the page shows it.
type snippetView struct {
	ID, Form, Title, Help, Code string
	Steps                       []string
	Recommended                 bool
}

type downloads struct{ SVG, PNG, PNG2x, Print string }

// cspView is the CSP section: which directives each form needs, the
// portal's steps, and the merged policy when one was pasted.
type cspView struct {
	Origin, Policy, Merged string
	Asked                  bool
	Forms                  []option
	Needs                  []string // one line per form
	Steps                  []string
}

// index serves the webmaster page: pick the CMS, a campaign, layout, size,
// theme and alignment, see the badge, copy the snippet that survives the
// CMS, with its steps, and the CSP lines the portal needs.
func (s *Server) index(c echo.Context) error {
	p, msg := parsePageQuery(c.QueryParams())
	if msg != "" {
		return apperr.BadRequestf("%s", msg)
	}
	t := texts[p.lang]
	list := s.campaigns.List()
	data := struct {
		T            pageText
		Campaigns    []campaign.Campaign
		Sel          campaign.Campaign
		ReadableURL  string
		CMSs         []option
		Layouts      []option
		Sizes        []option
		Themes       []option
		Aligns       []option
		Link         string
		ImageURL     string
		Width        int
		Height       int
		Downloads    downloads
		CMSName      string
		Snippets     []snippetView
		CSP          cspView
		Follow       string
		Hidden       map[string]string
		OtherLangURL string
	}{T: t, Campaigns: list}

	other := c.QueryParams()
	other.Set("lang", t.Other)
	data.OtherLangURL = "/?" + other.Encode()
	for _, k := range cmsOrder {
		data.CMSs = append(data.CMSs, option{k, t.CMSNames[k], k == p.cms})
	}
	data.Follow = strings.ReplaceAll(t.Follow, "{N}", strconv.Itoa(s.followMinutes()))
	if len(list) > 0 {
		data.Sel = list[0]
		if p.slug != "" {
			sel, err := s.campaigns.Served(c.Request().Context(), p.slug)
			if err != nil {
				return err
			}
			data.Sel = sel
		}
		data.ReadableURL = badge.ReadableURL(data.Sel.Target)
		for _, l := range []badge.Layout{badge.LayoutBadge, badge.LayoutQR, badge.LayoutCard} {
			data.Layouts = append(data.Layouts, option{l.String(), t.LayoutNames[l.String()], l == p.v.Layout})
		}
		for _, size := range badge.OfferedSizes(p.v.Layout) {
			data.Sizes = append(data.Sizes, option{strconv.Itoa(size), strconv.Itoa(size) + " px", size == p.v.Size})
		}
		for _, th := range []string{"light", "dark", "mono", "auto"} {
			data.Themes = append(data.Themes, option{th, t.ThemeNames[th], th == p.theme})
		}
		for _, a := range aligns {
			data.Aligns = append(data.Aligns, option{a, t.AlignNames[a], a == p.align})
		}
		sn := snippet{base: s.cfg.PublicURL, slug: data.Sel.Slug, label: data.Sel.Caption, v: p.v, theme: p.theme, align: p.align}
		data.Link = sn.link()
		data.ImageURL = sn.imageURL()
		data.Width, data.Height = p.v.Dimensions()
		img := s.cfg.PublicURL + "/b/" + data.Sel.Slug
		pngQuery := canonicalQuery(p.v, sn.fileTheme())
		data.Downloads = downloads{
			SVG:   sn.imageURL(),
			PNG:   img + ".png?" + pngQuery,
			PNG2x: img + ".png?" + pngQuery + "&dpr=2",
			Print: img + ".png?" + canonicalQuery(badge.Variant{Layout: p.v.Layout, Size: badge.PrintSize}, "mono"),
		}
		s.embeds.offer(c.Request().Context()) // a no-op once every release is stored
		o := origin(s.cfg.PublicURL)
		fill := strings.NewReplacer("{ORIGIN}", o, "{HOST}", hostOf(o))
		subst := func(lines []string) []string {
			out := make([]string, len(lines))
			for i, l := range lines {
				out[i] = fill.Replace(l)
			}
			return out
		}
		t.CSPLead = fill.Replace(t.CSPLead)
		data.T = t
		guide := cmsGuides[p.cms]
		data.CMSName = t.CMSNames[p.cms]
		for i, form := range guide.order {
			f := t.Forms[form]
			data.Snippets = append(data.Snippets, snippetView{
				ID: "snippet-" + form, Form: form, Title: strconv.Itoa(i+1) + ". " + f.Title, Help: f.Help,
				Code: sn.code(form, s.embeds.newest), Steps: subst(t.Steps[p.cms+"/"+form]), Recommended: i == 0,
			})
		}
		data.CSP = cspView{Origin: o, Policy: p.policy, Asked: p.policy != "", Steps: subst(t.Steps[p.cms+"/csp"])}
		for _, form := range guide.order {
			data.CSP.Forms = append(data.CSP.Forms, option{form, t.Forms[form].Title, form == p.cspForm})
			data.CSP.Needs = append(data.CSP.Needs, t.Forms[form].Title+": "+strings.Join(cspNeeds[form], ", "))
		}
		if data.CSP.Asked {
			form, err := compliance.ParseForm(p.cspForm)
			if err == nil {
				data.CSP.Merged, err = compliance.MergeCSP(p.policy, s.cfg.PublicURL, form)
			}
			switch {
			case err != nil:
				// A policy no source can open (strict-dynamic, a sandbox
				// without scripts): say why, on the page.
				data.CSP.Merged = apperr.Message(err)
			case data.CSP.Merged == "":
				data.CSP.Merged = t.NoPolicy
			}
		}
		data.Hidden = map[string]string{"lang": p.lang, "cms": p.cms, "c": data.Sel.Slug, "layout": p.v.Layout.String(),
			"size": strconv.Itoa(p.v.Size), "theme": p.theme, "align": p.align}
	}
	var b bytes.Buffer
	if err := indexTmpl.Execute(&b, data); err != nil {
		return err
	}
	setPageHeaders(c)
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// hostOf returns the host of an origin, as NukeViet's trusted domains list it.
func hostOf(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return origin
	}
	return u.Hostname()
}

func setPageHeaders(c echo.Context) {
	h := c.Response().Header()
	h["Content-Security-Policy"] = valPageCSP
	h["X-Frame-Options"] = valFrameDeny
	h["Referrer-Policy"] = valRefPolicy
	h["Cache-Control"] = valNoCache
}

// frame serves GET /e/{slug}: the badge alone in a transparent page with
// no scrollbars, for portals that can only embed an iframe. It has no
// script and works in a sandboxed frame; its CSP names this server's
// origin rather than 'self', which a sandboxed (opaque) origin would not match.
func (s *Server) frame(c echo.Context) error {
	x, err := s.campaigns.Served(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	v, err := variantOf(c.Request().URL.RawQuery, badge.SVG, x.Theme, x.Layout)
	if err != nil {
		return err
	}
	sn := snippet{base: s.cfg.PublicURL, slug: x.Slug, label: x.Caption, v: v, theme: v.Theme.String()}
	w, h := v.Dimensions()
	var b bytes.Buffer
	if err := frameTmpl.Execute(&b, struct {
		Base, Label, Title, Link, ImageURL string
		Width, Height                      int
	}{s.cfg.PublicURL, x.Caption, x.Title, sn.link(), sn.imageURL(), w, h}); err != nil {
		return err
	}
	if c.Request().Method == http.MethodGet {
		s.count(c, compliance.Frame, x.Slug)
	}
	hdr := c.Response().Header()
	hdr["Content-Security-Policy"] = s.frameCSP
	hdr["Cache-Control"] = valNoCache
	hdr["Referrer-Policy"] = valRefPolicy
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// staticFile serves the page assets: stylesheets, the page script and the
// icon. The embed script is served by its own routes.
func (s *Server) staticFile(c echo.Context) error {
	name := c.Param("*")
	var ctype string
	switch name {
	case "style.css", "frame.css", "admin.css":
		ctype = "text/css; charset=utf-8"
	case "page.js":
		ctype = valJSType[0]
	case "favicon.svg":
		ctype = "image/svg+xml"
	default:
		return apperr.NotFoundf("not found")
	}
	b, err := static.FS.ReadFile(name)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	if ctype == "image/svg+xml" {
		h["Content-Security-Policy"] = valImageCSP
	}
	h["Cache-Control"] = []string{"public, max-age=3600"}
	h["Cross-Origin-Resource-Policy"] = valCORP
	return c.Blob(http.StatusOK, ctype, b)
}
