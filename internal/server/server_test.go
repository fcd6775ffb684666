package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/logging"
)

func (f *fixture) do(t testing.TB, method, target string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = "192.0.2.10:1234"
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w.Result()
}

func body(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadgeHeaders(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ path, ctype string }{
		{"/b/bnv.svg", "image/svg+xml"},
		{"/b/bnv.png?size=256&theme=dark&layout=card&dpr=2", "image/png"},
	} {
		r := f.do(t, "GET", tt.path)
		b := body(t, r)
		want := map[string]string{
			"Content-Type":                 tt.ctype,
			"Cache-Control":                "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400",
			"X-Content-Type-Options":       "nosniff",
			"Cross-Origin-Resource-Policy": "cross-origin",
			"Access-Control-Allow-Origin":  "*",
		}
		if r.StatusCode != 200 {
			t.Fatalf("GET %s: status %d: %s", tt.path, r.StatusCode, b)
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", tt.path, k, got, v)
			}
		}
		if et := r.Header.Get("ETag"); !strings.HasPrefix(et, `"`) || !strings.HasSuffix(et, `"`) || len(et) < 10 {
			t.Errorf("GET %s: ETag %q is not a strong tag", tt.path, et)
		}
		if r.Header.Get("Content-Length") != itoa(len(b)) {
			t.Errorf("GET %s: Content-Length %s for %d bytes", tt.path, r.Header.Get("Content-Length"), len(b))
		}
		csp := r.Header.Get("Content-Security-Policy")
		if tt.ctype == "image/svg+xml" && (!strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src")) {
			t.Errorf("GET %s: Content-Security-Policy %q must forbid script", tt.path, csp)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestConditionalAndHead(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/b/bnv.svg?size=256")
	full := body(t, r)
	etag := r.Header.Get("ETag")
	for _, inm := range []string{etag, "W/" + etag, `"nope", ` + etag, "*"} {
		r := f.do(t, "GET", "/b/bnv.svg?size=256", "If-None-Match", inm)
		if r.StatusCode != http.StatusNotModified || body(t, r) != "" {
			t.Errorf("If-None-Match %s: status %d, want 304 with no body", inm, r.StatusCode)
		}
		if r.Header.Get("ETag") != etag || r.Header.Get("Cache-Control") == "" {
			t.Errorf("If-None-Match %s: 304 without ETag or Cache-Control", inm)
		}
	}
	if r := f.do(t, "GET", "/b/bnv.svg?size=256", "If-None-Match", `"other"`); r.StatusCode != 200 {
		t.Errorf("non-matching If-None-Match: status %d, want 200", r.StatusCode)
	}
	r = f.do(t, "HEAD", "/b/bnv.svg?size=256")
	if r.StatusCode != 200 || body(t, r) != "" || r.Header.Get("ETag") != etag || r.Header.Get("Content-Length") != itoa(len(full)) {
		t.Errorf("HEAD: status %d, ETag %q, Content-Length %q; want 200, %q, %d and no body",
			r.StatusCode, r.Header.Get("ETag"), r.Header.Get("Content-Length"), etag, len(full))
	}
}

func TestBadQueriesAreRefusedWithoutRendering(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		path   string
		status int
		msg    string
	}{
		{"/b/bnv.svg?size=200", 400, "size must be one of 128, 192, 256, 384, 512, 1024"},
		{"/b/bnv.svg?size=99999999999", 400, "size must be one of"},
		{"/b/bnv.png?size=-1", 400, "size must be one of"},
		{"/b/bnv.svg?theme=purple", 400, "theme must be one of light, dark, mono"},
		{"/b/bnv.svg?layout=poster", 400, "layout must be one of badge, qr, card"},
		{"/b/bnv.png?dpr=3", 400, "dpr must be one of 1, 2"},
		{"/b/bnv.svg?layout=card&size=128", 400, "layout card needs size 256 or more"},
		{"/b/bnv.svg?size=192&size=256", 400, "size is given more than once"},
		{"/b/bnv.svg?size=%zz", 400, "size must be one of"},
		{"/b/bnv.gif", 404, "badge path must be"},
		{"/b/bnv", 404, "badge path must be"},
		{"/b/nope.svg", 404, "no such campaign"},
		{"/b/nope.svg?size=200", 400, "size must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := f.do(t, "GET", tt.path)
			b := body(t, r)
			if r.StatusCode != tt.status || !strings.Contains(b, tt.msg) {
				t.Errorf("GET %s = %d %q, want %d with %q", tt.path, r.StatusCode, b, tt.status, tt.msg)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("GET %s: Content-Type %q, want text/plain", tt.path, ct)
			}
		})
	}
	if m := metrics(t, f); strings.Contains(m, "oabadge_renders_total{") {
		t.Errorf("refused requests rendered:\n%s", grep(m, "oabadge_renders_total"))
	}
	// Unknown parameters are ignored: they cannot change the bytes.
	a := body(t, f.do(t, "GET", "/b/bnv.svg"))
	b := body(t, f.do(t, "GET", "/b/bnv.svg?v=3&utm_source=x&size=192&SIZE=9"))
	if a != b {
		t.Error("unknown query parameters changed the badge")
	}
}

