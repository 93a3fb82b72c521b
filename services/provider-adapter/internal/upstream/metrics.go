package upstream

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-provider call metrics. A nil *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the upstream call metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provider_requests_total",
			Help: "Calls to a data provider, by provider, endpoint template and outcome (ok or an error kind).",
		}, []string{"provider", "endpoint", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provider_errors_total",
			Help: "Failed calls to a data provider, by provider and error kind.",
		}, []string{"provider", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "provider_request_duration_seconds",
			Help:    "Latency of calls to a data provider, by provider and endpoint template.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10},
		}, []string{"provider", "endpoint"}),
	}
	reg.MustRegister(m.requests, m.errors, m.latency)
	return m
}

func (m *Metrics) observe(provider, endpoint string, kind Kind, elapsed time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if kind != "" {
		outcome = string(kind)
		// A 404 is an answer, not a provider fault.
		if kind != KindNotFound {
			m.errors.WithLabelValues(provider, string(kind)).Inc()
		}
	}
	m.requests.WithLabelValues(provider, endpoint, outcome).Inc()
	m.latency.WithLabelValues(provider, endpoint).Observe(elapsed.Seconds())
}

// CountUnavailable records a call that was not made (breaker open, quota spent).
func (m *Metrics) CountUnavailable(provider, reason string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(provider, reason).Inc()
}
