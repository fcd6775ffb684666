package server_test

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/embedscript"
)

// pinnedScript finds the script the webmaster page pins, with its SRI value.
func pinnedScript(t *testing.T, f *fixture) (name, integrity string) {
	t.Helper()
	page := html.UnescapeString(body(t, f.do(t, "GET", "/")))
	m := regexp.MustCompile(`/embed/(v[0-9]+-[0-9a-f]{10}\.js)" integrity="(sha384-[A-Za-z0-9+/=]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the webmaster page does not pin a versioned script with SRI")
	}
	return m[1], m[2]
}

func TestEmbedScriptRoutes(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/embed.js")
	js := body(t, r)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") ||
		r.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=300") {
		t.Errorf("/embed.js: %d %v", r.StatusCode, r.Header)
	}
	if strings.Contains(js, "badge.example.gov.vn") || strings.Contains(js, "{{") {
		t.Error("/embed.js carries a URL or a placeholder; the newest script reads the server's address from its own")
	}
	for _, bad := range []string{"eval(", "innerHTML", "document.cookie", "localStorage", "sessionStorage", "new Function"} {
		if strings.Contains(js, bad) {
			t.Errorf("/embed.js uses %s", bad)
		}
	}
	// The page pins the newest release with the SRI value of its bytes.
	name, integrity := pinnedScript(t, f)
	rs, err := embedscript.Releases(publicURL)
	if err != nil {
		t.Fatal(err)
	}
	if newest := rs[len(rs)-1]; name != newest.Name {
		t.Errorf("the page pins %s, want the newest release %s", name, newest.Name)
	}
	r = f.do(t, "GET", "/embed/"+name)
	pinned := body(t, r)
	sum := sha512.Sum384([]byte(pinned))
	if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != integrity || pinned != js {
		t.Errorf("/embed/%s hashes to %s, the page says %s", name, got, integrity)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("versioned script Cache-Control = %q, want a year, immutable", cc)
	}
	// Release 1, with the public URL in its bytes, under the name pages
	// offered before releases were frozen.
	r = f.do(t, "GET", "/embed/v1-58799036c9.js")
	if v1 := body(t, r); r.StatusCode != 200 || !strings.Contains(v1, `"https://badge.example.gov.vn"`) {
		t.Errorf("/embed/v1-58799036c9.js = %d, want release 1 for this public URL", r.StatusCode)
	}
	// Errors carry the CORS header, so a page loading the script with
	// crossorigin="anonymous" is told 404, not a CORS failure.
	for _, path := range []string{"/embed/v1-0000000000.js", "/embed/nope.js", "/embed/v1-58799036c9.js.map"} {
		r := f.do(t, "GET", path)
		if r.StatusCode != 404 || r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d, CORS %q, Cache-Control %q; want 404 with CORS, not cached", path, r.StatusCode,
				r.Header.Get("Access-Control-Allow-Origin"), r.Header.Get("Cache-Control"))
		}
	}
	if r := f.do(t, "GET", "/static/embed.js"); r.StatusCode != 404 {
		t.Errorf("/static/embed.js (the source) answers %d, want 404", r.StatusCode)
	}
}

// TestPinnedScriptsSurviveRebuilds records the scripts offered, then
// rebuilds the program on the same database with another public URL: every
// name recorded still answers with the same bytes, from the store where
// this binary's releases would now be named otherwise.
func TestPinnedScriptsSurviveRebuilds(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	first := newApp(t, cfg, app.Options{})
	first.create(t, testCampaign)
	name, _ := pinnedScript(t, first)
	recorded := map[string]string{}
	for _, n := range []string{name, "v1-58799036c9.js"} {
		r := first.do(t, "GET", "/embed/"+n)
		recorded[n] = body(t, r)
		if r.StatusCode != 200 {
			t.Fatalf("first build: /embed/%s = %d", n, r.StatusCode)
		}
	}
	stored, err := first.st.(embedscript.Store).EmbedScripts(ctx)
	if err != nil || len(stored) < 2 {
		t.Fatalf("the store remembers %d scripts (%v), want every release offered", len(stored), err)
	}
	first.app.Close()

	moved := cfg
	moved.PublicURL = "https://qr.example.gov.vn"
	second := newApp(t, moved, app.Options{})
	for n, want := range recorded {
		r := second.do(t, "GET", "/embed/"+n)
		if got := body(t, r); r.StatusCode != 200 || got != want || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("after moving to %s: /embed/%s = %d, same bytes %v", moved.PublicURL, n, r.StatusCode, got == want)
		}
	}
	// The new URL's release 1 is another name; the newest is the same name.
	if again, _ := pinnedScript(t, second); again != name {
		t.Errorf("after moving, the page pins %s, want %s: the newest script's name depends on its bytes alone", again, name)
	}
	rs, _ := embedscript.Releases(moved.PublicURL)
	if r := second.do(t, "GET", "/embed/"+rs[0].Name); r.StatusCode != 200 || !strings.Contains(body(t, r), moved.PublicURL) {
		t.Errorf("release 1 for the new URL (%s) = %d", rs[0].Name, r.StatusCode)
	}
}

var testCampaign = campaign.Campaign{Slug: "bnv", Title: "Zalo OA Bộ Nội vụ", Caption: caption, Target: "https://zalo.me/1111"}