func metrics(t testing.TB, f *fixture) string {
	r := f.do(t, "GET", "/metrics")
	if r.StatusCode != 200 {
		t.Fatalf("/metrics: status %d", r.StatusCode)
	}
	return body(t, r)
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.do(t, "GET", "/b/bnv.svg")
	}
	f.do(t, "GET", "/b/bnv.svg?size=1")
	m := metrics(t, f)
	for _, want := range []string{
		`oabadge_http_requests_total{code="200",route="/b/:file"} 3`,
		`oabadge_http_requests_total{code="400",route="/b/:file"} 1`,
		`oabadge_renders_total{format="svg",layout="badge",result="ok"} 1`,
		`oabadge_badge_cache_hits_total 2`,
		`oabadge_badge_cache_misses_total 1`,
		`oabadge_badge_cache_entries 1`,
		`oabadge_render_duration_seconds_count{format="svg",layout="badge"} 1`,
		`oabadge_http_request_duration_seconds_count{route="/b/:file"} 4`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestOutputIgnoresForwardingHeaders sends every public route with and
// without spoofed Host and X-Forwarded-* headers and expects the same bytes.
func TestOutputIgnoresForwardingHeaders(t *testing.T) {
	f := newFixture(t)
	spoof := []string{
		"Host", "evil.example",
		"X-Forwarded-Host", "evil.example",
		"X-Forwarded-Proto", "http",
		"X-Forwarded-For", "203.0.113.9",
		"Forwarded", "for=203.0.113.9;host=evil.example;proto=http",
		"X-Original-URL", "/b/other.svg",
	}
	for _, path := range []string{"/b/bnv.svg", "/b/bnv.png?size=128", "/api/v1/campaigns/bnv", "/api/v1/campaigns", "/go/bnv", "/s/bnv", "/", "/?lang=en"} {
		a, b := f.do(t, "GET", path), f.do(t, "GET", path, spoof...)
		ab, bb := body(t, a), body(t, b)
		if a.StatusCode != b.StatusCode || ab != bb {
			t.Errorf("GET %s: spoofed headers changed the response (%d vs %d)", path, a.StatusCode, b.StatusCode)
		}
		for k := range a.Header {
			if k != "Date" && a.Header.Get(k) != b.Header.Get(k) {
				t.Errorf("GET %s: spoofed headers changed %s: %q vs %q", path, k, a.Header.Get(k), b.Header.Get(k))
			}
		}
		if strings.Contains(bb, "evil.example") || strings.Contains(b.Header.Get("Location"), "evil") {
			t.Errorf("GET %s: response mentions the spoofed host", path)
		}
	}
}

func TestCampaignJSONAndRedirectFollowRotation(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/campaigns/bnv")
	js := body(t, r)
	for _, want := range []string{`"slug":"bnv"`, `"title":"Zalo OA Bộ Nội vụ"`, `"caption":"Quét mã QR để theo dõi Zalo OA Bộ Nội vụ"`,
		`"target":"https://zalo.me/1111"`, `"version":1`, `"svg":"https://badge.example.gov.vn/b/bnv.svg"`, `"link":"https://badge.example.gov.vn/go/bnv"`} {
		if !strings.Contains(js, want) {
			t.Errorf("campaign JSON lacks %s:\n%s", want, js)
		}
	}
	etag := r.Header.Get("ETag")
	if r := f.do(t, "GET", "/api/v1/campaigns/bnv", "If-None-Match", etag); r.StatusCode != 304 {
		t.Errorf("campaign JSON with its ETag: status %d, want 304", r.StatusCode)
	}
	for _, p := range []string{"/go/bnv", "/s/bnv"} {
		r := f.do(t, "GET", p)
		if r.StatusCode != 302 || r.Header.Get("Location") != "https://zalo.me/1111" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d to %q (%s), want an uncacheable 302 to the target", p, r.StatusCode, r.Header.Get("Location"), r.Header.Get("Cache-Control"))
		}
	}
	oldPNG := body(t, f.do(t, "GET", "/b/bnv.png?size=256"))

	if _, err := f.svc.Rotate(context.Background(), "bnv", "https://zalo.me/2222", 1, testActor); err != nil {
		t.Fatal(err)
	}
	if r := f.do(t, "GET", "/api/v1/campaigns/bnv", "If-None-Match", etag); r.StatusCode != 200 || !strings.Contains(body(t, r), `"version":2`) {
		t.Errorf("campaign JSON after rotation: status %d, want 200 with version 2", r.StatusCode)
	}
	if r := f.do(t, "GET", "/go/bnv"); r.Header.Get("Location") != "https://zalo.me/2222" {
		t.Errorf("/go after rotation leads to %q", r.Header.Get("Location"))
	}
	newPNG := body(t, f.do(t, "GET", "/b/bnv.png?size=256"))
	if got := decodePNG(t, newPNG); got != "https://zalo.me/2222" {
		t.Errorf("the PNG after rotation decodes to %q", got)
	}
	if got := decodePNG(t, oldPNG); got != "https://zalo.me/1111" {
		t.Errorf("the PNG before rotation decodes to %q", got)
	}
	for _, p := range []string{"/go/nope", "/api/v1/campaigns/nope"} {
		if r := f.do(t, "GET", p); r.StatusCode != 404 {
			t.Errorf("GET %s: status %d, want 404", p, r.StatusCode)
		}
	}
	if r := f.do(t, "GET", "/api/v1/campaigns/nope"); !strings.Contains(body(t, r), `{"error":"no such campaign"}`) {
		t.Error("API 404 is not a JSON error")
	}
}

