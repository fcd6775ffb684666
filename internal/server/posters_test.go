package server_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
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

// TestPrintForms serves the tent card and the sticker sheet: A4 only, one
// code per sticker when a placement is given, each readable by pdftotext.
func TestPrintForms(t *testing.T) {
	f := newAdminFixture(t, false)
	mode := campaign.Redirect
	if _, _, err := f.svc.Update(context.Background(), "bnv", campaign.Update{QRMode: &mode}, 0, testActor); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		code int
	}{
		{"/p/bnv.pdf?form=tent", 200},
		{"/p/bnv.pdf?form=tent&bleed=1", 200},
		{"/p/bnv.pdf?form=stickers&placement=mot-cua", 200},
		{"/p/bnv.pdf?form=stickers", 200},
		{"/p/bnv.pdf?form=stickers&paper=a5", 400},
		{"/p/bnv.pdf?form=banner", 400},
		{"/p/bnv.pdf?form=stickers&placement=" + strings.Repeat("x", 30), 422},
	} {
		t.Run(tt.path, func(t *testing.T) {
			r := f.do(t, "GET", tt.path)
			b := body(t, r)
			if r.StatusCode != tt.code {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, r.StatusCode, b, tt.code)
			}
			if tt.code == 200 && !strings.HasPrefix(b, "%PDF-") {
				t.Errorf("GET %s is not a PDF", tt.path)
			}
		})
	}
	text := pdfText(t, []byte(body(t, f.do(t, "GET", "/p/bnv.pdf?form=stickers&placement=mot-cua"))))
	for _, want := range []string{"mot-cua-01", "mot-cua-24"} {
		if text != "" && !strings.Contains(text, want) {
			t.Errorf("the sticker sheet does not print %q:\n%s", want, text)
		}
	}
}

// pdfText is pdftotext's reading of a PDF, or "" (with a log line) where
// poppler is not installed, unless OABADGE_REQUIRE_POPPLER=1.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	exe, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("OABADGE_REQUIRE_POPPLER") == "1" {
			t.Fatal("pdftotext is required (OABADGE_REQUIRE_POPPLER=1): apt-get install poppler-utils")
		}
		t.Log("no pdftotext: the printed text is not read back")
		return ""
	}
	cmd := exec.Command(exe, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestRotationScreenSaysHowFastPortalsFollow: the console's confirmation
// of a rotation states, from the badges' cache lifetime, when returning
// visitors see the new code.
func TestRotationScreenSaysHowFastPortalsFollow(t *testing.T) {
	f := newAdminFixture(t, false)
	ck, csrf := f.session(t, "alice")
	form := url.Values{"csrf": {csrf}, "target": {"https://zalo.me/2222"}, "version": {"1"}}
	r := httptest.NewRequest("POST", "/admin/c/bnv/preview?lang=en", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "returning visitors within 2 minutes") {
		t.Errorf("the rotation screen = %d, does not say how fast portals follow:\n%.2000s", w.Code, w.Body.String())
	}
}
