package server_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// decode undoes a Content-Encoding.
func decode(enc string, b []byte) ([]byte, error) {
	switch enc {
	case "":
		return b, nil
	case "gzip":
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case "br":
		return io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
	}
	return nil, fmt.Errorf("unknown Content-Encoding %q", enc)
}

// TestCompressedBadges: an SVG badge is sent in the coding the client
// prefers (brotli, then gzip), each coding with its own ETag and length,
// and 304 per coding; every SVG answer varies by Accept-Encoding; PNG is
// sent as it is.
func TestCompressedBadges(t *testing.T) {
	f := newFixture(t)
	const path = "/b/bnv.svg?size=256"
	plain := f.do(t, "GET", path)
	raw := body(t, plain)
	if plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("uncompressed SVG: Content-Encoding %q, Vary %q; want none and Accept-Encoding",
			plain.Header.Get("Content-Encoding"), plain.Header.Get("Vary"))
	}
	tags := map[string]string{plain.Header.Get("ETag"): "identity"}
	for _, tt := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"*", "br"},
		{"deflate", ""},
		{"gzip;q=0, br;q=0", ""},
	} {
		t.Run(tt.accept, func(t *testing.T) {
			r := f.do(t, "GET", path, "Accept-Encoding", tt.accept)
			b := body(t, r)
			if got := r.Header.Get("Content-Encoding"); got != tt.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.want)
			}
			if r.Header.Get("Vary") != "Accept-Encoding" || r.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
				t.Errorf("Vary %q, Content-Length %q for %d bytes", r.Header.Get("Vary"), r.Header.Get("Content-Length"), len(b))
			}
			if got, err := decode(tt.want, []byte(b)); err != nil || string(got) != raw {
				t.Errorf("the %q body decodes to other bytes (%v)", tt.want, err)
			}
			etag := r.Header.Get("ETag")
			if tt.want != "" {
				if len(b) >= len(raw) {
					t.Errorf("%s is %d bytes, the SVG %d", tt.want, len(b), len(raw))
				}
				if other, ok := tags[etag]; ok && other != tt.want {
					t.Errorf("%s has the ETag of %s", tt.want, other)
				}
				tags[etag] = tt.want
			} else if etag != plain.Header.Get("ETag") {
				t.Errorf("identity ETag %s, want %s", etag, plain.Header.Get("ETag"))
			}
			// Revalidation is per coding.
			if r := f.do(t, "GET", path, "Accept-Encoding", tt.accept, "If-None-Match", etag); r.StatusCode != 304 || r.Header.Get("ETag") != etag ||
				r.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("If-None-Match its own ETag = %d, ETag %s, Vary %q", r.StatusCode, r.Header.Get("ETag"), r.Header.Get("Vary"))
			}
			if tt.want != "" {
				if r := f.do(t, "GET", path, "If-None-Match", etag); r.StatusCode != 200 {
					t.Errorf("the %s ETag revalidated an uncompressed request: %d", tt.want, r.StatusCode)
				}
			}
			if r := f.do(t, "HEAD", path, "Accept-Encoding", tt.accept); r.Header.Get("Content-Length") != strconv.Itoa(len(b)) || body(t, r) != "" {
				t.Errorf("HEAD: Content-Length %q, want %d and no body", r.Header.Get("Content-Length"), len(b))
			}
		})
	}
	png := f.do(t, "GET", "/b/bnv.png", "Accept-Encoding", "gzip, br")
	if body(t, png); png.Header.Get("Content-Encoding") != "" {
		t.Errorf("PNG sent with Content-Encoding %q", png.Header.Get("Content-Encoding"))
	}
}

// TestCompressedCampaignJSON: the public JSON is made and compressed once
// per version, and follows a rotation in every coding.
func TestCompressedCampaignJSON(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/api/v1/campaigns/bnv", "/api/v1/campaigns"} {
		t.Run(path, func(t *testing.T) {
			raw := body(t, f.do(t, "GET", path))
			for _, enc := range []string{"br", "gzip"} {
				r := f.do(t, "GET", path, "Accept-Encoding", enc)
				if r.Header.Get("Content-Encoding") != enc || r.Header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("%s: Content-Encoding %q, Vary %q", enc, r.Header.Get("Content-Encoding"), r.Header.Get("Vary"))
				}
				if got := decompress(t, r); got != raw {
					t.Errorf("%s decodes to %q, want %q", enc, got, raw)
				}
				if r := f.do(t, "GET", path, "Accept-Encoding", enc, "If-None-Match", r.Header.Get("ETag")); r.StatusCode != 304 {
					t.Errorf("%s revalidation = %d, want 304", enc, r.StatusCode)
				}
			}
		})
	}
	r := f.do(t, "GET", "/api/v1/campaigns/bnv", "Accept-Encoding", "br")
	etag := r.Header.Get("ETag")
	if _, err := f.svc.Rotate(t.Context(), "bnv", "https://zalo.me/2222", 0, testActor); err != nil {
		t.Fatal(err)
	}
	r = f.do(t, "GET", "/api/v1/campaigns/bnv", "Accept-Encoding", "br", "If-None-Match", etag)
	if got := decompress(t, r); r.StatusCode != 200 || !strings.Contains(got, "https://zalo.me/2222") {
		t.Errorf("after a rotation the br JSON = %d %s", r.StatusCode, got)
	}
	if got := decompress(t, f.do(t, "GET", "/api/v1/campaigns", "Accept-Encoding", "gzip")); !strings.Contains(got, "https://zalo.me/2222") {
		t.Errorf("after a rotation the gzip list = %s", got)
	}
}