func decodePNG(t testing.TB, b string) string {
	t.Helper()
	img, err := png.Decode(strings.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return res.GetText()
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t)
	if r := f.do(t, "GET", "/healthz"); r.StatusCode != 200 {
		t.Errorf("/healthz: %d", r.StatusCode)
	}
	r := f.do(t, "GET", "/readyz")
	b := body(t, r)
	if r.StatusCode != 200 || !strings.Contains(b, `"status":"ready"`) || !strings.Contains(b, `"campaigns":{"bnv":1}`) || !strings.Contains(b, `"v-test"`) {
		t.Errorf("/readyz = %d %s", r.StatusCode, b)
	}
	f.srv.Drain()
	if r := f.do(t, "GET", "/readyz"); r.StatusCode != 503 {
		t.Errorf("/readyz while draining = %d, want 503", r.StatusCode)
	}
}

func TestPagesAndSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/")
	b := body(t, r)
	if r.StatusCode != 200 || !strings.Contains(b, `lang="vi"`) || !strings.Contains(b, "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ") {
		t.Errorf("GET / = %d, want the Vietnamese page with the caption", r.StatusCode)
	}
	if !strings.Contains(b, `&lt;a href=&#34;https://badge.example.gov.vn/go/bnv&#34;`) || !strings.Contains(b, `width=&#34;192&#34; height=&#34;240&#34;`) {
		t.Errorf("GET / lacks the escaped <a><img> snippet with its box:\n%s", b)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("page CSP = %q", csp)
	}
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind an https public URL")
	}
	if r := f.do(t, "GET", "/?lang=en"); !strings.Contains(body(t, r), `lang="en"`) {
		t.Error("?lang=en is not English")
	}
	if r := f.do(t, "GET", "/static/style.css"); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/static/../go.mod", "/static/index.html", "/nope", "/b/"} {
		if r := f.do(t, "GET", p); r.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, r.StatusCode)
		}
	}
	if r := f.do(t, "POST", "/b/bnv.svg", "Content-Type", "text/plain"); r.StatusCode != 405 {
		t.Errorf("POST /b/bnv.svg = %d, want 405", r.StatusCode)
	}
}

