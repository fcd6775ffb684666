// Package metrics holds oabadge's Prometheus series: HTTP requests by route
// and status, badge renders and cache use, in a registry of their own (not
// the global one) so tests can start several servers in one process.
package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
)

// Metrics are the series one process exports.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	renders  *prometheus.CounterVec
	renderS  *prometheus.HistogramVec
	hits     prometheus.Counter
	misses   prometheus.Counter

	cacheLen atomic.Pointer[func() int]

	mu     sync.RWMutex
	routes map[string]*Route

	purgesOnce sync.Once
	purges     *Purges
}

// Route caches one route's series so the serving path does not look
// labels up (and allocate) on every request: the route's histogram is
// resolved when the route is, and each status's counter the first time the
// route answers with it, then read without a lock.
type Route struct {
	name     string
	duration prometheus.Observer
	byCode   [numCodes]atomic.Pointer[codeCounter] // by status - minCode
	mu       sync.Mutex
	other    map[int]prometheus.Counter // statuses outside [minCode, minCode+numCodes)
	parent   *Metrics
}

// The statuses net/http lets a handler send are 100 to 999; those in use
// are below 600.
const (
	minCode  = 100
	numCodes = 500
)

type codeCounter struct{ prometheus.Counter }

// New registers oabadge's series, with the Go runtime and process
// collectors, in a new registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oabadge_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "oabadge_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oabadge_renders_total", Help: "Badge renders by format, layout and result.",
		}, []string{"format", "layout", "result"}),
		renderS: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "oabadge_render_duration_seconds", Help: "Badge render time by format and layout.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
		}, []string{"format", "layout"}),
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oabadge_badge_cache_hits_total", Help: "Badge requests served from the cache.",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oabadge_badge_cache_misses_total", Help: "Badge requests that had to render.",
		}),
		routes: map[string]*Route{},
	}
	m.Registry.MustRegister(m.requests, m.duration, m.renders, m.renderS, m.hits, m.misses,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "oabadge_badge_cache_entries", Help: "Rendered variants held in memory.",
		}, func() float64 {
			if f := m.cacheLen.Load(); f != nil {
				return float64((*f)())
			}
			return 0
		}),
	)
	return m
}

var _ campaign.Observer = (*Metrics)(nil)

// SetCacheLen sets what reports the badge cache's size.
func (m *Metrics) SetCacheLen(f func() int) { m.cacheLen.Store(&f) }

// CacheHit implements campaign.Observer.
func (m *Metrics) CacheHit() { m.hits.Inc() }

// CacheMiss implements campaign.Observer.
func (m *Metrics) CacheMiss() { m.misses.Inc() }

// Rendered implements campaign.Observer.
func (m *Metrics) Rendered(v badge.Variant, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.renders.WithLabelValues(v.Format.String(), v.Layout.String(), result).Inc()
	m.renderS.WithLabelValues(v.Format.String(), v.Layout.String()).Observe(d.Seconds())
}

// Route returns the series of the route pattern name, creating them once.
func (m *Metrics) Route(name string) *Route {
	m.mu.RLock()
	r := m.routes[name]
	m.mu.RUnlock()
	if r != nil {
		return r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r = m.routes[name]; r == nil {
		r = &Route{name: name, duration: m.duration.WithLabelValues(name), parent: m}
		m.routes[name] = r
	}
	return r
}

// Observe records one request that answered code after d.
func (r *Route) Observe(code int, d time.Duration) {
	r.duration.Observe(d.Seconds())
	r.counter(code).Inc()
}

// counter returns the request counter of code, creating its series the
// first time: a series appears in /metrics once it has counted a request.
func (r *Route) counter(code int) prometheus.Counter {
	i := code - minCode
	if uint(i) < numCodes {
		if c := r.byCode[i].Load(); c != nil {
			return c.Counter
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if uint(i) < numCodes {
		if c := r.byCode[i].Load(); c != nil {
			return c.Counter
		}
		c := r.parent.requests.WithLabelValues(r.name, strconv.Itoa(code))
		r.byCode[i].Store(&codeCounter{c})
		return c
	}
	c := r.other[code]
	if c == nil {
		c = r.parent.requests.WithLabelValues(r.name, strconv.Itoa(code))
		if r.other == nil {
			r.other = map[int]prometheus.Counter{}
		}
		r.other[code] = c
	}
	return c
}