// TestPagesAreGzipped: pages made per request are gzipped for clients
// that accept it, and say they vary by Accept-Encoding.
func TestPagesAreGzipped(t *testing.T) {
	f := newAdminFixture(t, false)
	for _, tt := range []struct {
		name, path, who string
	}{
		{"webmaster page", "/", ""},
		{"webmaster page with a query", "/?campaign=bnv&size=256&theme=dark", ""},
		{"console", "/admin/c/bnv", "alice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plain := f.page(t, tt.who, tt.path, "")
			raw := body(t, plain)
			r := f.page(t, tt.who, tt.path, "gzip, br")
			if plain.StatusCode != 200 || r.StatusCode != 200 {
				t.Fatalf("GET %s = %d, %d", tt.path, plain.StatusCode, r.StatusCode)
			}
			if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Vary") != "Accept-Encoding" || plain.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Content-Encoding %q, Vary %q and %q", r.Header.Get("Content-Encoding"), r.Header.Get("Vary"), plain.Header.Get("Vary"))
			}
			got := decompress(t, r)
			if !strings.Contains(got, "<html") || len(got) != len(raw) {
				t.Errorf("the gzipped page decodes to %d bytes, the plain one is %d", len(got), len(raw))
			}
		})
	}
}

// page gets path as who ("" for nobody, else with a session cookie)
// with Accept-Encoding accept.
func (f *adminFixture) page(t *testing.T, who, path, accept string) *http.Response {
	t.Helper()
	var hdr []string
	if accept != "" {
		hdr = append(hdr, "Accept-Encoding", accept)
	}
	if who == "" {
		return f.do(t, "GET", path, hdr...)
	}
	ck, _ := f.session(t, who)
	return f.do(t, "GET", path, append(hdr, "Cookie", ck.Name+"="+ck.Value)...)
}

// TestCompressedSizes logs what each coding saves on the default badge and
// the campaign JSON, and checks each is smaller than the last.
func TestCompressedSizes(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/b/bnv.svg", "/b/bnv.svg?layout=card&size=512", "/api/v1/campaigns/bnv", "/api/v1/campaigns"} {
		var n [3]int
		for i, enc := range []string{"", "gzip", "br"} {
			n[i] = len(body(t, f.do(t, "GET", path, "Accept-Encoding", enc)))
		}
		t.Logf("%-34s raw %6d B, gzip %6d B (%2d %%), br %6d B (%2d %%)", path, n[0], n[1], 100*n[1]/n[0], n[2], 100*n[2]/n[0])
		if !(n[2] <= n[1] && n[1] < n[0]) {
			t.Errorf("%s: raw %d, gzip %d, br %d; want br ≤ gzip < raw", path, n[0], n[1], n[2])
		}
	}
}

// TestEmbedScriptIsCompressed: the script is sent brotli or gzip to
// clients that take it, with Vary, its own ETag per coding (304 works per
// coding), and bytes that decompress to exactly what the SRI hash covers.
func TestEmbedScriptIsCompressed(t *testing.T) {
	f := newFixture(t)
	plain := f.do(t, "GET", "/embed.js")
	raw := body(t, plain)
	for _, tt := range []struct{ accept, enc string }{{"gzip", "gzip"}, {"br, gzip", "br"}, {"gzip;q=0, identity", ""}} {
		t.Run(tt.accept, func(t *testing.T) {
			r := f.do(t, "GET", "/embed.js", "Accept-Encoding", tt.accept)
			b := []byte(body(t, r))
			if got := r.Header.Get("Content-Encoding"); got != tt.enc || r.Header.Get("Vary") != "Accept-Encoding" {
				t.Fatalf("Accept-Encoding %q: Content-Encoding %q, Vary %q", tt.accept, got, r.Header.Get("Vary"))
			}
			var dec []byte
			switch tt.enc {
			case "gzip":
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				dec, _ = io.ReadAll(zr)
			case "br":
				dec, _ = io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
			default:
				dec = b
			}
			if string(dec) != raw {
				t.Errorf("Accept-Encoding %q: the decompressed script differs from the plain one", tt.accept)
			}
			if tt.enc != "" && r.Header.Get("Etag") == plain.Header.Get("Etag") {
				t.Error("a compressed script has the plain one's ETag")
			}
			if nm := f.do(t, "GET", "/embed.js", "Accept-Encoding", tt.accept, "If-None-Match", r.Header.Get("Etag")); nm.StatusCode != 304 {
				t.Errorf("If-None-Match with the %q ETag = %d, want 304", tt.accept, nm.StatusCode)
			}
		})
	}
}