func TestTrustedProxies(t *testing.T) {
	var logs bytes.Buffer
	for _, tt := range []struct {
		trusted []netip.Prefix
		peer    string
		want    string
	}{
		{nil, "10.1.2.3:1", "10.1.2.3"},
		{nil, "127.0.0.1:1", "127.0.0.1"},
		{[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "10.1.2.3:1", "198.51.100.7"},
		{[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "192.0.2.1:1", "192.0.2.1"},
		{[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "127.0.0.1:1", "127.0.0.1"},
	} {
		t.Run(tt.peer+" via "+fmt.Sprint(tt.trusted), func(t *testing.T) {
			logs.Reset()
			f := newApp(t, func() config.Config {
				c := testConfig(t)
				c.TrustedProxies, c.AccessLog = tt.trusted, true
				return c
			}(), withLog(slog.New(slog.NewJSONHandler(&logs, nil))))
			srv := f.srv
			r := httptest.NewRequest("GET", "/healthz", nil)
			r.RemoteAddr = tt.peer
			r.Header.Set("X-Forwarded-For", "198.51.100.7")
			srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
			if !strings.Contains(logs.String(), `"ip":"`+tt.want+`"`) {
				t.Errorf("trusted %v, peer %s: access log %s, want ip %s", tt.trusted, tt.peer, logs.String(), tt.want)
			}
		})
	}
}

// TestAccessLogLines reads the access log of the production logger (JSON,
// buffered): one line per request, routed or not, with its fields.
func TestAccessLogLines(t *testing.T) {
	var out bytes.Buffer
	log, flush := logging.New(&out, "json", "info")
	f := newFixtureWith(t, withLog(log), func(c *config.Config) { c.AccessLog = true })
	for _, target := range []string{"/b/bnv.svg?size=192", "/nope\"\x01"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path, r.RemoteAddr = target, "192.0.2.7:4321"
		if p, q, ok := strings.Cut(target, "?"); ok {
			r.URL.Path, r.URL.RawQuery = p, q
		}
		f.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	flush()
	var lines []map[string]any
	for l := range strings.Lines(out.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("access log line %q: %v", l, err)
		}
		if m["msg"] == "http" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d access log lines, want 2:\n%s", len(lines), out.String())
	}
	for i, want := range []map[string]any{
		{"level": "INFO", "method": "GET", "path": "/b/bnv.svg", "status": 200.0, "ip": "192.0.2.7"},
		{"level": "INFO", "method": "GET", "path": "/nope\"\x01", "status": 404.0, "ip": "192.0.2.7"},
	} {
		for k, v := range want {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, lines[i][k], v)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(lines[i]["time"])); err != nil {
			t.Errorf("line %d: time: %v", i, err)
		}
		if len(lines[i]) != 9 {
			t.Errorf("line %d has fields %v, want time, level, msg, method, path, status, bytes, dur, ip", i, lines[i])
		}
	}
	if n, _ := lines[0]["bytes"].(float64); n < 1000 {
		t.Errorf("the badge's line says %v bytes", lines[0]["bytes"])
	}
	if d, _ := lines[0]["dur"].(float64); d <= 0 {
		t.Errorf("the badge's line says it took %v ns", lines[0]["dur"])
	}
}

// discard is a ResponseWriter that keeps nothing, so benchmarks measure the
// server alone.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServeCachedBadge measures the hot path: a cached badge through
// the router and the production middleware, without and with access logs
// (the production logger, writing to nowhere).
func BenchmarkServeCachedBadge(b *testing.B) {
	for _, bc := range []struct {
		name   string
		log    bool
		target string
		inm    bool
		accept string // Accept-Encoding
	}{
		{"svg", false, "/b/bnv.svg?size=192&theme=light", false, ""},
		{"png", false, "/b/bnv.png?size=256&dpr=2", false, ""},
		{"svg-304", false, "/b/bnv.svg?size=192&theme=light", true, ""},
		{"svg-accesslog", true, "/b/bnv.svg?size=192&theme=light", false, ""},
		{"svg-gzip", false, "/b/bnv.svg?size=192&theme=light", false, "gzip, deflate"},
		{"svg-br", false, "/b/bnv.svg?size=192&theme=light", false, "gzip, deflate, br, zstd"},
		{"svg-br-304", false, "/b/bnv.svg?size=192&theme=light", true, "gzip, deflate, br, zstd"},
		{"png-br", false, "/b/bnv.png?size=256&dpr=2", false, "gzip, deflate, br, zstd"},
		// Production defaults, as the load test asks.
		{"svg-gzip-accesslog", true, "/b/bnv.svg?size=192", false, "gzip"},
		{"svg-gzip-304-accesslog", true, "/b/bnv.svg?size=192", true, "gzip"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			log, flush := logging.New(io.Discard, "json", "info")
			defer flush()
			f := newFixtureWith(b, withLog(log), func(c *config.Config) { c.AccessLog = bc.log })
			req := httptest.NewRequest("GET", bc.target, nil)
			if bc.accept != "" {
				req.Header["Accept-Encoding"] = []string{bc.accept}
			}
			w := &discard{h: http.Header{}}
			f.h.ServeHTTP(w, req)
			if bc.inm {
				req.Header["If-None-Match"] = []string{w.h.Get("Etag")}
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				f.h.ServeHTTP(w, req)
			}
		})
	}
}

// TestRandomRequestsKeepTheCacheBounded sends many random paths and query
// values: every answer is 200, 400 or 404, and the cache never holds more
// than one entry per valid variant of the one campaign.
func TestRandomRequestsKeepTheCacheBounded(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for i := 0; i < 3000; i++ {
		q := url.Values{}
		q.Set(pick("size", "theme", "layout", "dpr", "v", "x"), pick("128", "192", "1024", "99999", "light", "dark", "mono", "card", "qr", "badge", "1", "2", strconv.Itoa(rng.Int())))
		q.Set(pick("size", "theme", "layout", "dpr"), pick("256", "512", "mono", "qr", "2", "%", ""))
		path := pick("/b/bnv.svg", "/b/bnv.png", "/b/"+strconv.Itoa(rng.IntN(1e6))+".svg", "/b/bnv.gif", "/go/x"+strconv.Itoa(i))
		r := f.do(t, pick("GET", "HEAD"), path+"?"+q.Encode())
		if r.StatusCode != 200 && r.StatusCode != 400 && r.StatusCode != 404 {
			t.Fatalf("GET %s?%s = %d", path, q.Encode(), r.StatusCode)
		}
	}
	valid := len(badge.Variants())
	if n := f.svc.CacheLen(); n == 0 || n > valid {
		t.Errorf("cache holds %d entries after the flood, want between 1 and %d", n, valid)
	}
}

func TestFramePage(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/e/bnv?size=256&theme=dark")
	b := body(t, r)
	if r.StatusCode != 200 || !strings.Contains(b, `src="https://badge.example.gov.vn/b/bnv.svg?layout=badge&amp;size=256&amp;theme=dark"`) ||
		!strings.Contains(b, `width="256" height="320"`) || !strings.Contains(b, `target="_blank" rel="noopener noreferrer"`) {
		t.Errorf("/e/bnv = %d:\n%s", r.StatusCode, b)
	}
	if strings.Contains(b, "<script") {
		t.Error("the iframe page has a script")
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src https://badge.example.gov.vn") || strings.Contains(csp, "frame-ancestors") || r.Header.Get("X-Frame-Options") != "" {
		t.Errorf("/e/bnv must be frameable with a strict CSP: CSP %q, X-Frame-Options %q", csp, r.Header.Get("X-Frame-Options"))
	}
	for path, code := range map[string]int{"/e/nope": 404, "/e/bnv?size=7": 400, "/e/bnv?layout=card&size=128": 400} {
		if r := f.do(t, "GET", path); r.StatusCode != code {
			t.Errorf("GET %s = %d, want %d", path, r.StatusCode, code)
		}
	}
}
