package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// recordViolations is run in every page before its own content: it keeps
// the CSP violations the page causes.
const recordViolations = `window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile);
});`

// runAxe checks the page against WCAG 2.0 to 2.2 A and AA and axe's best
// practices, and returns one line per violation and node.
const runAxe = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]}})
  .then(function (r) {
    var out = [];
    r.violations.forEach(function (v) {
      v.nodes.forEach(function (n) { out.push(v.id + " (" + v.impact + "): " + n.target.join(" ") + ": " + n.failureSummary.replace(/\s+/g, " ")); });
    });
    return JSON.stringify(out);
  })`

// TestReportPageInBrowser loads the report page of a register of 120
// agencies with 30 days of history in Chromium, in the light and the dark
// theme, and on a phone: the charts draw (no CSP violation), the page
// passes axe-core when OABADGE_AXE names it, and the screenshots are kept
// as report-light.png, report-dark.png and report-phone.png in the
// artifacts directory.
func TestReportPageInBrowser(t *testing.T) {
	exe := chromiumPath(t)
	f := newAdminFixture(t, false)
	seedProgress(t, f.app, 120, f.clock.Now())
	ts := httptest.NewServer(f.h)
	t.Cleanup(ts.Close)
	out := artifacts(t)
	axe := axeJS(t)

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	bctx, cancel = context.WithTimeout(bctx, 2*time.Minute) // a hung browser must not hang the suite
	t.Cleanup(cancel)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}

	for _, c := range []struct {
		name, scheme, lang string
		width              int64 // a phone's, or 0 for the window's
	}{{"light", "light", "vi", 0}, {"dark", "dark", "en", 0}, {"phone", "light", "vi", 390}} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(bctx)
			defer cancel()
			if c.width > 0 {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(c.width, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Authorization": "Bearer " + f.tokens["vi"]}}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: c.scheme}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordViolations}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/admin/report?lang="+c.lang)); err != nil {
				t.Fatal(err)
			}
			charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart").length`))
			if err != nil {
				t.Fatal(err)
			}
			violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__violations`))
			if err != nil {
				t.Fatal(err)
			}
			if charts != 3 || len(violations) != 0 {
				t.Errorf("%d charts drawn, CSP violations %q; want 3 and none", charts, violations)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, "report-"+c.name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if axe == "" || c.width > 0 {
				return // the same page as in the light theme, narrower
			}
			if _, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: axe}); err != nil {
				t.Fatal(err)
			}
			found, err := chromedp.Run(ctx, chromedp.Evaluate[string](runAxe, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			if err := json.Unmarshal([]byte(found), &lines); err != nil {
				t.Fatal(err)
			}
			if len(lines) > 0 {
				t.Errorf("axe-core finds %d violation(s) in the %s theme:\n%s", len(lines), c.scheme, strings.Join(lines, "\n"))
			}
		})
	}
}
