package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// Metrics are the gateway's own series next to the shared HTTP RED metrics.
type Metrics struct {
	authFailures *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	breaker      prometheus.Gauge
}

// NewMetrics registers the gateway's metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_auth_failures_total",
			Help: "Refused authentications by reason (missing, malformed, algorithm, signature, expired, claims, revoked, unknown_subject, suspended, bad_credentials, login_rate_limited, refresh_invalid, refresh_reused).",
		}, []string{"reason"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_ratelimit_decisions_total",
			Help: "Rate-limit decisions by tier, decision (allowed|limited|unavailable) and source (redis|local).",
		}, []string{"tier", "decision", "source"}),
		breaker: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_redis_breaker_state",
			Help: "State of the circuit breaker around the rate limiter's Redis: 0 closed, 1 half-open, 2 open.",
		}),
	}
	reg.MustRegister(m.authFailures, m.decisions, m.breaker)
	return m
}

// AuthFailure counts a refused authentication.
func (m *Metrics) AuthFailure(reason string) { m.authFailures.WithLabelValues(reason).Inc() }

// Decision counts a rate-limit decision.
func (m *Metrics) Decision(tier, decision, source string) {
	m.decisions.WithLabelValues(tier, decision, source).Inc()
}

// BreakerChanged records the Redis breaker's state.
func (m *Metrics) BreakerChanged(_, to gobreaker.State) { m.breaker.Set(float64(to)) }
