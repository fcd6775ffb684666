package server

import (
	"html"
	"net/url"
	"strconv"

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
	align string // "", "start", "center" or "end"
}

// The snippet forms, in the order a portal that allows everything gets them.
const (
	formScript = "script" // the image link, upgraded in place by the script
	formImg    = "img"    // the image link alone
	formFrame  = "iframe" // the framed page
)

// aligns are the alignments offered, "" being the CMS's own.
var aligns = []string{"", "start", "center", "end"}

func (p snippet) box() (int, int) { return p.v.Dimensions() }

// fileTheme is the theme the image files get: "auto" is the script's own.
func (p snippet) fileTheme() string {
	if p.theme == "auto" {
		return badge.ThemeLight.String()
	}
	return p.theme
}

// canonicalQuery names the variant explicitly, in the one parameter order
// every form (and the embed script) uses, so a page carrying two forms of
// the same badge fetches it once, and a snippet does not change when the
// campaign's look does.
func canonicalQuery(v badge.Variant, theme string) string {
	return "layout=" + v.Layout.String() + "&size=" + strconv.Itoa(v.Size) + "&theme=" + theme
}

func (p snippet) query() string { return canonicalQuery(p.v, p.fileTheme()) }

func (p snippet) imageURL() string { return p.base + "/b/" + p.slug + ".svg?" + p.query() }

func (p snippet) link() string { return p.base + "/go/" + p.slug }

// wrap puts markup in a block of its own, so block themes (WordPress's
// constrained layout) place it in the content column, aligned as asked.
func (p snippet) wrap(attrs, inner string) string {
	if p.align != "" {
		attrs += ` style="text-align:` + p.align + `"`
	}
	return `<div` + attrs + `>` + inner + `</div>`
}

// imgLink is the link around a sized image: its box is known before the
// image arrives and it works without JavaScript. With focusInside, the
// browser's focus ring is drawn inside the badge, where no overflow:hidden
// of the portal's clips it, in a blue with 3:1 against both the light and
// the dark badge (a style attribute, which a style-src without
// 'unsafe-inline' ignores, leaving the browser's own ring).
func (p snippet) imgLink(focusInside bool) string {
	w, h := p.box()
	aStyle, imgStyle := "", ""
	if focusInside {
		aStyle, imgStyle = ` style="display:inline-block;vertical-align:top;outline-offset:-4px;outline-color:#1a73e8"`, ` style="display:block"`
	}
	return `<a href="` + attr(p.link()) + `" target="_blank" rel="noopener noreferrer"` + aStyle + `>` +
		`<img src="` + attr(p.imageURL()) + `" width="` + strconv.Itoa(w) + `" height="` + strconv.Itoa(h) +
		`" alt="` + attr(p.label) + `"` + imgStyle + `></a>`
}

// img is the script-free form.
func (p snippet) img() string { return p.wrap("", p.imgLink(true)) }

// script is the recommended form: the image link, which the script
// upgrades in place (Shadow DOM, the visitor's dark mode, a tap button on
// phones, its own focus ring) in the same box, so the page does not move;
// without JavaScript, or with the script removed by the CMS, the image
// link stays. Without an alignment it has no style attribute, so the
// strictest style-src has nothing to refuse.
func (p snippet) script(e *embedScript) string {
	attrs := ` data-oabadge="` + attr(p.slug) + `" data-size="` + strconv.Itoa(p.v.Size) +
		`" data-theme="` + attr(p.theme) + `" data-layout="` + p.v.Layout.String() + `"`
	return p.wrap(attrs, p.imgLink(false)) +
		`<script async src="` + attr(e.URL(p.base)) + `" integrity="` + e.integrity + `" crossorigin="anonymous"></script>`
}

// iframe is the framed form, sandboxed: the frame may open the link in a
// new tab and nothing else.
func (p snippet) iframe() string {
	w, h := p.box()
	return p.wrap("", `<iframe src="`+attr(p.base+"/e/"+p.slug+"?"+p.query())+`" width="`+strconv.Itoa(w)+`" height="`+strconv.Itoa(h)+
		`" title="`+attr(p.label)+`" loading="lazy" style="border:0;vertical-align:top"`+
		` sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>`)
}

// code returns the markup of one form.
func (p snippet) code(form string, e *embedScript) string {
	switch form {
	case formScript:
		return p.script(e)
	case formFrame:
		return p.iframe()
	}
	return p.img()
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

// cspNeeds names the directives a portal's policy must open to this
// server for each form, as the page lists them: the script form loads a
// script and images. compliance.MergeCSP applies the same rule.
var cspNeeds = map[string][]string{
	formScript: {"script-src", "img-src"},
	formImg:    {"img-src"},
	formFrame:  {"frame-src"},
}
