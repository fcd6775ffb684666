package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"

	"github.com/oabadge/oabadge/internal/badge"
)

// emblemSVG is the emblem the badge package's tests draw.
func emblemSVG(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../badge/testdata/emblem.svg")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileSVG draws a red disc and carries what an SVG must never carry
// to a visitor: a script, an event handler and an external reference.
const hostileSVG = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100" onload="alert(2)">
<script>alert(1)</script><image xlink:href="https://evil.example/x.png" width="10" height="10"/>
<circle cx="50" cy="50" r="45" fill="#c00"/></svg>`

// putEmblem sends an emblem file to the API as who, with If-Match "version".
func (f *adminFixture) putEmblem(t *testing.T, who, slug, ctype string, body []byte, version string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("PUT", "/api/v1/admin/campaigns/"+slug+"/emblem", bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.10:1234"
	r.Header.Set("Authorization", "Bearer "+f.tokens[who])
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if version != "" {
		r.Header.Set("If-Match", strconv.Quote(version))
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var out map[string]any
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		decodeJSON(t, w.Body, &out)
	}
	return w.Code, out
}

// storedEmblems counts the emblems the store holds.
func (f *adminFixture) storedEmblems(t *testing.T) int {
	t.Helper()
	d, err := f.st.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(d.Emblems)
}

// publicEmblemURL returns images.emblem of the public campaign JSON.
func publicEmblemURL(t *testing.T, f *fixture, slug string) string {
	t.Helper()
	var js struct {
		Images struct {
			Emblem string `json:"emblem"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(body(t, f.do(t, "GET", "/api/v1/campaigns/"+slug))), &js); err != nil {
		t.Fatal(err)
	}
	return js.Images.Emblem
}

