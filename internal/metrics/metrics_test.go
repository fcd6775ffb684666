package metrics_test

import (
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/metrics"
)

// requests returns oabadge_http_requests_total by route and code, and the
// request count of each route's latency histogram.
func requests(t *testing.T, m *metrics.Metrics) (map[[2]string]float64, map[string]uint64) {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	counts, observed := map[[2]string]float64{}, map[string]uint64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetName() {
			case "oabadge_http_requests_total":
				counts[[2]string{labels["route"], labels["code"]}] = s.GetCounter().GetValue()
			case "oabadge_http_request_duration_seconds":
				observed[labels["route"]] = s.GetHistogram().GetSampleCount()
			}
		}
	}
	return counts, observed
}

func TestRouteCountsEveryStatus(t *testing.T) {
	m := metrics.New()
	b, p := m.Route("/b/:file"), m.Route("/p/:file")
	if m.Route("/b/:file") != b {
		t.Error("Route returned a new Route for a name it had")
	}
	codes := []int{200, 200, 304, 404, 100, 599, 600, 999, 42}
	for _, c := range codes {
		b.Observe(c, time.Millisecond)
	}
	p.Observe(429, time.Second)
	counts, observed := requests(t, m)
	want := map[[2]string]float64{
		{"/b/:file", "200"}: 2, {"/b/:file", "304"}: 1, {"/b/:file", "404"}: 1, {"/b/:file", "100"}: 1,
		{"/b/:file", "599"}: 1, {"/b/:file", "600"}: 1, {"/b/:file", "999"}: 1, {"/b/:file", "42"}: 1,
		{"/p/:file", "429"}: 1,
	}
	if len(counts) != len(want) {
		t.Errorf("oabadge_http_requests_total has %d series %v, want %d %v", len(counts), counts, len(want), want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("oabadge_http_requests_total{route=%q,code=%q} = %v, want %v", k[0], k[1], counts[k], n)
		}
	}
	if observed["/b/:file"] != uint64(len(codes)) || observed["/p/:file"] != 1 {
		t.Errorf("latency histogram counts %v, want /b/:file %d and /p/:file 1", observed, len(codes))
	}
}

// TestRouteConcurrently counts from many goroutines at once, new statuses
// included (run with -race).
func TestRouteConcurrently(t *testing.T) {
	m := metrics.New()
	const workers, each = 8, 2000
	codes := []int{200, 304, 404, 503, 700}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := m.Route("/b/:file")
			for i := range each {
				r.Observe(codes[(w+i)%len(codes)], time.Microsecond)
			}
		})
	}
	wg.Wait()
	counts, observed := requests(t, m)
	var total float64
	for _, n := range counts {
		total += n
	}
	if total != workers*each || observed["/b/:file"] != workers*each || len(counts) != len(codes) {
		t.Errorf("counted %v in %d series (%v), histogram %d; want %d in %d series", total, len(counts), counts, observed["/b/:file"], workers*each, len(codes))
	}
}

func BenchmarkRouteObserve(b *testing.B) {
	r := metrics.New().Route("/b/:file")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Observe(200, 150*time.Microsecond)
		}
	})
}
