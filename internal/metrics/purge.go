package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oabadge/oabadge/internal/purge"
)

// Purges are the series of the purges sent to shared caches.
type Purges struct {
	requests *prometheus.CounterVec
	pending  prometheus.Gauge
}

var _ purge.Observer = (*Purges)(nil)

// Purges returns the purge series, registering them on first use: a
// process with no shared cache configured does not export them.
func (m *Metrics) Purges() *Purges {
	m.purgesOnce.Do(func() { m.purges = newPurges(m.Registry) })
	return m.purges
}

func newPurges(reg *prometheus.Registry) *Purges {
	p := &Purges{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oabadge_purge_requests_total",
			Help: "Purge requests to shared caches by endpoint and result: ok, retry (failed, tried again) or failed (given up).",
		}, []string{"endpoint", "result"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "oabadge_purge_pending", Help: "Purges waiting to be sent to shared caches.",
		}),
	}
	reg.MustRegister(p.requests, p.pending)
	return p
}

// Purge implements purge.Observer.
func (p *Purges) Purge(endpoint, result string) { p.requests.WithLabelValues(endpoint, result).Inc() }

// PurgePending implements purge.Observer.
func (p *Purges) PurgePending(n int) { p.pending.Set(float64(n)) }
