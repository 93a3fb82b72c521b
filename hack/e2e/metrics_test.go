package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// metricSum adds up every sample of a metric whose labels contain all the given pairs.
func metricSum(text, name string, labels ...string) float64 {
	var sum float64
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `(\{[^}]*\})?\s+([0-9.eE+-]+)$`)
	for _, line := range strings.Split(text, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(m[1], l) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

func testMetrics(t *testing.T, s *stack) {
	gw := metricsOf(t, s.gateway)
	assert.GreaterOrEqual(t, metricSum(gw, "http_server_requests_total", `route="/api/v1/matches"`, `status="200"`), 3.0,
		"gateway: the journey's matches requests are counted")
	assert.GreaterOrEqual(t, metricSum(gw, "http_server_requests_total", `route="/api/v1/auth/login"`, `status="200"`), 2.0,
		"gateway: logins are counted")
	assert.Positive(t, metricSum(gw, "gateway_ratelimit_decisions_total", `tier="user"`), "gateway: rate-limit decisions by tier")

	cache := metricsOf(t, s.cache)
	assert.Positive(t, metricSum(cache, "cache_requests_total", `resource="matches"`, `result="hit"`), "cache: the journey's second request was a hit")
	assert.Positive(t, metricSum(cache, "cache_requests_total", `resource="matches"`, `result="miss"`), "cache: the first request was a miss")

	adapter := metricsOf(t, s.adapter)
	assert.Positive(t, metricSum(adapter, "provider_requests_total", `provider="openligadb"`), "provider-adapter: OpenLigaDB calls are counted")
}
