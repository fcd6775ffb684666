package server

import (
	"html"
	"net/url"
	"strconv"
	"strings"

	"github.com/oabadge/oabadge/internal/badge"
)

// snippet builds the markup webmasters paste. Every value from a campaign
// goes through html.EscapeString; everything else is fixed text or numbers.
type snippet struct {
	base  string // public URL
	slug  string
	label string // the accessible name: the caption
	v     badge.Variant
	theme string // a badge theme, or "auto" for the script, which follows the visitor
}

func (p snippet) box() (int, int) { return p.v.Dimensions() }

// query names the variant explicitly (size, theme, layout), so a snippet
// does not change when the campaign's look does. "auto" is the script's
// own: the files get light.
func (p snippet) query() string {
	theme := p.theme
	if theme == "auto" {
		theme = badge.ThemeLight.String()
	}
	q := url.Values{}
	q.Set("size", strconv.Itoa(p.v.Size))
	q.Set("theme", theme)
	q.Set("layout", p.v.Layout.String())
	return q.Encode()
}

func (p snippet) imageURL() string { return p.base + "/b/" + p.slug + ".svg?" + p.query() }

func (p snippet) link() string { return p.base + "/go/" + p.slug }

// img is the script-free form: a link around an image whose width and
// height reserve its box.
func (p snippet) img() string {
	w, h := p.box()
	return `<a href="` + attr(p.link()) + `" target="_blank" rel="noopener noreferrer">` +
		`<img src="` + attr(p.imageURL()) + `" width="` + strconv.Itoa(w) + `" height="` + strconv.Itoa(h) +
		`" alt="` + attr(p.label) + `"></a>`
}

func (p snippet) dataAttrs() string {
	return ` data-oabadge="` + attr(p.slug) + `" data-size="` + strconv.Itoa(p.v.Size) +
		`" data-theme="` + attr(p.theme) + `" data-layout="` + p.v.Layout.String() +
		`" data-label="` + attr(p.label) + `"`
}

// script is the script form, pinned by Subresource Integrity, with the
// script-free form as its noscript fallback.
func (p snippet) script(e *embedScript) string {
	return `<script async src="` + attr(e.URL(p.base)) + `" integrity="` + e.integrity + `" crossorigin="anonymous"` +
		p.dataAttrs() + `></script><noscript>` + p.img() + `</noscript>`
}

// reserved is the script form whose own markup reserves the badge's box,
// so the page does not move at all when the script runs: for portals
// whose editor keeps a style attribute.
func (p snippet) reserved(e *embedScript) string {
	w, h := p.box()
	return `<div` + p.dataAttrs() + ` style="display:inline-block;width:` + strconv.Itoa(w) + `px;height:` + strconv.Itoa(h) +
		`px;vertical-align:top"><noscript>` + p.img() + `</noscript></div>` +
		`<script async src="` + attr(e.URL(p.base)) + `" integrity="` + e.integrity + `" crossorigin="anonymous"></script>`
}

// iframe is the framed form, sandboxed: the frame may open the link in a
// new tab and nothing else.
func (p snippet) iframe() string {
	w, h := p.box()
	return `<iframe src="` + attr(p.base+"/e/"+p.slug+"?"+p.query()) + `" width="` + strconv.Itoa(w) + `" height="` + strconv.Itoa(h) +
		`" title="` + attr(p.label) + `" loading="lazy" scrolling="no" frameborder="0"` +
		` sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>`
}

func attr(s string) string { return html.EscapeString(s) }

// origin returns scheme://host[:port] of the public URL, which is what a
// CSP source expression names.
func origin(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return publicURL
	}
	return u.Scheme + "://" + u.Host
}

// cspLines are the directives a portal's Content-Security-Policy needs to
// allow this server, one per form of the snippet.
func cspLines(publicURL string) []string {
	o := origin(publicURL)
	return []string{
		"img-src " + o,
		"script-src " + o,
		"frame-src " + o,
	}
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }
