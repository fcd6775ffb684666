package compliance_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/oabadge/oabadge/internal/compliance"
)

// The browser tests load test portals in Debian's Chromium to confirm that
// the checker's verdicts are what a visitor sees. Without Chromium they
// skip, unless OABADGE_REQUIRE_BROWSER=1 (which .ci/run sets) makes that a
// failure.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
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

// artifacts returns the directory where screenshots are kept:
// $OABADGE_ARTIFACTS, or out/browser at the repository root.
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

// newBrowser starts headless Chromium for one test and returns a context
// whose children are its tabs.
func newBrowser(t *testing.T) context.Context {
	exe := chromiumPath(t)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(alloc)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute) // a hung browser must not hang the suite
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// observeJS records CSP violations from before the page's first script; a
// script the browser adds itself, which no policy of the page can stop.
const observeJS = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.effectiveDirective + " " + e.blockedURI);
}, true);
`

// sight is what a visitor's browser shows of the badge.
type sight struct {
	Script     bool     // a badge rendered by the script, its image loaded
	Image      bool     // a plain <img> of the badge, loaded
	Frame      bool     // the iframe showing our frame page
	Violations []string // CSP violations on the page
}

func (s sight) shown() bool { return s.Script || s.Image || s.Frame }

// settledJS is true once the page has loaded and every badge image has
// loaded or failed.
const settledJS = `(() => {
  if (document.readyState !== "complete") return false;
  const imgs = [...document.images];
  for (const h of document.querySelectorAll("span")) if (h.shadowRoot) imgs.push(...h.shadowRoot.querySelectorAll("img"));
  return imgs.every(i => i.complete);
})()`

// sightJS reads what shows: images with a decoded bitmap (naturalWidth),
// in shadow roots (the script) and in the document (the image form).
const sightJS = `(() => {
  const loaded = i => i.complete && i.naturalWidth > 0 && i.src.includes("/b/");
  const hosts = [...document.querySelectorAll("span")].filter(s => s.shadowRoot);
  return {
    Script: hosts.some(h => [...h.shadowRoot.querySelectorAll("img")].some(loaded)),
    Image: [...document.querySelectorAll("img")].some(loaded),
    Violations: window.__violations || [],
  };
})()`

// look loads url in a new tab and reports what a visitor sees.
func look(t *testing.T, browser context.Context, url string) sight {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: observeJS}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](settledJS, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for %s to settle: %v", url, err)
	}
	// The frame first: a blocked frame's violation comes when it tries.
	framed := frameShown(t, tab)
	s, err := chromedp.Run(tab, chromedp.Evaluate[sight](sightJS))
	if err != nil {
		t.Fatal(err)
	}
	s.Frame = framed
	return s
}

// frameShown reports whether an iframe of the page shows our frame page
// with its image loaded. A frame the policy blocks is left on an error
// page; a frame that loaded is looked into (same site: 127.0.0.1).
func frameShown(t *testing.T, tab context.Context) bool {
	t.Helper()
	has, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!!document.querySelector("iframe")`))
	if err != nil || !has {
		return false
	}
	// A lazy frame attaches, navigates and loads on its own schedule: look
	// until it shows or fails, within a bound. A frame of another origin
	// runs as a target of its own, and is looked into there.
	for i := range 200 {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		tree, err := chromedp.Call(tab, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tree.FrameTree.ChildFrames {
			if f := c.Frame; f.UnreachableURL != "" || strings.HasPrefix(f.URL, "chrome-error:") {
				return false
			}
		}
		infos, err := chromedp.Targets(tab)
		if err != nil {
			continue // a target went away while listed: look again
		}
		for _, info := range infos {
			// A frame of another origin is a target of its own, whose
			// parent frame is this tab's.
			if info.Type != "iframe" || info.ParentFrameID != tree.FrameTree.Frame.ID || !strings.Contains(info.URL, "/e/") {
				continue
			}
			fctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			ok, err := chromedp.Run(fctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector("img"); return !!(i && i.complete && i.naturalWidth > 0); })()`))
			cancel()
			if err == nil && ok {
				return true
			}
		}
	}
	return false
}

// verdictCase is one portal page: a policy and a snippet, or special markup.
type verdictCase struct {
	name, csp, head, body string
	form                  string // the snippet, for the merged-policy test; "" for markup of its own
}

// verdictCases are the policies × forms of the verdict table, and pages
// whose markup is there but broken.
func verdictCases(o *badgeOrigin) []verdictCase {
	O := o.URL
	_, hashSrc, _ := strings.Cut(o.integrity, "-")
	policies := []struct{ name, csp string }{
		{"no policy", ""},
		{"img * data:, script self", "img-src * data:; script-src 'self'"},
		{"script ours, img self", "img-src 'self'; script-src 'self' " + O},
		{"default self", "default-src 'self'"},
		{"default self, img and script ours", "default-src 'self'; img-src 'self' " + O + "; script-src 'self' " + O},
		{"default none, all ours", "default-src 'none'; img-src " + O + "; script-src " + O + "; frame-src " + O},
		{"img path /b/", "img-src " + O + "/b/; script-src " + O},
		{"strict-dynamic", "script-src 'nonce-abc' 'strict-dynamic'; img-src *"},
		{"script ours, img data only", "script-src 'self' " + O + "; img-src data:"},
		{"child-src ours", "child-src " + O},
		{"frame self, img any", "frame-src 'self'; img-src *"},
		{"https only", "img-src https:; script-src https:; frame-src https:"},
		{"http scheme", "img-src http:; script-src http:; frame-src http:"},
		{"script-src-elem ours", "script-src-elem " + O + "; script-src 'none'; img-src *"},
		{"default any", "default-src *"},
		{"sandbox", "sandbox allow-same-origin allow-popups"},
		{"hash of the script", "script-src 'sha384-" + hashSrc + "'; img-src *"},
		{"two policies", "img-src *, img-src 'self'"},
		{"wildcard port", "img-src 127.0.0.1:*; script-src 127.0.0.1:*; frame-src 127.0.0.1:*"},
		{"no port", "img-src 127.0.0.1; script-src 127.0.0.1; frame-src 127.0.0.1"},
	}
	var out []verdictCase
	for _, p := range policies {
		for _, f := range []string{"script", "reserved", "img", "iframe"} {
			out = append(out, verdictCase{name: p.name + " / " + f, csp: p.csp, body: o.snippet(f, "bnv"), form: f})
		}
	}
	script := o.snippet("script", "bnv")
	out = append(out,
		verdictCase{name: "meta policy in head / script", head: `<meta http-equiv="Content-Security-Policy" content="img-src 'self'">`, body: script},
		verdictCase{name: "meta policy in body / script", body: `<meta http-equiv="Content-Security-Policy" content="script-src 'none'">` + script},
		verdictCase{name: "meta policy in head / img", head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'">`, body: o.snippet("img", "bnv")},
		verdictCase{name: "pinned script 404", body: strings.Replace(script, o.file, "v1-00000000aa.js", 1)},
		verdictCase{name: "integrity mismatch", body: strings.Replace(script, o.integrity, "sha384-"+strings.Repeat("A", 64), 1)},
		verdictCase{name: "integrity without crossorigin", body: strings.Replace(script, ` crossorigin="anonymous"`, "", 1)},
		verdictCase{name: "unpinned script without integrity", body: `<div data-oabadge="bnv"></div><script async src="` + O + `/embed.js"></script>`},
		verdictCase{name: "noscript only", body: `<noscript>` + o.snippet("img", "bnv") + `</noscript>`},
		verdictCase{name: "placeholder without script", body: `<div data-oabadge="bnv"></div>`},
		verdictCase{name: "consent manager holds the script", body: strings.Replace(script, "<script ", `<script type="text/plain" `, 1)},
		verdictCase{name: "nonce with strict-dynamic", csp: "script-src 'nonce-abc' 'strict-dynamic'; img-src *", body: strings.Replace(script, "<script ", `<script nonce="abc" `, 1)},
		verdictCase{name: "image of an unknown campaign", body: strings.ReplaceAll(o.snippet("img", "bnv"), "/b/bnv.", "/b/ghost.")},
	)
	return out
}

// TestVerdictsMatchChromium checks every verdict of the table against
// what Chromium shows: the checker says embedded exactly when the badge's
// image renders (naturalWidth > 0, in the shadow root, the <img> or the
// frame), and a page it calls blocked has a CSP violation for our origin.
func TestVerdictsMatchChromium(t *testing.T) {
	b := newBrowser(t)
	o := newBadgeOrigin(t, map[string]string{"bnv": "https://zalo.me/1111"})
	cases := verdictCases(o)
	var agencies []compliance.Agency
	urls := map[string]string{}
	for i, c := range cases {
		u := portal(t, headPage(c.csp, c.head, c.body))
		urls[c.name] = u
		agencies = append(agencies, compliance.Agency{ID: int64(i + 1), Name: c.name, Homepage: u})
	}
	c := &compliance.Checker{PublicURL: o.URL, Timeout: 10 * time.Second, AllowPrivate: true}
	results := c.Check(context.Background(), agencies, []string{"bnv"})
	// One tab at a time: a tab in the background does not load a lazy
	// iframe, as a visitor's would not.
	sights := make([]sight, len(cases))
	for i, tc := range cases {
		sights[i] = look(t, b, urls[tc.name])
	}
	var table strings.Builder
	table.WriteString("| page | policy | checker | Chromium shows | violations | agree |\n|---|---|---|---|---|---|\n")
	agree := 0
	for i, r := range results {
		tc, s := cases[i], sights[i]
		t.Run(tc.name, func(t *testing.T) {
			ours := 0
			for _, v := range s.Violations {
				if strings.Contains(v, o.URL) {
					ours++
				}
			}
			ok := (r.Status == compliance.Embedded) == s.shown() && (r.Status != compliance.Blocked || ours > 0)
			if ok {
				agree++
			} else {
				t.Errorf("checker: %s (%s); Chromium: %+v", r.Status, r.Reason, s)
			}
			fmt.Fprintf(&table, "| %s | `%s` | %s | %v | %d | %v |\n", tc.name, tc.csp, r.Status, s.shown(), len(s.Violations), ok)
		})
	}
	fmt.Fprintf(&table, "\n%d of %d verdicts agree with Chromium\n", agree, len(results))
	t.Logf("%d of %d verdicts agree with Chromium", agree, len(results))
	if err := os.WriteFile(filepath.Join(artifacts(t), "checker-verdicts.md"), []byte(table.String()), 0o644); err != nil {
		t.Error(err)
	}
}

// TestMergedPolicyInChromium serves every policy of the table that blocks
// a snippet with the policy MergeCSP makes of it: the checker then says
// embedded, and Chromium shows the badge with no CSP violation at all.
func TestMergedPolicyInChromium(t *testing.T) {
	b := newBrowser(t)
	o := newBadgeOrigin(t, map[string]string{"bnv": "https://zalo.me/1111"})
	type merged struct {
		name, policy string
		form         compliance.Form
	}
	var todo []merged
	for _, tc := range verdictCases(o) {
		if tc.form == "" || tc.form == "reserved" || tc.csp == "" {
			continue // the reserved box's style attribute is the portal's own inline style
		}
		form, err := compliance.ParseForm(tc.form)
		if err != nil {
			t.Fatal(err)
		}
		m, err := compliance.MergeCSP(tc.csp, o.URL, form)
		if err != nil {
			t.Logf("%s: no merge (%v)", tc.name, err)
			continue
		}
		todo = append(todo, merged{tc.name, m, form})
	}
	var agencies []compliance.Agency
	for i, m := range todo {
		body := o.snippet(map[compliance.Form]string{compliance.FormScript: "script", compliance.FormImage: "img", compliance.FormFrame: "iframe"}[m.form], "bnv")
		agencies = append(agencies, compliance.Agency{ID: int64(i + 1), Name: m.name, Homepage: portal(t, headPage(m.policy, "", body))})
	}
	c := &compliance.Checker{PublicURL: o.URL, Timeout: 10 * time.Second, AllowPrivate: true}
	results := c.Check(context.Background(), agencies, []string{"bnv"})
	shown := 0
	for i, r := range results {
		s := look(t, b, agencies[i].Homepage)
		t.Run(todo[i].name, func(t *testing.T) {
			if r.Status != compliance.Embedded || !s.shown() || len(s.Violations) != 0 {
				t.Errorf("merged policy %q: checker %s (%s); Chromium %+v", todo[i].policy, r.Status, r.Reason, s)
				return
			}
			shown++
		})
	}
	t.Logf("%d of %d merged policies show the badge with no violation", shown, len(todo))
}

// TestRenderCheck runs the --render check on local portals: it records
// embedded only when the badge's code, read from a screenshot, scans to
// the campaign's current target.
func TestRenderCheck(t *testing.T) {
	chromiumPath(t)
	o := newBadgeOrigin(t, map[string]string{"bnv": "https://zalo.me/1111", "tinh": "https://zalo.me/2222"})
	// A private address the render must not reach, though a page asks.
	private, privateHits := counted(t, "127.0.0.2:0", htmlPage("", "private"))
	pages := []struct {
		name, csp, body, slug, want, reason string
	}{
		{"image", "", o.snippet("img", "bnv"), "bnv", compliance.Embedded, "image form shows the badge and its code scans to the campaign's current target"},
		{"script", "", o.snippet("script", "bnv"), "bnv", compliance.Embedded, "script form shows"},
		{"iframe", "", o.snippet("iframe", "bnv"), "bnv", compliance.Embedded, "iframe form shows"},
		{"blocked", "img-src 'self'", o.snippet("img", "bnv"), "bnv", compliance.Blocked, "Chromium shows no badge either"},
		{"rotated", "", o.snippet("img", "tinh"), "tinh", compliance.Broken, "another address than the campaign's current target"},
		{"hidden", "", `<div style="display:none">` + o.snippet("img", "bnv") + `</div>`, "bnv", compliance.Broken, "no badge appeared"},
		{"too small", "", strings.Replace(o.snippet("img", "bnv"), `width="192" height="240"`, `width="24" height="30"`, 1), "bnv", compliance.Broken, "does not scan"},
		{"reaches out", "", o.snippet("img", "bnv") + `<img src="http://` + private + `/x.png"><iframe src="http://` + private + `/"></iframe>`, "bnv", compliance.Embedded, ""},
	}
	dir := t.TempDir()
	var agencies []compliance.Agency
	for i, p := range pages {
		agencies = append(agencies, compliance.Agency{ID: int64(i + 1), Name: p.name, Homepage: portal(t, htmlPage(p.csp, p.body))})
	}
	c := &compliance.Checker{
		PublicURL: o.URL, Timeout: 10 * time.Second,
		AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, // the portals and the badge origin; not 127.0.0.2
		Render: &compliance.Renderer{Dir: dir, Timeout: 40 * time.Second, Code: func(slug string) (string, bool) {
			return map[string]string{"bnv": "https://zalo.me/1111", "tinh": "https://zalo.me/9999"}[slug], true
		}},
	}
	results := map[string]compliance.Result{}
	for _, r := range c.Check(context.Background(), agencies, []string{"bnv", "tinh"}) {
		results[r.Agency+"/"+r.Campaign] = r
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			r := results[p.name+"/"+p.slug]
			if r.Status != p.want || !strings.Contains(r.Reason, p.reason) || !r.Rendered {
				t.Errorf("%s (%s), rendered %v; want %s (%q)", r.Status, r.Reason, r.Rendered, p.want, p.reason)
			}
			if r.Status == compliance.Embedded {
				if _, err := os.Stat(filepath.Join(dir, r.Screenshot)); r.Screenshot == "" || err != nil {
					t.Errorf("no screenshot kept (%q): %v", r.Screenshot, err)
				}
			}
		})
	}
	if n := privateHits.Load(); n != 0 {
		t.Errorf("the render reached a private address %d times", n)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.referred != 0 {
		t.Errorf("%d requests to this server carried a Referer or an Origin without the checker's mark: a render would count as the portal's impression", o.referred)
	}
}
