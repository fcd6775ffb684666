package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
)

// The accessibility tests run axe-core (from the npm registry; .ci/run
// installs it and sets OABADGE_AXE) inside the real pages in Chromium.
// Without it they skip, unless OABADGE_REQUIRE_BROWSER=1.

var axeSource struct {
	once sync.Once
	src  string
	path string
}

// axeJS returns axe.min.js: $OABADGE_AXE, or out/axe/node_modules/axe-core
// at the repository root, where .ci/run installs it.
func axeJS(t *testing.T) string {
	t.Helper()
	axeSource.once.Do(func() {
		p := os.Getenv("OABADGE_AXE")
		if p == "" {
			_, file, _, _ := runtime.Caller(0)
			p = filepath.Join(filepath.Dir(file), "..", "..", "out", "axe", "node_modules", "axe-core", "axe.min.js")
		}
		if b, err := os.ReadFile(p); err == nil {
			axeSource.src, axeSource.path = string(b), p
		}
	})
	if axeSource.src == "" {
		if os.Getenv("OABADGE_REQUIRE_BROWSER") == "1" {
			t.Fatal("axe-core is required (OABADGE_REQUIRE_BROWSER=1) but OABADGE_AXE names no axe.min.js; .ci/run installs it from npm")
		}
		t.Skip("no axe-core: run `npm install axe-core` into out/axe (as .ci/run does) or set OABADGE_AXE to axe.min.js")
	}
	return axeSource.src
}

// axeTags are the rules run: WCAG 2.0, 2.1 and 2.2 at levels A and AA,
// and axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any  `json:"target"`
		FailureSummary string `json:"failureSummary"`
	}
}

