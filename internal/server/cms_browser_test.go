package server_test

import (
	"regexp"
	"strings"
	"testing"
)

// What CMSs do to pasted HTML, reproduced from what they were seen to do:
//
//   - WordPress, for a user without unfiltered_html (Authors, Contributors,
//     everyone under DISALLOW_UNFILTERED_HTML): kses silently drops
//     <script>, <noscript> and <iframe> with their content, keeps links,
//     images, divs and data-* attributes, and keeps only the declarations
//     of a style attribute on its safe list (display, vertical-align,
//     text-align; not outline-*).
//   - NukeViet, in an HTML block: every <script> removed, <noscript>
//     unwrapped (its content kept).
var (
	reScript   = regexp.MustCompile(`(?s)<script\b[^>]*>.*?</script>`)
	reIframe   = regexp.MustCompile(`(?s)<iframe\b[^>]*>.*?</iframe>`)
	reNoscript = regexp.MustCompile(`(?s)<noscript>(.*?)</noscript>`)
	reStyle    = regexp.MustCompile(`style="([^"]*)"`)
)

func wordpressAuthor(html string) string {
	html = reScript.ReplaceAllString(html, "")
	html = reIframe.ReplaceAllString(html, "")
	html = reNoscript.ReplaceAllString(html, "")
	return reStyle.ReplaceAllStringFunc(html, func(m string) string {
		var keep []string
		for _, decl := range strings.Split(reStyle.FindStringSubmatch(m)[1], ";") {
			prop, _, _ := strings.Cut(decl, ":")
			switch strings.TrimSpace(prop) {
			case "display", "vertical-align", "text-align", "border", "width", "height":
				keep = append(keep, decl)
			}
		}
		return `style="` + strings.Join(keep, ";") + `"`
	})
}

func nukevietBlock(html string) string {
	html = reScript.ReplaceAllString(html, "")
	return reNoscript.ReplaceAllString(html, "$1")
}

// TestSnippetsSurviveCMSFilters pastes every form, new and old, through
// each CMS's filter into a WordPress block theme's content column: the
// forms the page recommends for that CMS must still show the badge,
// sized, named, in the column.
func TestSnippetsSurviveCMSFilters(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	sn := e.snippets(t, "c=bnv&layout=badge&size=192&theme=light&align=center")
	old := oldSnippets(e.badge)
	forms := map[string]string{"script": sn["snippet-script"], "img": sn["snippet-img"], "v1-script": old["v1-script"], "v1-img": old["v1-img"], "v1-reserved": old["v1-reserved"]}
	for _, cms := range []struct {
		name   string
		filter func(string) string
		show   []string // forms that must still show the badge
	}{
		{"wordpress-author", wordpressAuthor, []string{"script", "img", "v1-img"}},
		{"nukeviet-block", nukevietBlock, []string{"script", "img", "v1-script", "v1-img", "v1-reserved"}},
	} {
		for _, form := range cms.show {
			name := cms.name + "-" + form
			t.Run(name, func(t *testing.T) {
				pasted := cms.filter(forms[form])
				if strings.Contains(pasted, "<script") {
					t.Fatalf("the filter kept a script: %s", pasted)
				}
				page := `<div class="wp-site-blocks"><main class="wp-block-group is-layout-constrained">` + pasted + `</main></div>`
				ctx := e.open(t, devices[0], e.portal.add("cms-"+name+".html", columnPage(portalStyles["wordpress"], page), ""))
				if err := waitFor(ctx, `(() => { const i = document.querySelector('a[href$="/go/bnv"] img'); return !!i && i.complete && i.naturalWidth > 0; })()`); err != nil {
					t.Fatalf("after %s's filter the badge does not show: %v\n%s", cms.name, err, pasted)
				}
				got := evalJS[map[string]any](t, ctx, `(() => { const i = document.querySelector('a[href$="/go/bnv"] img'), r = i.getBoundingClientRect(), c = document.querySelector(".is-layout-constrained > *").getBoundingClientRect();
					return { alt: i.alt, w: r.width, h: r.height, inColumn: r.left >= c.left && r.right <= c.right, centred: Math.abs((r.left + r.right) / 2 - (c.left + c.right) / 2) < 1 }; })()`)
				if got["alt"] != caption || got["inColumn"] != true {
					t.Errorf("after %s's filter: %v; want the badge named by its caption, in the content column", cms.name, got)
				}
				if strings.HasPrefix(form, "v1") {
					return
				}
				if got["w"] != 192.0 || got["h"] != 240.0 || got["centred"] != true {
					t.Errorf("after %s's filter: %v; want 192×240, centred as chosen", cms.name, got)
				}
				e.screenshot(t, ctx, "cms-"+name)
			})
		}
	}
}