// TestEmblemChangeIsAProposal: an editor's emblem is stored, but nothing
// public shows it until an admin approves; then every badge, the JSON and
// the emblem's own URL do.
func TestEmblemChangeIsAProposal(t *testing.T) {
	f := newAdminFixture(t, false)
	// The emblem shows beside the title, which the card layout has.
	const card, cardPNG = "/b/bnv.svg?layout=card&size=512", "/b/bnv.png?layout=card&size=512"
	before := body(t, f.do(t, "GET", card))
	beforePNG := body(t, f.do(t, "GET", cardPNG))

	code, out := f.putEmblem(t, "ed", "bnv", "image/svg+xml", emblemSVG(t), "1")
	prop, _ := out["proposal"].(map[string]any)
	if code != http.StatusAccepted || prop == nil {
		t.Fatalf("an editor's emblem = %d %v, want 202 with a proposal", code, out)
	}
	fields, _ := prop["fields"].(map[string]any)
	id, _ := fields["emblem"].(string)
	if len(id) != 12 || len(toJSON(prop)) > 1000 {
		t.Fatalf("the proposal names emblem %q in %d bytes; want the id alone", id, len(toJSON(prop)))
	}
	if got := body(t, f.do(t, "GET", card)); got != before {
		t.Error("the badge changed before the proposal was approved")
	}
	if got := body(t, f.do(t, "GET", cardPNG)); got != beforePNG {
		t.Error("the PNG badge changed before the proposal was approved")
	}
	if u := publicEmblemURL(t, f.fixture, "bnv"); u != "" {
		t.Errorf("the public JSON names emblem %s before approval", u)
	}
	if r := f.do(t, "GET", "/emblems/"+id+".png"); r.StatusCode != 404 {
		t.Errorf("the proposed emblem is public: %d", r.StatusCode)
	}
	if pdf := body(t, f.do(t, "GET", "/p/bnv.pdf?paper=a6")); strings.Contains(pdf, "/Subtype /Image") {
		t.Error("the poster prints the emblem before approval")
	}
	// A reviewer sees it through the admin API.
	r := httptest.NewRequest("GET", "/api/v1/admin/emblems/"+id+".png", nil)
	r.Header.Set("Authorization", "Bearer "+f.tokens["vi"])
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || !bytes.HasPrefix(w.Body.Bytes(), []byte("\x89PNG")) {
		t.Errorf("a viewer reading the proposed emblem = %d %s", w.Code, w.Header().Get("Content-Type"))
	}

	pid := strconv.FormatFloat(prop["id"].(float64), 'f', 0, 64)
	if code, out, _ := f.call(t, "alice", "POST", "/api/v1/admin/proposals/"+pid+"/approve", nil); code != 200 {
		t.Fatalf("approving = %d %v", code, out)
	}
	if got := body(t, f.do(t, "GET", card)); got == before || !strings.Contains(got, "data:image/png;base64,") {
		t.Error("the approved emblem is not in the badge")
	}
	if pdf := body(t, f.do(t, "GET", "/p/bnv.pdf?paper=a6")); !strings.Contains(pdf, "/Subtype /Image") {
		t.Error("the poster does not print the approved emblem")
	}
	if got := body(t, f.do(t, "GET", cardPNG)); got == beforePNG {
		t.Error("the approved emblem is not in the PNG badge")
	}
	u := publicEmblemURL(t, f.fixture, "bnv")
	if u != publicURL+"/emblems/"+id+".png" {
		t.Fatalf("images.emblem = %q after approval", u)
	}
	res := f.do(t, "GET", strings.TrimPrefix(u, publicURL))
	png := body(t, res)
	want := map[string]string{
		"Content-Type":                 "image/png",
		"X-Content-Type-Options":       "nosniff",
		"Cross-Origin-Resource-Policy": "cross-origin",
		"Cache-Control":                "public, max-age=31536000, immutable",
		"Content-Length":               strconv.Itoa(len(png)),
	}
	if res.StatusCode != 200 || !strings.HasPrefix(png, "\x89PNG") {
		t.Fatalf("GET %s = %d", u, res.StatusCode)
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("GET %s: %s = %q, want %q", u, k, got, v)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET %s: Content-Security-Policy %q", u, csp)
	}
	if r := f.do(t, "GET", strings.TrimPrefix(u, publicURL), "If-None-Match", res.Header.Get("ETag")); r.StatusCode != 304 {
		t.Errorf("GET %s with its ETag = %d, want 304", u, r.StatusCode)
	}
	// The admin view names it; removing it is a change like any other.
	if code, out, _ := f.call(t, "vi", "GET", "/api/v1/admin/campaigns/bnv", nil); code != 200 || out["emblem"] != id || out["emblem_in_code"] != false {
		t.Errorf("the admin view = %d %v", code, out)
	}
	if code, out, _ := f.call(t, "alice", "DELETE", "/api/v1/admin/campaigns/bnv/emblem", nil, "If-Match", `"2"`); code != 200 || out["emblem"] != "" {
		t.Fatalf("removing the emblem = %d %v", code, out)
	}
	if got := body(t, f.do(t, "GET", card)); got != before {
		t.Error("the badge without its emblem is not the badge it was")
	}
	if r := f.do(t, "GET", "/emblems/"+id+".png"); r.StatusCode != 404 {
		t.Errorf("an emblem no campaign shows any more = %d, want 404", r.StatusCode)
	}
}

// TestEmblemInCodeIsPartOfTheLook: emblem_in_code goes through PATCH, needs
// an emblem, and names an uploaded id only.
func TestEmblemInCodeIsPartOfTheLook(t *testing.T) {
	f := newAdminFixture(t, false)
	if code, out, _ := f.call(t, "alice", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]any{"emblem_in_code": true}, "If-Match", `"1"`); code != 422 ||
		!strings.Contains(out["error"].(string), "needs an emblem") {
		t.Errorf("emblem_in_code without an emblem = %d %v, want 422", code, out)
	}
	if code, out, _ := f.call(t, "alice", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]any{"emblem": "0123456789ab"}, "If-Match", `"1"`); code != 422 ||
		!strings.Contains(out["error"].(string), "not been uploaded") {
		t.Errorf("an emblem id never uploaded = %d %v, want 422", code, out)
	}
	if code, out := f.putEmblem(t, "alice", "bnv", "image/svg+xml", emblemSVG(t), "1"); code != 200 {
		t.Fatalf("uploading = %d %v", code, out)
	}
	plain := body(t, f.do(t, "GET", "/b/bnv.png?size=384"))
	if code, out, _ := f.call(t, "ed", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]any{"emblem_in_code": true}, "If-Match", `"2"`); code != 202 {
		t.Fatalf("an editor's emblem_in_code = %d %v, want 202", code, out)
	}
	if got := body(t, f.do(t, "GET", "/b/bnv.png?size=384")); got != plain {
		t.Error("the code changed before approval")
	}
	if code, out, _ := f.call(t, "alice", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]any{"emblem_in_code": true}, "If-Match", `"2"`); code != 200 || out["emblem_in_code"] != true {
		t.Fatalf("an admin's emblem_in_code = %d %v", code, out)
	}
	holed := body(t, f.do(t, "GET", "/b/bnv.png?size=384"))
	if holed == plain {
		t.Error("the emblem did not go into the code")
	}
	if got := decodePNG(t, holed); got != "https://zalo.me/1111" {
		t.Errorf("the code with the emblem in it reads %q", got)
	}
}

