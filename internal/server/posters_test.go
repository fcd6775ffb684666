package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
)

func TestPosterRoute(t *testing.T) {
	f := newAdminFixture(t, false)
	r := f.do(t, "GET", "/p/bnv.pdf?paper=a5&agency="+strings.ReplaceAll("Bộ phận Một cửa", " ", "%20"))
	b := body(t, r)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(b, "%PDF-") {
		t.Fatalf("poster = %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for path, code := range map[string]int{
		"/p/bnv.pdf?paper=letter":                       400,
		"/p/bnv.pdf?bleed=maybe":                        400,
		"/p/nope.pdf":                                   404,
		"/p/bnv.png":                                    404,
		"/p/bnv.pdf?agency=999":                         404,
		"/p/bnv.pdf?placement=desk":                     422, // a direct-mode campaign cannot count scans
		"/p/bnv.pdf?agency=" + strings.Repeat("x", 201): 400,
	} {
		if r := f.do(t, "GET", path); r.StatusCode != code {
			t.Errorf("GET %s = %d, want %d", path, r.StatusCode, code)
		}
	}
	// A redirect-mode campaign with a placement code: scans are counted per desk.
	ctx := context.Background()
	mode := campaign.Redirect
	if _, _, err := f.svc.Update(ctx, "bnv", campaign.Update{QRMode: &mode}, 0, testActor); err != nil {
		t.Fatal(err)
	}
	if r := f.do(t, "GET", "/p/bnv.pdf?paper=a6&placement=mot-cua-1&bleed=1"); r.StatusCode != 200 {
		t.Errorf("poster with a placement = %d", r.StatusCode)
	}
	for i := 0; i < 3; i++ {
		f.do(t, "GET", "/s/bnv?p=mot-cua-1")
	}
	f.do(t, "GET", "/s/bnv?p=BAD%20CODE")
	if err := f.flush(); err != nil {
		t.Fatal(err)
	}
	counts, _ := f.st.Counts(ctx, compliance.Day(f.clock.Now().AddDate(0, 0, -1)))
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Site+" "+c.Event.String()] += c.N
	}
	if got["placement:mot-cua-1 scan"] != 3 || got["(none) scan"] != 1 {
		t.Errorf("scan counts = %v", got)
	}
	rep := body(t, f.callPage(t, "vi", "/admin/report?campaign=bnv"))
	if !strings.Contains(rep, "mot-cua-1") {
		t.Error("the report does not list the placement's scans")
	}
	// Posters cost work on every request: a client past its burst gets 429.
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		limited = f.do(t, "GET", "/p/bnv.pdf?paper=a6").StatusCode == 429
	}
	if !limited {
		t.Error("20 posters in a row from one address were never rate-limited")
	}
	if r := f.do(t, "GET", "/b/bnv.svg"); r.StatusCode != 200 {
		t.Error("the poster limit also limited badges")
	}
	// Print-size PNGs share the limit; that address has used it up.
	if r := f.do(t, "GET", "/b/bnv.png?size=2048"); r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("a print PNG past the limit = %d, want 429", r.StatusCode)
	}
}
