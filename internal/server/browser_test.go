package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/store"
)

// The browser tests drive Debian's Chromium headless against the real
// server, with the test pages served from another origin, as a portal
// would serve them. Without Chromium they skip, unless
// OABADGE_REQUIRE_BROWSER=1 (which .ci/run sets) makes that a failure.

const caption = "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ"

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("OABADGE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("OABADGE_REQUIRE_BROWSER") == "1" {
		t.Fatal("Chromium is required (OABADGE_REQUIRE_BROWSER=1) but not found")
	}
	t.Skip("no Chromium: install Debian's chromium (as .ci/run does) to run the browser tests")
	return ""
}

// artifacts returns the directory where screenshots and measurements are
// kept: $OABADGE_ARTIFACTS, or out/browser at the repository root.
func artifacts(t *testing.T) string {
	dir := os.Getenv("OABADGE_ARTIFACTS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "out", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type browserEnv struct {
	badge  string // the badge server's public URL
	ts     *httptest.Server
	cfg    config.Config
	h      atomic.Pointer[http.Handler] // the program serving, swapped by rebuild
	hits   hits                         // requests the badge server answered
	st     store.Store
	app    *app.App
	svc    *campaign.Service
	portal *portal
	ctx    context.Context
	out    string
}

// portal serves test pages from a different origin than the badge server.
type portal struct {
	srv   *httptest.Server
	pages map[string]portalPage
}

type portalPage struct {
	body string
	csp  string
}

func (p *portal) add(name, body, csp string) string {
	p.pages["/"+name] = portalPage{body, csp}
	return p.srv.URL + "/" + name
}

func newBrowserEnv(t *testing.T, twoPerson bool) *browserEnv {
	exe := chromiumPath(t)
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	cfg := testConfig(t)
	cfg.PublicURL, cfg.CacheMaxAge, cfg.TwoPerson = base, time.Minute, twoPerson
	f := newApp(t, cfg, app.Options{})
	for _, c := range []campaign.Campaign{
		{Slug: "bnv", Title: "Zalo OA Bộ Nội vụ", Caption: caption, Target: "https://zalo.me/1111"},
		{Slug: "tinh", Title: "Zalo OA UBND tỉnh", Caption: "Theo dõi Zalo OA UBND tỉnh", Target: "https://zalo.me/2222"},
	} {
		f.create(t, c)
	}
	st, svc, srv := f.st, f.svc, f.srv
	env := &browserEnv{badge: base, ts: ts, cfg: cfg}
	h := srv.Handler()
	env.h.Store(&h)
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		(*env.h.Load()).ServeHTTP(cw, r)
		env.hits.add(r.URL.RequestURI(), r.Header.Get("Referer"), cw.n)
	})
	ts.Start()
	t.Cleanup(ts.Close)

	p := &portal{pages: map[string]portalPage{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg, ok := p.pages[r.URL.Path]
		switch {
		case r.URL.Path == "/late.js":
			// Inserts the snippet's script only after the page has been
			// painted, as a slow network would, so any shift it caused
			// would be seen.
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, lateJS)
			return
		case r.URL.Path == "/observe.js":
			// Records CSP violations and layout shifts; an external file so
			// that a strict CSP allows it.
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, observeJS)
			return
		case !ok:
			http.NotFound(w, r)
			return
		}
		if pg.csp != "" {
			w.Header().Set("Content-Security-Policy", pg.csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pg.body)
	}))
	t.Cleanup(p.srv.Close)

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(alloc)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 10*time.Minute) // a hung browser must not hang the suite
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	env.st, env.app, env.svc, env.portal, env.ctx, env.out = st, f.app, svc, p, ctx, artifacts(t)
	return env
}

// rebuild closes the program and builds it again on the same database
// with cfg changed by mod, serving on the same address, as an upgrade does.
func (e *browserEnv) rebuild(t *testing.T, mod func(*config.Config)) {
	t.Helper()
	e.app.Close()
	cfg := e.cfg
	mod(&cfg)
	f := newApp(t, cfg, app.Options{})
	h := f.srv.Handler()
	e.h.Store(&h)
	e.st, e.app, e.svc = f.st, f.app, f.svc
}

const observeJS = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
window.__cls = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { if (!e.hadRecentInput) window.__cls += e.value; });
}).observe({ type: "layout-shift", buffered: true });
`

// tab opens a new tab for one subtest.
func (e *browserEnv) tab(t *testing.T) context.Context {
	ctx, cancel := chromedp.NewContext(e.ctx)
	t.Cleanup(cancel)
	return ctx
}

func (e *browserEnv) screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(e.out, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// snippets reads the snippets from the webmaster page, as a webmaster would
// copy them.
func (e *browserEnv) snippets(t *testing.T, query string) map[string]string {
	t.Helper()
	resp, err := http.Get(e.badge + "/?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<textarea id="([a-z-]+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	for _, id := range []string{"snippet-script", "snippet-img", "snippet-iframe"} {
		if out[id] == "" {
			t.Fatalf("the webmaster page has no %s:\n%s", id, b)
		}
	}
	return out
}

func portalHTML(head, body string) string {
	return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><script src="/observe.js"></script>` + head +
		`</head><body><p id="before">Cổng thông tin điện tử — trang chủ</p>` + body + `<p id="after">Nội dung tiếp theo</p></body></html>`
}

// badgeInfo is what a test learns about each rendered badge.
type badgeInfo struct {
	Href, Label, Target, Rel, Src string
	NaturalWidth                  int
	Width, Height                 float64 // the host's layout box, before any transform of the page's
	ImgWidth, ImgHeight           float64
	InShadow                      bool
	Button                        string
}

const readBadges = `(() => {
  const hosts = [...document.querySelectorAll("span")].filter(s => s.shadowRoot && s.shadowRoot.querySelector("a"));
  return hosts.map(h => {
    const a = h.shadowRoot.querySelector("a"), img = h.shadowRoot.querySelector("img"), r = h.getBoundingClientRect();
    const b = h.shadowRoot.querySelector("a > span");
    return { Href: a.href, Label: a.getAttribute("aria-label"), Target: a.target, Rel: a.rel, Src: img.currentSrc || img.src,
      NaturalWidth: img.naturalWidth, Width: h.offsetWidth, Height: h.offsetHeight, ImgWidth: img.offsetWidth, ImgHeight: img.offsetHeight, InShadow: true, Button: b ? b.textContent : "" };
  });
})()`

const imagesLoaded = `(() => {
  const hosts = [...document.querySelectorAll("span")].filter(s => s.shadowRoot);
  return hosts.length >= %d && hosts.every(h => { const i = h.shadowRoot.querySelector("img"); return i && i.complete && i.naturalWidth > 0; });
})()`

func waitBadges(t *testing.T, ctx context.Context, n int) []badgeInfo {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(imagesLoaded, n), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %d loaded badges: %v", n, err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]badgeInfo](readBadges))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// linkNames returns the accessible names of the links in the page's
// accessibility tree, as a screen reader gets them.
func linkNames(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return axNames(t, ctx, "link")
}

// axNames returns the accessible names of the nodes of a role.
func axNames(t *testing.T, ctx context.Context, want string) []string {
	t.Helper()
	res, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range res.Nodes {
		if n.Role == nil || n.Name == nil {
			continue
		}
		var role, name string
		_ = json.Unmarshal(n.Role.Value, &role)
		_ = json.Unmarshal(n.Name.Value, &name)
		if role == want {
			names = append(names, name)
		}
	}
	return names
}

func TestEmbedInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	sn := e.snippets(t, "c=bnv&size=192&layout=badge&theme=light")

	t.Run("HostileCSSTwoBadgesScriptTwice", func(t *testing.T) {
		hostile := `<style>
body * { line-height: 0 !important; opacity: .2 !important; filter: blur(4px) !important; transform: scale(.5) !important; box-sizing: border-box !important; padding: 9px !important; }
img { width: 10px !important; height: 10px !important; display: none !important; max-width: 1px !important; }
a { display: none !important; font-size: 0 !important; pointer-events: none !important; }
svg, button { display: none !important; }
span { width: 1px !important; height: 1px !important; overflow: visible !important; position: absolute !important; visibility: hidden !important; }
</style>`
		second := strings.Replace(sn["snippet-script"], `data-oabadge="bnv"`, `data-oabadge="tinh"`, 1)
		second = strings.Replace(second, `alt="`+caption+`"`, `alt="Theo dõi Zalo OA UBND tỉnh"`, 1)
		plain := regexp.MustCompile(`<script [^>]*></script>`).FindString(sn["snippet-script"])
		plain = regexp.MustCompile(` data-[a-z]+="[^"]*"`).ReplaceAllString(plain, "")
		url := e.portal.add("hostile.html", portalHTML(hostile, sn["snippet-script"]+second+plain), "")
		ctx := e.tab(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		badges := waitBadges(t, ctx, 2)
		if len(badges) != 2 {
			t.Fatalf("%d badges on the page, want exactly 2: %+v", len(badges), badges)
		}
		wantHref := map[string]string{e.badge + "/go/bnv": caption, e.badge + "/go/tinh": "Theo dõi Zalo OA UBND tỉnh"}
		for _, b := range badges {
			label, ok := wantHref[b.Href]
			if !ok || b.Label != label {
				t.Errorf("badge links to %q named %q; want one of %v", b.Href, b.Label, wantHref)
			}
			if b.NaturalWidth <= 0 || b.Width != 192 || b.Height != 240 || b.ImgWidth != 192 || b.ImgHeight != 240 {
				t.Errorf("badge %s: natural width %d, box %vx%v, image %vx%v; want a loaded image filling a 192x240 box despite the hostile CSS",
					b.Href, b.NaturalWidth, b.Width, b.Height, b.ImgWidth, b.ImgHeight)
			}
			if b.Target != "_blank" || !strings.Contains(b.Rel, "noopener") {
				t.Errorf("badge %s opens with target %q rel %q", b.Href, b.Target, b.Rel)
			}
		}
		names := strings.Join(linkNames(t, ctx), "|")
		for _, label := range wantHref {
			if !strings.Contains(names, label) {
				t.Errorf("no link named %q in the accessibility tree (links: %s)", label, names)
			}
		}
		globals := evalJS[[]string](t, ctx, `Object.keys(window).filter(k => k.startsWith("oabadge") || k === "B" || k === "G")`)
		if len(globals) != 1 || globals[0] != "oabadge" {
			t.Errorf("globals defined: %v, want only oabadge", globals)
		}
		if c := evalJS[string](t, ctx, `document.cookie`); c != "" {
			t.Errorf("the embed set cookies: %q", c)
		}
		// Keyboard: the first Tab reaches a badge's link.
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		if tag := evalJS[string](t, ctx, `(document.activeElement.shadowRoot && document.activeElement.shadowRoot.activeElement || document.activeElement).tagName`); tag != "A" {
			t.Errorf("Tab focused %s, want the badge's link", tag)
		}
		e.screenshot(t, ctx, "hostile-css")
	})

	t.Run("StrictCSP", func(t *testing.T) {
		portalOrigin := e.portal.srv.URL
		csp := fmt.Sprintf("default-src 'self'; script-src 'self' %s; img-src 'self' %s; style-src 'self' %s", e.badge, e.badge, e.badge)
		url := e.portal.add("strict.html", portalHTML("", sn["snippet-script"]+`<div data-oabadge="tinh" data-label="Theo dõi Zalo OA UBND tỉnh"></div>`), csp)
		ctx := e.tab(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		badges := waitBadges(t, ctx, 2)
		if len(badges) != 2 {
			t.Fatalf("%d badges under a strict CSP, want 2", len(badges))
		}
		time.Sleep(200 * time.Millisecond) // let late violation reports arrive; nothing is timed
		if v := evalJS[[]string](t, ctx, `window.__violations`); len(v) != 0 {
			t.Errorf("CSP violations on %s under %q: %v", portalOrigin, csp, v)
		}
		e.screenshot(t, ctx, "strict-csp")
	})

	t.Run("NoScriptFallback", func(t *testing.T) {
		url := e.portal.add("noscript.html", portalHTML("", sn["snippet-script"]), "")
		ctx := e.tab(t)
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("noscript + *, a > img") || document.querySelector("img"); return !!i && i.complete && i.naturalWidth > 0; })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("the noscript image did not load: %v", err)
		}
		got := evalJS[map[string]any](t, ctx, `(() => { const i = document.querySelector("img"); return { w: i.naturalWidth, alt: i.alt, href: i.closest("a").href }; })()`)
		if got["alt"] != caption || got["href"] != e.badge+"/go/bnv" {
			t.Errorf("noscript fallback: %v", got)
		}
		e.screenshot(t, ctx, "noscript")
	})

	t.Run("SandboxedIframe", func(t *testing.T) {
		url := e.portal.add("iframe.html", portalHTML("", sn["snippet-iframe"]), "")
		ctx := e.tab(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sn["snippet-iframe"], `sandbox="allow-popups allow-popups-to-escape-sandbox"`) {
			t.Fatalf("the iframe snippet is not sandboxed: %s", sn["snippet-iframe"])
		}
		var loaded map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			loaded = frameImage(t, ctx, e.badge+"/e/bnv")
			if w, _ := loaded["w"].(float64); w > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if w, _ := loaded["w"].(float64); w <= 0 || loaded["alt"] != caption || loaded["scroll"] != false {
			t.Errorf("inside the sandboxed iframe: %v; want a loaded image named by the caption, no scrollbars", loaded)
		}
		e.screenshot(t, ctx, "iframe")
	})

	t.Run("PhoneAndDarkMode", func(t *testing.T) {
		auto := strings.Replace(sn["snippet-script"], `data-theme="light"`, `data-theme="auto"`, 1)
		url := e.portal.add("phone.html", `<!doctype html><meta name="viewport" content="width=device-width">`+portalHTML("", auto), "")
		ctx := e.tab(t)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		b := waitBadges(t, ctx, 1)
		if b[0].Button != "Mở Zalo OA" {
			t.Errorf("on a phone the badge has button %q, want \"Mở Zalo OA\"", b[0].Button)
		}
		if !strings.Contains(b[0].Src, "theme=dark") {
			t.Errorf("data-theme=auto in dark mode loaded %s, want the dark theme", b[0].Src)
		}
		e.screenshot(t, ctx, "phone-dark")
	})

	t.Run("EmbedSize", func(t *testing.T) {
		resp, err := http.Get(e.badge + "/embed.js")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(body)
		w.Close()
		t.Logf("embed.js: %d bytes, %d gzipped", len(body), gz.Len())
		report(t, e, "embed.js size", fmt.Sprintf("%d bytes, %d gzipped", len(body), gz.Len()))
		if gz.Len() > 2048 {
			t.Errorf("embed.js is %d bytes gzipped, over the 2 KiB budget", gz.Len())
		}
	})
}

// frameImage reads the image inside the badge's iframe. Chromium runs a
// sandboxed frame in its own process, as a target of its own: attach to
// that target and evaluate there.
func frameImage(t *testing.T, ctx context.Context, prefix string) map[string]any {
	t.Helper()
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range targets {
		if info.Type != "iframe" || !strings.HasPrefix(info.URL, prefix) {
			continue
		}
		fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
		defer cancel()
		v, err := chromedp.Run(fctx, chromedp.Evaluate[map[string]any](
			`(() => { const i = document.querySelector("img"); if (!i) return {}; const d = document.documentElement;
			   return { w: i.naturalWidth, alt: i.alt, scroll: d.scrollWidth > d.clientWidth || d.scrollHeight > d.clientHeight }; })()`))
		if err != nil {
			t.Logf("evaluating in the frame: %v", err)
			return nil
		}
		return v
	}
	return nil
}

// report appends a measurement to the artifacts' results file.
func report(t *testing.T, e *browserEnv, what, value string) {
	f, err := os.OpenFile(filepath.Join(e.out, "results.txt"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s: %s\n", time.Now().UTC().Format(time.RFC3339), what, value)
}

// clickAndWait clicks sel and waits for the page it leads to to load.
func clickAndWait(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	loaded := chromedp.Events(ctx, page.LoadEventFired)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	for _, err := range loaded {
		if err != nil {
			t.Fatalf("waiting for the page after %s: %v", sel, err)
		}
		break
	}
}

func signInBrowser(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin")); err != nil {
		t.Fatal(err)
	}
	if path := evalJS[string](t, ctx, `location.pathname`); path != "/admin/login" {
		t.Fatalf("an anonymous visit to /admin ended at %s, want the sign-in page", path)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), consolePassword)); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, ctx, `form button[type="submit"]`)
	if path := evalJS[string](t, ctx, `location.pathname`); path != "/admin" {
		t.Fatalf("after signing in as %s the page is %s", name, path)
	}
}