// TestEmblemUploadIsSanitised: an SVG with a script is drawn into a PNG;
// the script reaches nobody.
func TestEmblemUploadIsSanitised(t *testing.T) {
	f := newAdminFixture(t, false)
	code, out := f.putEmblem(t, "alice", "bnv", "image/svg+xml; charset=utf-8", []byte(hostileSVG), "1")
	if code != 200 {
		t.Fatalf("uploading = %d %v", code, out)
	}
	id, _ := out["emblem"].(string)
	served := body(t, f.do(t, "GET", "/emblems/"+id+".png"))
	if !strings.HasPrefix(served, "\x89PNG\r\n\x1a\n") {
		t.Fatalf("the served emblem is not a PNG: %.40q", served)
	}
	img, err := png.Decode(strings.NewReader(served))
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, a := img.At(img.Bounds().Dx()/2, img.Bounds().Dy()/2).RGBA(); r < 0xa000 || a < 0xf000 {
		t.Error("the emblem's centre is not the red disc the SVG draws")
	}
	for _, path := range []string{"/b/bnv.svg", "/b/bnv.svg?layout=card&size=512", "/emblems/" + id + ".png"} {
		b := body(t, f.do(t, "GET", path))
		for _, bad := range []string{"alert", "<script", "onload", "evil.example"} {
			if strings.Contains(b, bad) {
				t.Errorf("GET %s carries %q from the upload", path, bad)
			}
		}
	}
	stored, err := f.st.Emblem(context.Background(), id)
	if err != nil || !bytes.Equal(stored.PNG, []byte(served)) {
		t.Errorf("the store holds %d bytes (%v), not the %d served", len(stored.PNG), err, len(served))
	}
}

// TestEmblemUploadRefused: every bad upload is refused with a status that
// says why, and stores nothing.
func TestEmblemUploadRefused(t *testing.T) {
	f := newAdminFixture(t, false)
	tooBig := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, badge.MaxEmblemBytes)...)
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	for _, tt := range []struct {
		name, who, ctype, version string
		body                      []byte
		status                    int
	}{
		{"too large", "alice", "image/png", "1", tooBig, 413},
		{"too large, as an editor", "ed", "image/svg+xml", "1", tooBig, 413},
		{"a GIF", "alice", "image/gif", "1", gif, 422},
		{"a GIF called a PNG", "alice", "image/png", "1", gif, 422},
		{"no type", "alice", "", "1", emblemSVG(t), 422},
		{"JSON", "alice", "application/json", "1", []byte(`{"emblem":"x"}`), 422},
		{"empty", "alice", "image/png", "1", nil, 422},
		{"an SVG with a DOCTYPE", "alice", "image/svg+xml", "1", []byte(`<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`), 422},
		{"no If-Match", "alice", "image/svg+xml", "", emblemSVG(t), 428},
		{"a stale version", "alice", "image/svg+xml", "7", emblemSVG(t), 412},
		{"a viewer", "vi", "image/svg+xml", "1", emblemSVG(t), 403},
		{"an unknown campaign", "alice", "image/svg+xml", "1", emblemSVG(t), 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			slug := "bnv"
			if tt.status == 404 {
				slug = "nope"
			}
			before := f.state(t)
			code, out := f.putEmblem(t, tt.who, slug, tt.ctype, tt.body, tt.version)
			if code != tt.status {
				t.Errorf("PUT = %d %v, want %d", code, out, tt.status)
			}
			if msg, _ := out["error"].(string); msg == "" {
				t.Errorf("PUT = %d without a message", code)
			}
			if after := f.state(t); after != before {
				t.Errorf("a refused upload changed state: %s → %s", before, after)
			}
			if n := f.storedEmblems(t); n != 0 {
				t.Errorf("a refused upload stored %d emblems", n)
			}
		})
	}
}

