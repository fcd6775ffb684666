package server_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
)

// snippetsOn returns the snippets of the webmaster page at path, by id, in
// page order.
func snippetsOn(t *testing.T, f *fixture, path string) (ids []string, code map[string]string, page string) {
	t.Helper()
	r := f.do(t, "GET", path)
	page = body(t, r)
	if r.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", path, r.StatusCode, page)
	}
	code = map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<textarea id="(snippet-[a-z]+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
		code[m[1]] = html.UnescapeString(m[2])
	}
	return ids, code, page
}

func TestWebmasterPage(t *testing.T) {
	f := newFixture(t)
	if _, _, err := f.svc.Create(context.Background(), campaign.Campaign{
		Slug: "xss", Title: `<b>T</b>`, Caption: `"><script>alert(1)</script>`, Target: "https://zalo.me/9?utm_source=x",
	}, testActor); err != nil {
		t.Fatal(err)
	}

	t.Run("Escapes", func(t *testing.T) {
		_, code, page := snippetsOn(t, f, "/?c=xss")
		if strings.Contains(page, "<script>alert") || strings.Contains(page, `"><script`) {
			t.Error("the webmaster page lets a caption out of its attribute")
		}
		for id, c := range code {
			if strings.Contains(c, "<script>alert") {
				t.Errorf("%s lets the caption out: %s", id, c)
			}
		}
		if !strings.Contains(page, ">zalo.me/9</a>") {
			t.Error("the destination is not shown in its readable form (badge.ReadableURL)")
		}
	})

	t.Run("HeadAndAssets", func(t *testing.T) {
		_, _, page := snippetsOn(t, f, "/")
		for _, want := range []string{`<meta name="description" content="`, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`, `<main>`, `role="status"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %s", want)
			}
		}
		r := f.do(t, "GET", "/static/favicon.svg")
		if b := body(t, r); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(b, "<svg") ||
			!strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("/static/favicon.svg = %d %v", r.StatusCode, r.Header)
		}
	})

	t.Run("OrderPerCMS", func(t *testing.T) {
		for cms, first := range map[string]string{"nukeviet": "snippet-img", "wordpress": "snippet-script", "joomla": "snippet-script", "other": "snippet-script", "": "snippet-script"} {
			ids, _, page := snippetsOn(t, f, "/?cms="+cms)
			if len(ids) != 3 || ids[0] != first {
				t.Errorf("cms=%s: snippets %v, want 3 with %s first", cms, ids, first)
			}
			if cms == "nukeviet" {
				for _, want := range []string{"Cấu hình → Thiết lập tiêu đề HTTP → Thiết lập CSP", "Tên miền tin cậy", "Cấu hình → Thiết lập an ninh", "badge.example.gov.vn", "mỗi nguồn một dòng"} {
					if !strings.Contains(page, want) {
						t.Errorf("the NukeViet steps lack %q", want)
					}
				}
			}
			if cms == "wordpress" {
				for _, want := range []string{"unfiltered_html", "DISALLOW_UNFILTERED_HTML", "&lt;noscript&gt;", "Tác giả"} {
					if !strings.Contains(page, want) {
						t.Errorf("the WordPress steps lack %q", want)
					}
				}
			}
		}
	})

	t.Run("OfferedSizes", func(t *testing.T) {
		for _, l := range []badge.Layout{badge.LayoutBadge, badge.LayoutQR, badge.LayoutCard} {
			_, _, page := snippetsOn(t, f, "/?layout="+l.String())
			sel := regexp.MustCompile(`(?s)<select name="size">(.*?)</select>`).FindStringSubmatch(page)
			var got []string
			for _, m := range regexp.MustCompile(`value="(\d+)"`).FindAllStringSubmatch(sel[1], -1) {
				got = append(got, m[1])
			}
			var want []string
			for _, s := range badge.OfferedSizes(l) {
				want = append(want, itoa(s))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("layout %s offers sizes %v, want badge.OfferedSizes: %v", l, got, want)
			}
		}
		// A card with no size, or a size no longer offered, gets the smallest offered card.
		card := itoa(badge.OfferedSizes(badge.LayoutCard)[0])
		for _, q := range []string{"layout=card", "layout=card&size=128", "layout=card&size=256"} {
			_, code, _ := snippetsOn(t, f, "/?c=bnv&"+q)
			if !strings.Contains(code["snippet-script"], `data-size="`+card+`"`) {
				t.Errorf("/?%s: the snippet is %s; want the card at %s", q, code["snippet-script"], card)
			}
		}
	})

	t.Run("Snippets", func(t *testing.T) {
		_, code, _ := snippetsOn(t, f, "/?c=bnv&layout=badge&size=192&theme=auto")
		img := `<a href="https://badge.example.gov.vn/go/bnv" target="_blank" rel="noopener noreferrer"><img src="https://badge.example.gov.vn/b/bnv.svg?layout=badge&amp;size=192&amp;theme=light" width="192" height="240" alt="` + caption + `"></a>`
		if want := `<div data-oabadge="bnv" data-size="192" data-theme="auto" data-layout="badge">` + img + `</div><script async src="https://badge.example.gov.vn/embed/`; !strings.HasPrefix(code["snippet-script"], want) {
			t.Errorf("the recommended snippet is\n%s\nwant it to start\n%s", code["snippet-script"], want)
		}
		if strings.Contains(code["snippet-script"], "style=") {
			t.Error("the recommended snippet has a style attribute, which a strict style-src refuses")
		}
		if !strings.Contains(code["snippet-img"], `layout=badge&amp;size=192&amp;theme=light`) || !strings.Contains(code["snippet-iframe"], `/e/bnv?layout=badge&amp;size=192&amp;theme=light`) {
			t.Errorf("the parameters are not in the one order: %s / %s", code["snippet-img"], code["snippet-iframe"])
		}
		_, code, _ = snippetsOn(t, f, "/?c=bnv&align=center")
		for id, c := range code {
			if !strings.HasPrefix(c, `<div`) || !strings.Contains(c, `style="text-align:center"`) {
				t.Errorf("%s aligned centre: %s", id, c)
			}
		}
	})

	t.Run("CSPMerge", func(t *testing.T) {
		_, _, page := snippetsOn(t, f, "/?c=bnv&policy="+urlQuery("default-src 'self'; img-src 'self' data:")+"&form=script")
		want := "default-src &#39;self&#39;; img-src &#39;self&#39; data: https://badge.example.gov.vn; script-src &#39;self&#39; https://badge.example.gov.vn"
		if !strings.Contains(page, want) {
			t.Errorf("the merged policy is not on the page; want %s", html.UnescapeString(want))
		}
		if strings.Contains(page, "script-src cho mã nhúng") {
			t.Error("the page still tells webmasters script-src alone for the script")
		}
		_, _, page = snippetsOn(t, f, "/?c=bnv")
		if !strings.Contains(page, "script-src, img-src") {
			t.Error("the page does not say the script form needs script-src and img-src")
		}
	})

	t.Run("Follow", func(t *testing.T) {
		_, _, page := snippetsOn(t, f, "/")
		if !strings.Contains(page, "khách quay lại thấy trong vòng 2 phút") {
			t.Error("the page does not say how fast returning visitors follow a rotation (1 min max-age + 1 min stale-while-revalidate)")
		}
	})

	t.Run("BadQueries", func(t *testing.T) {
		for path, code := range map[string]int{"/?size=7": 400, "/?theme=neon": 400, "/?layout=x": 400, "/?c=nope": 404, "/?align=middle": 400,
			"/?policy=" + strings.Repeat("a", 9000): 400, "/?cms=drupal": 200, "/?form=nope": 200} {
			if r := f.do(t, "GET", path); r.StatusCode != code {
				t.Errorf("GET %s = %d, want %d", path[:min(len(path), 40)], r.StatusCode, code)
			}
		}
	})
}

func urlQuery(s string) string { return url.QueryEscape(s) }