const consolePassword = "mật-khẩu-thử-nghiệm-dài"

// TestConsoleInBrowser drives the admin console under the two-person rule:
// alice signs in and rotates with a preview, bob approves, bob rolls back,
// alice approves that.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, true)
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if _, err := e.app.Auth.CreateAccount(ctx, name, "admin", consolePassword, auth.Operator("test", "v-test")); err != nil {
			t.Fatal(err)
		}
	}
	alice := e.tab(t)
	bobCtx, cancel := chromedp.NewContext(e.ctx, chromedp.WithNewBrowserContext()) // his own cookies
	t.Cleanup(cancel)

	signInBrowser(t, alice, e.badge, "alice")
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/c/bnv")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(alice, chromedp.SendKeys(chromedp.CSS(`input[name="target"]`), "https://zalo.me/4242424242")); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, alice, `form[action$="/preview"] button`)
	if _, err := chromedp.Run(alice, chromedp.Poll[bool](`document.getElementById("preview").complete && document.getElementById("preview").naturalWidth > 0`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the preview badge did not load: %v", err)
	}
	if got := evalJS[string](t, alice, `document.getElementById("new-target").textContent`); got != "https://zalo.me/4242424242" {
		t.Errorf("the preview shows target %q", got)
	}
	e.screenshot(t, alice, "console-preview")
	clickAndWait(t, alice, `#confirm`)
	if c, _ := e.svc.Served(ctx, "bnv"); c.Version != 1 {
		t.Fatalf("under the two-person rule the rotation applied at once: %+v", c)
	}
	if n := evalJS[string](t, alice, `document.querySelector(".flash.notice") ? document.querySelector(".flash.notice").textContent : ""`); n == "" {
		t.Error("no notice that the change waits for approval")
	}
	// Alice sees no approve button on her own proposal.
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/approvals")); err != nil {
		t.Fatal(err)
	}
	if n := evalJS[int](t, alice, `document.querySelectorAll("button.approve").length`); n != 0 {
		t.Errorf("alice is offered %d approve buttons on her own proposal", n)
	}

	signInBrowser(t, bobCtx, e.badge, "bob")
	if err := chromedp.Do(bobCtx, chromedp.Navigate(e.badge+"/admin/approvals")); err != nil {
		t.Fatal(err)
	}
	e.screenshot(t, bobCtx, "console-approvals")
	clickAndWait(t, bobCtx, `button.approve`)
	if c, _ := e.svc.Served(ctx, "bnv"); c.Version != 2 || c.Target != "https://zalo.me/4242424242" {
		t.Fatalf("after bob's approval: %+v", c)
	}
	// Bob rolls back to version 1 from the history; alice approves.
	if err := chromedp.Do(bobCtx, chromedp.Navigate(e.badge+"/admin/c/bnv")); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, bobCtx, `form[action$="/rollback"] button`)
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/approvals")); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, alice, `button.approve`)
	if c, _ := e.svc.Served(ctx, "bnv"); c.Version != 3 || c.Target != "https://zalo.me/1111" {
		t.Fatalf("after the rollback: %+v", c)
	}
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/c/bnv")); err != nil {
		t.Fatal(err)
	}
	if rows := evalJS[int](t, alice, `document.querySelectorAll("table tbody tr").length`); rows != 3 {
		t.Errorf("the history shows %d rows, want 3", rows)
	}
	e.screenshot(t, alice, "console-campaign")
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/audit")); err != nil {
		t.Fatal(err)
	}
	e.screenshot(t, alice, "console-audit")
	if _, err := e.st.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}
