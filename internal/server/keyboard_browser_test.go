package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// markFocusables numbers every control a keyboard user should reach
// (data-kb) and returns how many there are. Of a group of radio buttons
// only the checked one is in the Tab order, as browsers do.
const markFocusables = `(() => {
  const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), iframe, [tabindex]:not([tabindex="-1"])';
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  let n = 0;
  document.querySelectorAll(sel).forEach(el => {
    if (!visible(el)) return;
    if (el.type === "radio" && !el.checked && document.querySelector('input[type=radio][name="' + el.name + '"]:checked')) return;
    el.setAttribute("data-kb", String(n++));
  });
  return n;
})()`

// activeKB is the data-kb of the focused element, "" for none.
const activeKB = `(() => { const a = document.activeElement; return a && a.getAttribute("data-kb") || ""; })()`

// tabWalk presses Tab through the page and fails unless every control
// marked by markFocusables got the focus.
func tabWalk(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	n := evalJS[int](t, ctx, markFocusables)
	seen := map[string]bool{}
	for i := 0; i < n+8 && len(seen) < n; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		if k := evalJS[string](t, ctx, activeKB); k != "" {
			seen[k] = true
		}
	}
	if len(seen) < n {
		missed := evalJS[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("[data-kb]")].filter(e => !%s.includes(e.getAttribute("data-kb"))).map(e => e.outerHTML.slice(0, 120))`, jsKeys(seen)))
		t.Errorf("%s: Tab reached %d of %d controls; never reached:\n\t%s", name, len(seen), n, strings.Join(missed, "\n\t"))
	}
}

func jsKeys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, `"`+k+`"`)
	}
	return "[" + strings.Join(ks, ",") + "]"
}

// tabTo presses Tab until the focused element matches sel.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if evalJS[bool](t, ctx, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("Tab never reached %s", sel)
}

// press types keys into the focused element.
func press(t *testing.T, ctx context.Context, keys string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(keys)); err != nil {
		t.Fatal(err)
	}
}

// pressAndWait presses keys and waits for the page they lead to.
func pressAndWait(t *testing.T, ctx context.Context, keys string) {
	t.Helper()
	evalJS[bool](t, ctx, `(window.__stay = true)`)
	press(t, ctx, keys)
	if err := waitFor(ctx, `!window.__stay && document.readyState === "complete"`); err != nil {
		t.Fatalf("pressing %q led to no new page (%v)", keys, err)
	}
}

// TestKeyboardWebmasterPage walks the webmaster page with the keyboard:
// every control reachable; choosing in a list or a radio group neither
// reloads the page nor moves the focus; Apply and the copy buttons work,
// and the copy buttons have distinct names and say what they copied.
func TestKeyboardWebmasterPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, false)
	ctx := e.tab(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.badge+"/?policy=img-src+%27self%27&form=img")); err != nil {
		t.Fatal(err)
	}
	loaded(t, ctx)
	tabWalk(t, ctx, "/")

	if err := chromedp.Do(ctx, chromedp.Navigate(e.badge+"/")); err != nil {
		t.Fatal(err)
	}
	loaded(t, ctx)
	evalJS[bool](t, ctx, `(window.__stay = true)`)
	tabTo(t, ctx, `select[name="size"]`)
	before := evalJS[string](t, ctx, `document.activeElement.value`)
	press(t, ctx, kb.ArrowDown)
	got := evalJS[map[string]any](t, ctx, `({ stay: !!window.__stay, value: document.activeElement.value, name: document.activeElement.name })`)
	if got["stay"] != true || got["name"] != "size" || got["value"] == before {
		t.Errorf("ArrowDown on the size list: %v (was %s); want a new value, the same page, the focus kept", got, before)
	}
	chosen, _ := got["value"].(string)
	tabTo(t, ctx, `input[name="cms"]:checked`)
	wasCMS := evalJS[string](t, ctx, `document.activeElement.value`)
	press(t, ctx, kb.ArrowRight)
	got = evalJS[map[string]any](t, ctx, `({ stay: !!window.__stay, cms: document.querySelector('input[name="cms"]:checked').value, focus: document.activeElement.name })`)
	if got["stay"] != true || got["focus"] != "cms" || got["cms"] == wasCMS {
		t.Errorf("ArrowRight in the CMS group: %v (was %s); want another CMS chosen, the same page, the focus in the group", got, wasCMS)
	}
	cms, _ := got["cms"].(string)
	tabTo(t, ctx, `button.apply`)
	pressAndWait(t, ctx, kb.Enter)
	if q := evalJS[string](t, ctx, `location.search`); !strings.Contains(q, "size="+chosen) || !strings.Contains(q, "cms="+cms) {
		t.Errorf("Apply by keyboard led to %s; want size=%s and cms=%s", q, chosen, cms)
	}

	// Copy buttons: distinct names, each announced.
	var names []string
	for _, n := range buttonNames(t, ctx) {
		if strings.HasPrefix(n, "Sao chép") {
			names = append(names, n)
		}
	}
	if len(names) < 3 || len(names) != len(unique(names)) {
		t.Errorf("copy buttons are named %q; want one distinct name each", names)
	}
	tabTo(t, ctx, `button[data-copy="snippet-img"]`)
	press(t, ctx, kb.Enter)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("copy-status").textContent.startsWith("Đã sao chép: ")`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("copying announced nothing in the status region: %v", err)
	}
	if a := evalJS[string](t, ctx, `document.activeElement.getAttribute("data-copy") || ""`); a != "snippet-img" {
		t.Errorf("after copying, the focus is on %q, want the copy button", a)
	}
	status := evalJS[string](t, ctx, `document.getElementById("copy-status").getAttribute("role")`)
	if status != "status" {
		t.Errorf("the copy announcement's region has role %q, want status", status)
	}
	// The CSP merge form, by keyboard.
	tabTo(t, ctx, `#policy`)
	press(t, ctx, "default-src 'self'")
	form := evalJS[string](t, ctx, `document.querySelector('#csp-merge select[name="form"]').value`)
	tabTo(t, ctx, `#csp-merge button`)
	pressAndWait(t, ctx, kb.Enter)
	want := map[string]string{"script": "default-src 'self'; script-src 'self' " + e.badge + "; img-src 'self' " + e.badge,
		"img": "default-src 'self'; img-src 'self' " + e.badge, "iframe": "default-src 'self'; frame-src 'self' " + e.badge}[form]
	if v := evalJS[string](t, ctx, `document.getElementById("csp") ? document.getElementById("csp").value : ""`); v != want {
		t.Errorf("the merged policy for the %s form is %q, want %q", form, v, want)
	}
	e.screenshot(t, ctx, "webmaster-page-keyboard")
}

