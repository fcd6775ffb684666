package compliance_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/static"
)

// badgeOrigin is a stand-in for this server's public side on 127.0.0.1:
// the real embed script (with its URL written in, pinned by name and
// integrity as the webmaster page pins it), real badge images, the frame
// page and the redirect. It counts requests per path.
type badgeOrigin struct {
	URL       string
	file      string // the versioned script's name, v1-….js
	integrity string
	codes     map[string]string // slug → what its QR encodes

	mu       sync.Mutex
	hits     map[string]int
	referred int // requests that carried a Referer or an Origin and were not marked as the checker's
}

func newBadgeOrigin(t testing.TB, codes map[string]string) *badgeOrigin {
	t.Helper()
	o := &badgeOrigin{codes: codes, hits: map[string]int{}}
	srv := httptest.NewUnstartedServer(nil)
	o.URL = "http://" + srv.Listener.Addr().String()
	src, err := static.FS.ReadFile("embed.js")
	if err != nil {
		t.Fatal(err)
	}
	lit, _ := json.Marshal(o.URL)
	src = bytes.Replace(src, []byte(`"{{PUBLIC_URL}}"`), lit, 1)
	src = bytes.Replace(src, []byte(`"{{VERSION}}"`), []byte(`"1"`), 1)
	sum, sri := sha256.Sum256(src), sha512.Sum384(src)
	o.file = "v1-" + hex.EncodeToString(sum[:5]) + ".js"
	o.integrity = "sha384-" + base64.StdEncoding.EncodeToString(sri[:])
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		if (r.Header.Get("Referer") != "" || r.Header.Get("Origin") != "") && !compliance.IsCheckerRequest(r.UserAgent()) {
			o.referred++
		}
		o.mu.Unlock()
		h := w.Header()
		p := r.URL.Path
		switch {
		case p == "/embed.js" || p == "/embed/"+o.file:
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
			w.Write(src)
		case strings.HasPrefix(p, "/b/"):
			slug, ext, _ := strings.Cut(strings.TrimPrefix(p, "/b/"), ".")
			code, ok := codes[slug]
			f, okf := badge.ParseFormat(ext)
			if !ok || !okf {
				http.NotFound(w, r)
				return
			}
			v := badge.DefaultVariant(f)
			if s, ok := badge.ParseSize(r.URL.Query().Get("size")); ok {
				v.Size = s
			}
			if l, ok := badge.ParseLayout(r.URL.Query().Get("layout")); ok {
				v.Layout = l
			}
			img, err := badge.Render(badge.Content{Code: code, Title: "Zalo OA", Caption: "Quét mã QR để theo dõi Zalo OA"}, v)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			h.Set("Content-Type", map[badge.Format]string{badge.SVG: "image/svg+xml", badge.PNG: "image/png"}[f])
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
			w.Write(img)
		case strings.HasPrefix(p, "/e/"):
			slug := strings.TrimPrefix(p, "/e/")
			if _, ok := codes[slug]; !ok {
				http.NotFound(w, r)
				return
			}
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; img-src "+o.URL+"; style-src "+o.URL)
			fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>Zalo OA</title></head><body style="margin:0">`+
				`<a href="%s/go/%s" target="_blank" rel="noopener noreferrer"><img src="%s/b/%s.svg?size=192&amp;theme=light&amp;layout=badge" width="192" height="240" alt="Zalo OA"></a></body></html>`,
				o.URL, slug, o.URL, slug)
		case strings.HasPrefix(p, "/go/"):
			code, ok := codes[strings.TrimPrefix(p, "/go/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			http.Redirect(w, r, code, http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return o
}

// hitsOn returns how many requests asked for path.
func (o *badgeOrigin) hitsOn(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

// snippet returns the markup the webmaster page hands out for a form
// ("script", "reserved", "img", "iframe"), as internal/server builds it.
func (o *badgeOrigin) snippet(form, slug string) string {
	q := "size=192&amp;theme=light&amp;layout=badge"
	img := `<a href="` + o.URL + `/go/` + slug + `" target="_blank" rel="noopener noreferrer"><img src="` + o.URL + `/b/` + slug + `.svg?` + q +
		`" width="192" height="240" alt="Quét mã QR để theo dõi Zalo OA"></a>`
	data := ` data-oabadge="` + html.EscapeString(slug) + `" data-size="192" data-theme="auto" data-layout="badge" data-label="Zalo OA"`
	script := `<script async src="` + o.URL + `/embed/` + o.file + `" integrity="` + o.integrity + `" crossorigin="anonymous"`
	switch form {
	case "script":
		return script + data + `></script><noscript>` + img + `</noscript>`
	case "reserved":
		return `<div` + data + ` style="display:inline-block;width:192px;height:240px;vertical-align:top"><noscript>` + img + `</noscript></div>` + script + `></script>`
	case "img":
		return img
	case "iframe":
		return `<iframe src="` + o.URL + `/e/` + slug + `?` + q + `" width="192" height="240" title="Zalo OA" loading="lazy" scrolling="no" frameborder="0" sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>`
	}
	panic("no snippet " + form)
}
