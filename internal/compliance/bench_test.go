package compliance_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/compliance"
)

// BenchmarkCheck2000 checks 2,000 simulated portals served on 127.0.0.1
// (a third embed the badge, a third do not, a third block it with their
// CSP), for two campaigns, with the badge's own resources served from
// another local origin (fetched once per run), and reports the peak heap
// in use.
//
//	go test ./internal/compliance -run '^$' -bench Check2000 -benchtime 3x
func BenchmarkCheck2000(b *testing.B) {
	pub := newBadgeOrigin(b, map[string]string{"bnv": "https://zalo.me/1111", "tinh": "https://zalo.me/2222"}).URL
	filler := strings.Repeat("<div class=\"tin\"><a href=\"/tin/1\">Tin tức hoạt động của cơ quan</a></div>\n", 300) // ~25 KiB, like a CMS homepage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/p/%d", &n)
		if n%3 == 2 {
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>Cổng %d</title></head><body>%s", n, filler)
		if n%3 != 1 {
			fmt.Fprintf(w, `<a href="%s/go/bnv"><img src="%s/b/bnv.svg?size=192" alt="Zalo OA"></a>`, pub, pub)
		}
		fmt.Fprint(w, "</body></html>")
	}))
	defer srv.Close()
	agencies := make([]compliance.Agency, 2000)
	for i := range agencies {
		agencies[i] = compliance.Agency{ID: int64(i + 1), Name: fmt.Sprint("Cơ quan ", i), Kind: compliance.Unit, Homepage: fmt.Sprintf("%s/p/%d", srv.URL, i)}
	}
	c := &compliance.Checker{PublicURL: pub, Concurrency: 32, Timeout: 10 * time.Second, AllowPrivate: true}

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		rs := c.Check(context.Background(), agencies, []string{"bnv", "tinh"})
		if len(rs) != 4000 {
			b.Fatalf("%d results", len(rs))
		}
		embedded := 0
		for _, r := range rs {
			if r.Status == compliance.Embedded {
				embedded++
			}
		}
		if embedded != 667 {
			b.Fatalf("%d embedded, want 667", embedded)
		}
	}
	close(stop)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