// TestConsoleEmblem: the console's campaign form takes the file; an
// editor's is a proposal, a viewer cannot, and an oversized form is 413.
func TestConsoleEmblem(t *testing.T) {
	f := newAdminFixture(t, false)
	form := func(t *testing.T, who string, file []byte, extra ...string) *httptest.ResponseRecorder {
		t.Helper()
		ck, csrf := f.session(t, who)
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"csrf": csrf, "version": "1", "title": "Zalo OA Bộ Nội vụ", "caption": "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
			"qr_mode": "direct", "theme": "light", "layout": "badge", "oa_ids": "", "emblem_form": "1"} {
			mw.WriteField(k, v)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			mw.WriteField(extra[i], extra[i+1])
		}
		if file != nil {
			fw, _ := mw.CreateFormFile("emblem", "emblem.svg")
			fw.Write(file)
		}
		mw.Close()
		r := httptest.NewRequest("POST", "/admin/c/bnv/edit", &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.RemoteAddr = "192.0.2.10:1234"
		r.AddCookie(ck)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		return w
	}
	outcome := func(w *httptest.ResponseRecorder) string {
		loc, _ := url.Parse(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther {
			return strconv.Itoa(w.Code)
		}
		if e := loc.Query().Get("err"); e != "" {
			return "err: " + e
		}
		return loc.Query().Get("ok")
	}
	if got := outcome(form(t, "vi", emblemSVG(t))); !strings.HasPrefix(got, "err: ") || f.storedEmblems(t) != 0 {
		t.Errorf("a viewer's emblem = %s with %d stored, want refused and none", got, f.storedEmblems(t))
	}
	big := append([]byte("<svg "), bytes.Repeat([]byte(" "), badge.MaxEmblemBytes+70<<10)...)
	if w := form(t, "ed", big); w.Code != 413 || f.storedEmblems(t) != 0 {
		t.Errorf("an oversized form = %d with %d stored, want 413 and none", w.Code, f.storedEmblems(t))
	}
	if got := outcome(form(t, "ed", []byte("not an image"))); !strings.Contains(got, "PNG or SVG") {
		t.Errorf("a form with a text file = %s", got)
	}
	if got := outcome(form(t, "ed", emblemSVG(t), "emblem_in_code", "1")); got != "proposed" {
		t.Fatalf("an editor's emblem through the console = %s, want proposed", got)
	}
	ps, _ := f.svc.Open(context.Background(), "bnv")
	if len(ps) != 1 || ps[0].Fields.Emblem == nil || len(*ps[0].Fields.Emblem) != 12 || ps[0].Fields.EmblemInCode == nil || !*ps[0].Fields.EmblemInCode {
		t.Fatalf("the console's proposal = %+v", ps)
	}
	if c, _ := f.svc.Served(context.Background(), "bnv"); c.Emblem != "" {
		t.Error("the console's proposal is served before approval")
	}
	// The campaign page shows the proposed emblem to reviewers.
	page := body(t, f.callPage(t, "alice", "/admin/c/bnv"))
	if !strings.Contains(page, `/admin/emblems/`+*ps[0].Fields.Emblem+`.png`) {
		t.Error("the campaign page does not show the proposed emblem")
	}
	if r := f.callPage(t, "vi", "/admin/emblems/"+*ps[0].Fields.Emblem+".png"); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("the console's emblem image = %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
}

// TestEveryServedVariantWithAnEmblemDecodes fetches every variant of a
// campaign with its emblem beside the title and in the code, in every
// coding, and reads each with gozxing, then all of them with ZBar when
// zbarimg is installed.
func TestEveryServedVariantWithAnEmblemDecodes(t *testing.T) {
	if testing.Short() {
		t.Skip("renders every variant")
	}
	f := newAdminFixture(t, false)
	if code, out := f.putEmblem(t, "alice", "bnv", "image/svg+xml", emblemSVG(t), "1"); code != 200 {
		t.Fatalf("uploading = %d %v", code, out)
	}
	if code, out, _ := f.call(t, "alice", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]any{"emblem_in_code": true}, "If-Match", `"2"`); code != 200 {
		t.Fatalf("emblem_in_code = %d %v", code, out)
	}
	const code = "https://zalo.me/1111"
	dir := t.TempDir()
	var mu sync.Mutex
	files := map[string]string{}
	t.Run("gozxing", func(t *testing.T) {
		for i, v := range badge.Variants() {
			t.Run(v.String(), func(t *testing.T) {
				t.Parallel()
				path := "/b/bnv." + v.String()
				get := func(accept string) *http.Response {
					r := httptest.NewRequest("GET", path, nil)
					r.RemoteAddr = "192.0.2." + strconv.Itoa(1+i%250) + ":1" // print sizes are rate-limited per address
					if accept != "" {
						r.Header.Set("Accept-Encoding", accept)
					}
					w := httptest.NewRecorder()
					f.h.ServeHTTP(w, r)
					return w.Result()
				}
				res := get("")
				raw := body(t, res)
				if res.StatusCode != 200 {
					t.Fatalf("GET %s = %d %s", path, res.StatusCode, raw)
				}
				if v.Format == badge.SVG {
					for _, enc := range []string{"gzip", "br"} {
						if got := decompress(t, get(enc)); got != raw {
							t.Errorf("GET %s as %s decodes to other bytes", path, enc)
						}
					}
				}
				img := rasterise(t, v.Format, []byte(raw))
				if got, err := readCode(img); err != nil || got != code {
					t.Errorf("%s reads %q, %v; want %q", v, got, err, code)
				}
				var b bytes.Buffer
				png.Encode(&b, img)
				p := filepath.Join(dir, fmt.Sprintf("%d.png", i))
				os.WriteFile(p, b.Bytes(), 0o644)
				mu.Lock()
				files[p] = v.String()
				mu.Unlock()
			})
		}
	})
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Logf("no zbarimg: the second decoder was not run (Debian's zbar-tools has it)")
		return
	}
	args := []string{"--xml", "-q", "-Sdisable", "-Sqrcode.enable"}
	for p := range files {
		args = append(args, p)
	}
	out, _ := exec.Command(zbar, args...).Output() // exits 4 when a file has no code; the XML tells
	var doc struct {
		Sources []struct {
			Href    string   `xml:"href,attr"`
			Symbols []string `xml:"index>symbol>data"`
		} `xml:"source"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("zbarimg --xml: %v\n%s", err, out)
	}
	read := map[string]string{}
	for _, s := range doc.Sources {
		if len(s.Symbols) > 0 {
			read[s.Href] = s.Symbols[0]
		}
	}
	for p, v := range files {
		if read[p] != code {
			t.Errorf("zbarimg reads %s as %q, want %q", v, read[p], code)
		}
	}
}

// rasterise draws a served badge on white: a PNG as it is, an SVG through
// oksvg (which leaves out the emblem's embedded raster: the code must
// scan with its centre blank too).
func rasterise(t *testing.T, f badge.Format, b []byte) image.Image {
	t.Helper()
	var src image.Image
	if f == badge.PNG {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		src = img
	} else {
		icon, err := oksvg.ReadIconStream(bytes.NewReader(b), oksvg.IgnoreErrorMode)
		if err != nil {
			t.Fatal(err)
		}
		w, h := int(icon.ViewBox.W), int(icon.ViewBox.H)
		icon.SetTarget(0, 0, float64(w), float64(h))
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		icon.Draw(rasterx.NewDasher(w, h, rasterx.NewScannerGV(w, h, img, img.Bounds())), 1)
		src = img
	}
	dst := image.NewRGBA(src.Bounds())
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Over)
	return dst
}

func readCode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// decompress returns a response's body decoded from its Content-Encoding.
func decompress(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decode(r.Header.Get("Content-Encoding"), b)
	if err != nil {
		t.Fatalf("decoding %s: %v", r.Header.Get("Content-Encoding"), err)
	}
	return string(out)
}