func unique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// TestKeyboardConsole walks every console page with the keyboard, then
// does the rotation flow under the two-person rule by keyboard alone:
// alice previews and confirms, bob approves, bob rolls back, alice approves.
func TestKeyboardConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, true)
	seedConsole(t, e)
	alice := e.tab(t)
	keyboardSignIn(t, alice, e.badge, "alice")
	id := agencyID(t, e, "Sở Thiếu Huy Hiệu")
	for _, path := range []string{"/admin", "/admin/c/bnv", "/admin/approvals", "/admin/report", fmt.Sprintf("/admin/agencies/%d", id), "/admin/audit", "/admin/accounts", "/admin/account"} {
		if err := chromedp.Do(alice, chromedp.Navigate(e.badge+path)); err != nil {
			t.Fatal(err)
		}
		loaded(t, alice)
		tabWalk(t, alice, path)
	}
	// The seeded proposal of bob's is in the way of a new one: alice rejects it, by keyboard.
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/approvals")); err != nil {
		t.Fatal(err)
	}
	tabTo(t, alice, `form[action$="/reject"] button`)
	pressAndWait(t, alice, kb.Enter)

	ctx := context.Background()
	start, _ := e.svc.Served(ctx, "tinh")
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin")); err != nil {
		t.Fatal(err)
	}
	tabTo(t, alice, `a[href="/admin/c/tinh"]`)
	pressAndWait(t, alice, kb.Enter)
	tabTo(t, alice, `input[name="target"]`)
	press(t, alice, "https://zalo.me/4242424242")
	tabTo(t, alice, `form[action$="/preview"] button`)
	pressAndWait(t, alice, kb.Enter)
	if got := evalJS[string](t, alice, `document.getElementById("new-target").textContent`); got != "https://zalo.me/4242424242" {
		t.Fatalf("the preview shows target %q", got)
	}
	tabTo(t, alice, `#confirm`)
	pressAndWait(t, alice, kb.Enter)
	if c, _ := e.svc.Served(ctx, "tinh"); c.Version != start.Version {
		t.Fatalf("under the two-person rule the rotation applied at once: %+v", c)
	}

	bob, cancel := chromedp.NewContext(e.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	keyboardSignIn(t, bob, e.badge, "bob")
	tabTo(t, bob, `a[href="/admin/approvals"]`)
	pressAndWait(t, bob, kb.Enter)
	tabTo(t, bob, `button.approve`)
	pressAndWait(t, bob, kb.Enter)
	if c, _ := e.svc.Served(ctx, "tinh"); c.Version != start.Version+1 || c.Target != "https://zalo.me/4242424242" {
		t.Fatalf("after bob's approval by keyboard: %+v", c)
	}
	tabTo(t, bob, `a[href="/admin"]`)
	pressAndWait(t, bob, kb.Enter)
	tabTo(t, bob, `a[href="/admin/c/tinh"]`)
	pressAndWait(t, bob, kb.Enter)
	tabTo(t, bob, `form[action$="/rollback"] button`)
	pressAndWait(t, bob, kb.Enter)

	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin")); err != nil {
		t.Fatal(err)
	}
	tabTo(t, alice, `a[href="/admin/approvals"]`)
	pressAndWait(t, alice, kb.Enter)
	tabTo(t, alice, `button.approve`)
	pressAndWait(t, alice, kb.Enter)
	if c, _ := e.svc.Served(ctx, "tinh"); c.Version != start.Version+2 || c.Target != start.Target {
		t.Fatalf("after the rollback approved by keyboard: %+v, want %s back", c, start.Target)
	}
	e.screenshot(t, alice, "console-keyboard")
}

// keyboardSignIn signs in by typing: the name field has the focus.
func keyboardSignIn(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin")); err != nil {
		t.Fatal(err)
	}
	tabTo(t, ctx, `input[name="name"]`)
	press(t, ctx, name)
	press(t, ctx, kb.Tab)
	press(t, ctx, consolePassword)
	pressAndWait(t, ctx, kb.Enter)
	if path := evalJS[string](t, ctx, `location.pathname`); path != "/admin" {
		t.Fatalf("after signing in by keyboard as %s the page is %s", name, path)
	}
}

// buttonNames returns the accessible names of the page's buttons.
func buttonNames(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return axNames(t, ctx, "button")
}