// checkAxe runs axe on the page in ctx (open shadow roots included) and
// fails with every violation, by rule and element.
func checkAxe(t *testing.T, ctx context.Context, name string) int {
	t.Helper()
	src := axeJS(t)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.axe ? true : (function(){ `+src+`; return true; })()`)); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	tags, _ := json.Marshal(axeTags)
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, { runOnly: { type: "tag", values: `+string(tags)+` }, resultTypes: ["violations"], iframes: false }).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe on %s: %v", name, err)
	}
	for _, v := range res {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprintf("%v: %s", n.Target, strings.ReplaceAll(n.FailureSummary, "\n", " ")))
		}
		t.Errorf("%s: axe %s (%s): %s\n\t%s", name, v.ID, v.Impact, v.Help, strings.Join(where, "\n\t"))
	}
	return len(res)
}

// axeResults collects pages × violations for the report.
type axeResults struct {
	mu    sync.Mutex
	pages []string
}

func (a *axeResults) add(page string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pages = append(a.pages, fmt.Sprintf("%s=%d", page, n))
}

func (a *axeResults) String() string {
	sort.Strings(a.pages)
	return fmt.Sprintf("%d pages: %s", len(a.pages), strings.Join(a.pages, ", "))
}

func darkMode(t *testing.T, ctx context.Context, dark bool) {
	t.Helper()
	v := "light"
	if dark {
		v = "dark"
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}},
	}); err != nil {
		t.Fatal(err)
	}
}

// loaded waits for the page's images to load, so axe sees them.
func loaded(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := waitFor(ctx, `document.readyState === "complete" && [...document.images].every(i => i.complete)`); err != nil {
		t.Fatalf("waiting for the page to load: %v", err)
	}
}

// TestAxe runs axe on the webmaster page (both languages, every CMS), the
// iframe page in every theme, a portal page carrying each snippet on a
// desktop and a phone, and every console page in light and dark mode with
// data in it: pending proposals, a report with failing agencies.
func TestAxe(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	axeJS(t)
	e := newBrowserEnv(t, true)
	var results axeResults
	t.Cleanup(func() { report(t, e, "axe violations (pages × violations)", results.String()) })

	visit := func(t *testing.T, ctx context.Context, name, url string, dark bool) {
		darkMode(t, ctx, dark)
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		loaded(t, ctx)
		results.add(name, checkAxe(t, ctx, name))
	}

	t.Run("WebmasterPage", func(t *testing.T) {
		ctx := e.tab(t)
		for _, q := range []string{"", "lang=en", "cms=nukeviet", "cms=wordpress&lang=en", "cms=joomla&layout=card",
			"cms=other&policy=default-src+%27self%27&form=script#csp-h"} {
			for _, dark := range []bool{false, true} {
				visit(t, ctx, fmt.Sprintf("/?%s dark=%v", q, dark), e.badge+"/?"+q, dark)
			}
		}
	})
	t.Run("FramePage", func(t *testing.T) {
		ctx := e.tab(t)
		for _, theme := range []string{"light", "dark", "mono"} {
			for _, layout := range []string{"badge", "qr", "card"} {
				size := "192"
				if layout == "card" {
					size = "384"
				}
				visit(t, ctx, "/e/bnv "+theme+" "+layout, e.badge+"/e/bnv?layout="+layout+"&size="+size+"&theme="+theme, false)
			}
		}
	})
	t.Run("PortalWithSnippets", func(t *testing.T) {
		sn := e.snippets(t, "c=bnv&layout=badge&size=192&theme=auto")
		for _, form := range []string{"snippet-script", "snippet-img", "snippet-iframe"} {
			for _, d := range devices {
				name := form + " " + d.name
				ctx := e.open(t, d, e.portal.add("axe-"+form+d.name+".html", columnPage("", sn[form]), ""))
				if form == "snippet-script" {
					upgraded(t, ctx, 1)
				}
				loaded(t, ctx)
				results.add(name, checkAxe(t, ctx, name))
			}
		}
	})
	t.Run("Console", func(t *testing.T) {
		seedConsole(t, e)
		alice := e.tab(t)
		signInBrowser(t, alice, e.badge, "alice")
		// A preview page: the rotation not yet confirmed.
		if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/c/tinh")); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(alice, chromedp.SendKeys(chromedp.CSS(`input[name="target"]`), "https://zalo.me/4242424242")); err != nil {
			t.Fatal(err)
		}
		clickAndWait(t, alice, `form[action$="/preview"] button`)
		loaded(t, alice)
		for _, dark := range []bool{false, true} {
			darkMode(t, alice, dark)
			results.add(fmt.Sprintf("/admin/c/tinh/preview dark=%v", dark), checkAxe(t, alice, "preview"))
		}
		id := agencyID(t, e, "Sở Thiếu Huy Hiệu")
		for _, path := range []string{"/admin", "/admin/c/bnv", "/admin/approvals", "/admin/report", "/admin/report?status=missing",
			fmt.Sprintf("/admin/agencies/%d", id), "/admin/audit", "/admin/accounts", "/admin/account", "/admin?lang=en", "/admin/report?lang=en"} {
			for _, dark := range []bool{false, true} {
				visit(t, alice, fmt.Sprintf("%s dark=%v", path, dark), e.badge+path, dark)
			}
		}
		anon := e.tab(t)
		for _, dark := range []bool{false, true} {
			visit(t, anon, fmt.Sprintf("/admin/login dark=%v", dark), e.badge+"/admin/login", dark)
		}
	})
}

// seedConsole gives the console something to show: the accounts alice
// and bob, a pending proposal of bob's (alice may approve it), a history,
// and a register of agencies, checked, with failing ones.
func seedConsole(t *testing.T, e *browserEnv) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if _, err := e.app.Auth.CreateAccount(ctx, name, "admin", consolePassword, auth.Operator("test", "v-test")); err != nil {
			t.Fatal(err)
		}
	}
	bob := auth.Caller{Principal: auth.Principal{Account: "bob", Role: auth.Admin}, IP: "192.0.2.2", UserAgent: "go test"}
	if _, _, err := e.svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/5555"}, bob); err != nil {
		t.Fatalf("proposing a rotation as bob: %v", err)
	}
	sn := e.snippets(t, "c=bnv&layout=badge&size=192")
	with := e.portal.add("so-co.html", columnPage("", sn["snippet-img"]), "")
	without := e.portal.add("so-thieu.html", columnPage("", "<p>Không có huy hiệu.</p>"), "")
	blocked := e.portal.add("so-chan.html", columnPage("", sn["snippet-img"]), "default-src 'self'")
	csv := "name,kind,homepage\n" +
		"Sở Có Huy Hiệu,department," + with + "\n" +
		"Sở Thiếu Huy Hiệu,department," + without + "\n" +
		"Sở Bị Chặn,department," + blocked + "\n" +
		"UBND huyện Không Tới,district,http://127.0.0.1:1/\n"
	admin := auth.Caller{Principal: auth.Principal{Account: "alice", Role: auth.Admin}, IP: "192.0.2.1", UserAgent: "go test"}
	if _, _, err := e.app.Compliance.Import(ctx, strings.NewReader(csv), admin); err != nil {
		t.Fatalf("importing the register: %v", err)
	}
	if _, err := e.app.Compliance.Check(ctx, false, admin); err != nil {
		t.Fatalf("checking the register: %v", err)
	}
}

func agencyID(t *testing.T, e *browserEnv, name string) int64 {
	t.Helper()
	as, err := e.app.Compliance.Agencies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Name == name {
			return a.ID
		}
	}
	t.Fatalf("no agency %q", name)
	return 0
}
