package readthrough

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// Metrics are the cache's Prometheus series. Labels are bounded: resources, fixed
// outcomes and Redis operation names, never keys or leagues.
type Metrics struct {
	requests      *prometheus.CounterVec
	stale         *prometheus.CounterVec
	coalesced     *prometheus.CounterVec
	refreshes     *prometheus.CounterVec
	upstream      *prometheus.HistogramVec
	uncacheable   *prometheus.CounterVec
	redisErrors   *prometheus.CounterVec
	invalidations *prometheus.CounterVec
}

// NewMetrics registers the cache metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_requests_total",
			Help: "Cache lookups by resource and result (hit, miss, stale, bypass = Redis unavailable, served uncached).",
		}, []string{"resource", "result"}),
		stale: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_stale_served_total",
			Help: "Stale entries served, by reason (revalidate = stale-while-revalidate, error = stale-if-error, slow = adapter slower than CACHE_WAIT_TIMEOUT).",
		}, []string{"resource", "reason"}),
		coalesced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_coalesced_waits_total",
			Help: "Requests that waited for another request's adapter call instead of making their own (local = same instance, remote = another replica's lock).",
		}, []string{"resource", "scope"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_background_refreshes_total",
			Help: "Background refreshes of stale entries, by outcome (ok, error, skipped = another replica held the lock).",
		}, []string{"resource", "outcome"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cache_adapter_request_duration_seconds",
			Help:    "Adapter calls by resource and outcome (ok, client_error, server_error, timeout, unreachable).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"resource", "outcome"}),
		uncacheable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_uncacheable_total",
			Help: "Successful adapter answers not cached, by reason (too_large).",
		}, []string{"resource", "reason"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_redis_errors_total",
			Help: "Failed Redis calls by operation.",
		}, []string{"op"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_invalidations_total",
			Help: "Namespaces invalidated, by resource.",
		}, []string{"resource"}),
	}
	reg.MustRegister(m.requests, m.stale, m.coalesced, m.refreshes, m.upstream, m.uncacheable, m.redisErrors, m.invalidations)
	return m
}

// RedisError counts a failed Redis call; the store's OnError hook.
func (m *Metrics) RedisError(op string, _ error) { m.redisErrors.WithLabelValues(op).Inc() }

// RegisterRedisState exposes whether Redis answers and the breaker's state.
func RegisterRedisState(reg prometheus.Registerer, up func() bool, state func() gobreaker.State) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cache_redis_up",
			Help: "1 when the last Redis call succeeded, 0 while the cache serves uncached.",
		}, func() float64 {
			if up() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cache_redis_breaker_state",
			Help: "State of the circuit breaker around Redis: 0 closed, 1 half-open, 2 open.",
		}, func() float64 { return float64(state()) }),
	)
}
