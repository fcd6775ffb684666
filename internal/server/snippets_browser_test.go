package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/embedscript"
	"github.com/oabadge/oabadge/internal/server"
)

// hits counts what the badge server answered, by request URI and by the
// page that asked (Referer), with the body bytes sent.
type hits struct {
	mu    sync.Mutex
	byURI map[string]int
	bytes map[string]int // by referring page
	reqs  map[string]int // by referring page
}

func (h *hits) add(uri, referer string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byURI == nil {
		h.byURI, h.bytes, h.reqs = map[string]int{}, map[string]int{}, map[string]int{}
	}
	h.byURI[uri]++
	h.bytes[referer] += n
	h.reqs[referer]++
}

// uris returns the counts of requests whose URI starts with prefix.
func (h *hits) uris(prefix string) map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.byURI {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// total returns every request answered so far, and the body bytes sent.
func (h *hits) total() (reqs, bytes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.reqs {
		reqs += n
	}
	for _, n := range h.bytes {
		bytes += n
	}
	return reqs, bytes
}

type countingWriter struct {
	http.ResponseWriter
	n int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += n
	return n, err
}

const lateJS = `
(function () {
  var t = document.querySelector("script[data-late]");
  function insert() {
    var s = document.createElement("script");
    s.src = t.getAttribute("data-late");
    s.integrity = t.getAttribute("data-integrity");
    s.crossOrigin = "anonymous";
    s.async = true;
    t.parentNode.insertBefore(s, t);
    window.__inserted = true;
  }
  window.addEventListener("load", function () {
    window.__before = document.getElementById("after").getBoundingClientRect().top;
    requestAnimationFrame(function () { requestAnimationFrame(insert); });
  });
})();
`

var scriptTag = regexp.MustCompile(`<script async src="([^"]+)" integrity="([^"]+)" crossorigin="anonymous"></script>`)

// late rewrites a snippet so its script arrives after the page is painted.
func late(snippet string) string {
	return scriptTag.ReplaceAllString(snippet, `<script src="/late.js" data-late="$1" data-integrity="$2"></script>`)
}

// device is a viewport a portal is seen on.
type device struct {
	name          string
	width, height int64
	mobile        bool
}

var devices = []device{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}

func (e *browserEnv) open(t *testing.T, d device, url string) context.Context {
	t.Helper()
	ctx := e.tab(t)
	opts := []chromedp.EmulateViewportOption{}
	if d.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(d.width, d.height, opts...)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// upgraded waits until n badges are upgraded and their images loaded.
func upgraded(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	if err := waitFor(ctx, fmt.Sprintf(imagesLoaded, n)); err != nil {
		t.Fatalf("waiting for %d upgraded badges: %v", n, err)
	}
}

// waitFor polls expr until it is true, for at most 30 seconds (a bound
// that only keeps a broken page from hanging the suite). It polls by hand
// rather than with chromedp.Poll, which gives up when a navigation that
// has just ended replaces the page's JavaScript context under it.
func waitFor(ctx context.Context, expr string) error {
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		var ok bool
		if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err == nil {
		err = fmt.Errorf("still false after 30 s: %s", expr)
	}
	return err
}

// settled waits two frames and returns the page's cumulative layout shift.
const settledCLS = `new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
  let cls = 0;
  const po = new PerformanceObserver(() => {});
  po.observe({ type: "layout-shift", buffered: true });
  for (const e of po.takeRecords()) if (!e.hadRecentInput) cls += e.value;
  po.disconnect();
  resolve(cls);
})))`

// portalStyles are the CSS a portal's theme puts around the snippet.
var portalStyles = map[string]string{
	"plain": "",
	// WordPress block theme: constrained content column, responsive images.
	"wordpress": `<style>body{font:18px/1.7 Georgia,serif}.is-layout-constrained>*{max-width:620px;margin-left:auto!important;margin-right:auto!important}img{max-width:100%;height:auto}</style>`,
	// Bootstrap's reboot, which many NukeViet themes carry.
	"bootstrap": `<style>body{font:15px/1.42857 Arial,sans-serif}img{vertical-align:middle;border:0}a{color:#337ab7}</style>`,
}

func columnPage(style, body string) string {
	return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Cổng thông tin</title>` + style +
		`</head><body><main class="is-layout-constrained"><h1 id="before">Cổng thông tin điện tử</h1>` + body +
		`<p id="after">Nội dung tiếp theo của cột.</p><p>Thêm một đoạn nữa, cho cột dài hơn huy hiệu.</p></main></body></html>`
}

// TestRecommendedSnippetShiftsNothing puts the recommended snippet on
// portal pages whose content continues below the badge, with its script
// arriving after the page is painted, at every offered layout and size,
// on a desktop and a phone: the content after it must not move (CLS 0).
func TestRecommendedSnippetShiftsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	worst := 0.0
	n := 0
	for _, layout := range []badge.Layout{badge.LayoutBadge, badge.LayoutQR, badge.LayoutCard} {
		for _, size := range badge.OfferedSizes(layout) {
			for _, align := range []string{"", "center"} {
				q := fmt.Sprintf("c=bnv&layout=%s&size=%d&theme=auto&align=%s", layout, size, align)
				sn := e.snippets(t, q)["snippet-script"]
				for _, styleName := range []string{"plain", "wordpress", "bootstrap"} {
					style := portalStyles[styleName]
					if align != "" && styleName != "wordpress" {
						continue // alignment matters in block themes' content column
					}
					for _, d := range devices {
						name := fmt.Sprintf("%s-%d-%s-%s-%s", layout, size, align, styleName, d.name)
						t.Run(name, func(t *testing.T) {
							ctx := e.open(t, d, e.portal.add("cls-"+name+".html", columnPage(style, late(sn)), ""))
							upgraded(t, ctx, 1)
							cls := evalJS[float64](t, ctx, settledCLS)
							before := evalJS[float64](t, ctx, `window.__before`)
							after := evalJS[float64](t, ctx, `document.getElementById("after").getBoundingClientRect().top`)
							if cls != 0 || before != after {
								e.screenshot(t, ctx, "cls-"+name)
								t.Errorf("CLS %.4f; the text after the badge was at %v before the upgrade and at %v after", cls, before, after)
							}
							worst = math.Max(worst, cls)
							n++
						})
					}
				}
			}
		}
	}
	report(t, e, "recommended snippet CLS", fmt.Sprintf("worst %.4f over %d pages (layouts × offered sizes × alignments × portal styles × desktop/phone)", worst, n))
}

// TestOneURLPerBadge puts the recommended and the image snippets of one
// badge on a page: the badge is fetched once, and the server treats any
// order of the parameters alike.
func TestOneURLPerBadge(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	sn := e.snippets(t, "c=tinh&layout=badge&size=192&theme=light")
	ctx := e.open(t, devices[0], e.portal.add("both.html", columnPage("", sn["snippet-script"]+sn["snippet-img"]), ""))
	upgraded(t, ctx, 1)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	got := e.hits.uris("/b/tinh")
	if len(got) != 1 {
		t.Errorf("a page with the script and the image snippets of one badge fetched %v; want one URL", got)
	}
	for uri, n := range got {
		if n != 1 {
			t.Errorf("%s fetched %d times, want once", uri, n)
		}
	}
	// Any order of the parameters names the same bytes.
	var etags []string
	for _, q := range []string{"layout=badge&size=192&theme=light", "size=192&theme=light&layout=badge", "theme=light&layout=badge&size=192"} {
		r, err := http.Get(e.badge + "/b/tinh.svg?" + q)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		etags = append(etags, r.Header.Get("Etag"))
	}
	if etags[0] == "" || etags[0] != etags[1] || etags[1] != etags[2] {
		t.Errorf("ETags for three parameter orders: %v, want one", etags)
	}
}

// TestBudget measures what the recommended snippet costs a portal's page:
// bytes and requests it adds (first visit and return visit), the script's
// main-thread time, and the layout shift.
func TestBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	sn := e.snippets(t, "c=bnv&layout=badge&size=192&theme=auto")
	bare := e.portal.add("budget-bare.html", columnPage("", ""), "")
	with := e.portal.add("budget.html", columnPage("", sn["snippet-script"]), "")
	ctx := e.tab(t)
	// load opens url and returns what the script says it cost the main
	// thread (window.oabadge.ms: from its first statement to its last,
	// the style work it forced included, its compilation not).
	load := func(url string) float64 {
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(url, "budget.html") {
			return 0
		}
		upgraded(t, ctx, 1)
		evalJS[float64](t, ctx, settledCLS)
		return evalJS[float64](t, ctx, `window.oabadge.ms`)
	}
	median := func(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }
	load(bare)
	r0, b0 := e.hits.total()
	load(with)
	r1, b1 := e.hits.total()
	reqs, body := r1-r0, b1-b0
	cls := evalJS[float64](t, ctx, settledCLS)
	// The script's own work for one more badge, timed in the page, with
	// the page's style and layout clean first.
	scan := evalJS[float64](t, ctx, `(() => {
		const d = document.createElement("div");
		d.setAttribute("data-oabadge", "bnv"); d.setAttribute("data-size", "192");
		const a = document.createElement("a"); a.href = "#"; const i = document.createElement("img");
		i.width = 192; i.height = 240; i.alt = "x"; a.appendChild(i); d.appendChild(a); document.body.appendChild(d);
		document.body.offsetHeight;
		const t0 = performance.now(); window.oabadge.scan(); return performance.now() - t0; })()`)
	// Return visits: the script and the image come from the browser's
	// cache, and no request is made.
	var returns []float64
	reqs2 := 0
	for range 5 {
		load(bare)
		r0, _ := e.hits.total()
		returns = append(returns, load(with))
		r1, _ := e.hits.total()
		reqs2 += r1 - r0
	}
	// First visits, five times over, with the cache off.
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatal(err)
	}
	var firsts []float64
	for range 5 {
		load(bare)
		firsts = append(firsts, load(with))
	}
	first, again := median(firsts), median(returns)
	least := min(firsts[0], returns[0]) // sorted by median

	js := e.fetch(t, "/embed.js")
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(js)
	zw.Close()
	msg := fmt.Sprintf("first visit %d requests, %d bytes (script %d bytes, %d gzipped); return visits %d requests; "+
		"main-thread time of the script (as it times itself; median of 5): %.2f ms on a first visit, %.2f ms on a return visit, least %.2f ms; one more badge %.2f ms; CLS %.4f",
		reqs, body, len(js), gz.Len(), reqs2, first, again, least, scan, cls)
	t.Log(msg)
	report(t, e, "budget of the recommended snippet", msg)
	if reqs != 2 || reqs2 != 0 || cls != 0 {
		t.Errorf("the recommended snippet cost %d requests on a first visit (want 2: script and image), %d on a return visit (want 0), CLS %v (want 0)", reqs, reqs2, cls)
	}
}

var yes = true

func (e *browserEnv) fetch(t *testing.T, path string) []byte {
	t.Helper()
	r, err := http.Get(e.badge + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(r.Body)
	return b.Bytes()
}

// shot captures the page's pixels in r, at one device pixel per CSS pixel.
func shot(t *testing.T, ctx context.Context, r rect) image.Image {
	t.Helper()
	res, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng, Clip: &page.Viewport{X: r.X, Y: r.Y, Width: r.W, Height: r.H, Scale: 1}, FromSurface: &yes,
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(res.Data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type rect struct{ X, Y, W, H float64 }

func luminance(c [3]uint8) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

func contrast(a, b [3]uint8) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func rgbAt(img image.Image, x, y int) [3]uint8 {
	r, g, b, _ := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

// ringCheck compares a badge's pixels unfocused and focused: the focus
// indicator must lie inside the badge's box (m pixels of margin are
// captured around it) and, across each side's middle, change at least 2
// pixels with a contrast of 3:1 or more (WCAG 2.4.13's measure).
func ringCheck(t *testing.T, off, on image.Image, m int) {
	t.Helper()
	b := off.Bounds()
	w, h := b.Dx(), b.Dy()
	outside := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			in := x >= m && y >= m && x < w-m && y < h-m
			if !in && contrast(rgbAt(off, x, y), rgbAt(on, x, y)) > 1.1 {
				outside++
			}
		}
	}
	if outside > 0 {
		t.Errorf("%d pixels outside the badge changed on focus: the ring is drawn outside, where the portal may clip it", outside)
	}
	// Walk in from each side's middle.
	type walk struct{ x, y, dx, dy int }
	for _, wk := range []walk{{m, h / 2, 1, 0}, {w - m - 1, h / 2, -1, 0}, {w / 2, m, 0, 1}, {w / 2, h - m - 1, 0, -1}} {
		n := 0
		for i := 0; i < 12; i++ {
			x, y := wk.x+i*wk.dx, wk.y+i*wk.dy
			if contrast(rgbAt(off, x, y), rgbAt(on, x, y)) >= 3 {
				n++
			}
		}
		if n < 2 {
			t.Errorf("at (%d,%d) going in, %d pixels change with contrast 3:1 on focus; want at least 2", wk.x, wk.y, n)
		}
	}
}

// TestFocusInside tabs to the badge in each form and theme and checks its
// focus ring: inside the badge, at least 2 px, 3:1, inside a portal
// container with overflow:hidden that clips anything drawn outside.
func TestFocusInside(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	for _, theme := range []string{"light", "dark"} {
		sn := e.snippets(t, "c=bnv&layout=badge&size=192&theme="+theme)
		for _, form := range []string{"snippet-script", "snippet-img", "snippet-iframe"} {
			t.Run(form+"-"+theme, func(t *testing.T) {
				body := `<div id="box" style="overflow:hidden;display:inline-block;padding:0">` + sn[form] + `</div>`
				ctx := e.open(t, devices[0], e.portal.add("focus-"+form+theme+".html", columnPage("", body), ""))
				if form == "snippet-script" {
					upgraded(t, ctx, 1)
				} else if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("#box img, #box iframe"); return !!i && (i.tagName === "IFRAME" || (i.complete && i.naturalWidth > 0)); })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
					t.Fatal(err)
				}
				if form == "snippet-iframe" {
					waitFrameImage(t, ctx, e.badge+"/e/bnv")
				}
				r := evalJS[rect](t, ctx, `(() => { const el = document.querySelector("#box iframe") || [...document.querySelectorAll("#box span")].find(s => s.shadowRoot) || document.querySelector("#box img");
					const r = el.getBoundingClientRect(); return { X: r.x - 6, Y: r.y - 6, W: r.width + 12, H: r.height + 12 }; })()`)
				off := shot(t, ctx, r)
				if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
					t.Fatal(err)
				}
				// The first Tab lands on the badge's link (inside the frame for the iframe).
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const a = document.activeElement; return !!a && (a.tagName === "IFRAME" || a.tagName === "A" || !!a.shadowRoot); })()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Fatalf("Tab did not reach the badge: %v", err)
				}
				evalJS[float64](t, ctx, settledCLS) // two frames: the ring is painted
				on := shot(t, ctx, r)
				ringCheck(t, off, on, 6)
				e.screenshot(t, ctx, "focus-"+form+"-"+theme)
			})
		}
	}
}

// waitFrameImage waits for the badge inside a (sandboxed, out-of-process) iframe.
func waitFrameImage(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if w, _ := frameImage(t, ctx, prefix)["w"].(float64); w > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the badge in the iframe did not load")
}

// TestPhoneButton checks the tap button on phones: its visible words start
// the link's accessible name, and it covers none of the caption's lines.
func TestPhoneButton(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	c, err := e.svc.Served(context.Background(), "bnv")
	if err != nil {
		t.Fatal(err)
	}
	for _, layout := range []badge.Layout{badge.LayoutBadge, badge.LayoutQR, badge.LayoutCard} {
		for _, size := range badge.OfferedSizes(layout) {
			if size > 384 {
				continue // wider than a phone
			}
			name := fmt.Sprintf("%s-%d", layout, size)
			t.Run(name, func(t *testing.T) {
				sn := e.snippets(t, fmt.Sprintf("c=bnv&layout=%s&size=%d", layout, size))["snippet-script"]
				ctx := e.open(t, devices[1], e.portal.add("phone-"+name+".html", columnPage("", sn), ""))
				upgraded(t, ctx, 1)
				got := evalJS[map[string]any](t, ctx, `(() => { const h = [...document.querySelectorAll("span")].find(s => s.shadowRoot);
					const a = h.shadowRoot.querySelector("a"), b = h.shadowRoot.querySelector("a > span"), hr = h.getBoundingClientRect(), br = b.getBoundingClientRect();
					return { text: b.textContent, x0: br.left - hr.left, y0: br.top - hr.top, x1: br.right - hr.left, y1: br.bottom - hr.top }; })()`)
				text, _ := got["text"].(string)
				names := linkNames(t, ctx)
				if len(names) == 0 || !strings.HasPrefix(names[0], text) || !strings.Contains(names[0], c.Caption) {
					t.Errorf("the button shows %q; the link's accessible name is %q, want it to start with the visible words and carry the caption", text, names)
				}
				v := badge.Variant{Format: badge.SVG, Layout: layout, Theme: badge.ThemeLight, Size: size, Density: 1}
				boxes, err := badge.TextBoxes(badge.Content{Code: c.Target, Title: c.Title, Caption: c.Caption}, v)
				if err != nil {
					t.Fatal(err)
				}
				f := func(k string) float64 { x, _ := got[k].(float64); return x }
				for _, b := range boxes {
					if f("x0") < b.Max.X && b.Min.X < f("x1") && f("y0") < b.Max.Y && b.Min.Y < f("y1") {
						t.Errorf("the button (%.0f,%.0f)-(%.0f,%.0f) covers the text %q at (%.0f,%.0f)-(%.0f,%.0f)",
							f("x0"), f("y0"), f("x1"), f("y1"), b.Text, b.Min.X, b.Min.Y, b.Max.X, b.Max.Y)
					}
				}
				e.screenshot(t, ctx, "phone-"+name)
			})
		}
	}
}

// oldSnippets are the snippets the release before this one offered, as
// webmasters pasted them: script (release 1, pinned), reserved space,
// image, iframe, with the parameters in that release's order and its
// smallest size, which is no longer offered.
func oldSnippets(base string) map[string]string {
	v1 := ""
	if rs, err := embedscript.Releases(base); err == nil {
		v1 = base + "/embed/" + rs[0].Name + `" integrity="` + rs[0].Integrity
	}
	img := `<a href="` + base + `/go/bnv" target="_blank" rel="noopener noreferrer"><img src="` + base + `/b/bnv.svg?layout=badge&amp;size=128&amp;theme=light" width="128" height="160" alt="` + caption + `"></a>`
	data := ` data-oabadge="bnv" data-size="128" data-theme="light" data-layout="badge" data-label="` + caption + `"`
	return map[string]string{
		"v1-script":   `<script async src="` + v1 + `" crossorigin="anonymous"` + data + `></script><noscript>` + img + `</noscript>`,
		"v1-reserved": `<div` + data + ` style="display:inline-block;width:128px;height:160px;vertical-align:top"><noscript>` + img + `</noscript></div><script async src="` + v1 + `" crossorigin="anonymous"></script>`,
		"v1-img":      img,
		"v1-iframe":   `<iframe src="` + base + `/e/bnv?layout=badge&amp;size=128&amp;theme=light" width="128" height="160" title="` + caption + `" loading="lazy" scrolling="no" frameborder="0" sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>`,
	}
}

// TestPinnedSnippetsSurviveUpgrade records the snippets a webmaster
// pasted, then rebuilds the server with a changed embed script and
// another public URL: every recorded snippet still renders in Chromium,
// its pinned script served byte for byte.
func TestPinnedSnippetsSurviveUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	recorded := e.snippets(t, "c=bnv&layout=badge&size=192&theme=light")
	old := oldSnippets(e.badge)

	// The upgrade: a changed script becomes release N+1, and the server
	// moves to another name for the same address.
	restore := server.SetReleases(func(publicURL string) ([]embedscript.Script, error) {
		rs, err := embedscript.Releases(publicURL)
		if err != nil {
			return nil, err
		}
		last := rs[len(rs)-1]
		changed := append([]byte("/*! changed */"), last.Body...)
		return append(rs, embedscript.New(len(rs)+1, changed)), nil
	})
	t.Cleanup(restore)
	moved := strings.Replace(e.badge, "127.0.0.1", "localhost", 1)
	e.rebuild(t, func(c *config.Config) { c.PublicURL = moved })

	now := e.snippets(t, "c=bnv&layout=badge&size=192&theme=light")["snippet-script"]
	was := scriptTag.FindStringSubmatch(recorded["snippet-script"])[1]
	if is := scriptTag.FindStringSubmatch(now)[1]; is == was || !strings.HasPrefix(is, moved) {
		t.Errorf("after the upgrade the page pins %s; want the new release at %s", is, moved)
	}
	forms := map[string]string{"recorded-script": recorded["snippet-script"], "recorded-img": recorded["snippet-img"], "recorded-iframe": recorded["snippet-iframe"]}
	for k, v := range old {
		forms[k] = v
	}
	keys := make([]string, 0, len(forms))
	for k := range forms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Run(k, func(t *testing.T) {
			ctx := e.open(t, devices[0], e.portal.add("upgrade-"+k+".html", columnPage("", forms[k]), ""))
			switch {
			case strings.HasSuffix(k, "iframe"):
				waitFrameImage(t, ctx, e.badge+"/e/bnv")
			case strings.HasSuffix(k, "img"):
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("img"); return !!i && i.complete && i.naturalWidth > 0; })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
					t.Fatalf("the image did not load: %v", err)
				}
			default:
				b := waitBadges(t, ctx, 1)
				if len(b) != 1 || b[0].NaturalWidth <= 0 || !strings.HasPrefix(b[0].Href, e.badge+"/go/bnv") {
					t.Errorf("after the upgrade %s renders %+v", k, b)
				}
			}
			e.screenshot(t, ctx, "upgrade-"+k)
		})
	}
	// The pinned names, byte for byte, from before the upgrade.
	for _, src := range []string{was, regexp.MustCompile(`src="([^"]+)"`).FindStringSubmatch(old["v1-script"])[1]} {
		u, _ := url.Parse(src)
		if r, err := http.Get(e.badge + u.Path); err != nil || r.StatusCode != 200 {
			t.Errorf("GET %s after the upgrade: %v %v", u.Path, r.StatusCode, err)
		}
	}
}
