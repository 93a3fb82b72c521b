package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	settings "github.com/football-tracker/backend/services/gateway/internal/config"
)

func withResponseCache(s *settings.Settings) {
	s.ResponseCacheSize = 64
	s.ResponseCacheTTL = time.Minute
	s.ResponseCacheMaxBytes = 1 << 20
}

// A hot answer is served from the gateway's memory, but every request still passes
// authentication, revocation and both rate-limit windows.
func TestResponseCacheServesHotAnswers(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{mutate: withResponseCache, limits: `
tiers:
  user: {perMinute: 4, perDay: 1000}
clients:
  app: {tier: user}
`})
	cc := "max-age=30"
	g.Cache.cacheControl.Store(&cc)
	p, _ := g.login("app", appPass)
	const path = "/api/v1/matches?season=2023&league=bl1"

	first := g.do(http.MethodGet, path, p.Token, "")
	require.Equal(t, http.StatusOK, first.Status, first.Raw)
	require.EqualValues(t, 1, g.Cache.calls.Load()-healthCalls(g))
	for i, remaining := range []string{"2", "1", "0"} {
		a := g.do(http.MethodGet, path, p.Token, "")
		require.Equal(t, http.StatusOK, a.Status, "request %d: %s", i+2, a.Raw)
		assert.JSONEq(t, string(first.Body.Data), string(a.Body.Data))
		assert.True(t, a.Body.Cached, "the envelope says cached")
		assert.Equal(t, remaining, a.Header.Get("RateLimit-Remaining"), "the windows are spent on every request")
	}
	assert.EqualValues(t, 1, g.Cache.calls.Load()-healthCalls(g), "kept answers do not call the cache service")
	url, _, _ := g.Cache.last()
	assert.Equal(t, "/v1/matches?league=bl1&season=2023", url, "the key is the canonical upstream query")

	limited := g.do(http.MethodGet, path, p.Token, "")
	assert.Equal(t, http.StatusTooManyRequests, limited.Status, "the limit still applies to kept answers")
	assert.Empty(t, g.do(http.MethodGet, path, "", "").Body.Data, "no token, no data")
	assert.Equal(t, http.StatusUnauthorized, g.do(http.MethodGet, path, "", "").Status)
}

func TestResponseCacheRevokedTokenRefused(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{mutate: withResponseCache})
	cc := "max-age=30"
	g.Cache.cacheControl.Store(&cc)
	p, _ := g.login("app", appPass)
	const path = "/api/v1/leagues"
	for range 2 {
		require.Equal(t, http.StatusOK, g.do(http.MethodGet, path, p.Token, "").Status)
	}
	out := g.do(http.MethodPost, "/api/v1/auth/logout", p.Token, `{"refreshToken":"`+p.RefreshToken+`"}`)
	require.Equal(t, http.StatusOK, out.Status, out.Raw)
	a := g.do(http.MethodGet, path, p.Token, "")
	assert.Equal(t, http.StatusUnauthorized, a.Status, "a revoked token gets nothing, kept or not")
	assert.EqualValues(t, 1, g.Cache.calls.Load()-healthCalls(g))
}

func TestResponseCachePurgedByInvalidation(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{mutate: withResponseCache})
	cc := "max-age=30"
	g.Cache.cacheControl.Store(&cc)
	admin, _ := g.login("admin", adminPass)
	const path = "/api/v1/teams?league=bl1&season=2023"
	for range 2 {
		require.Equal(t, http.StatusOK, g.do(http.MethodGet, path, admin.Token, "").Status)
	}
	require.EqualValues(t, 1, g.Cache.calls.Load()-healthCalls(g))

	inv := g.do(http.MethodPost, "/api/v1/admin/cache/invalidate", admin.Token, `{"resource":"teams"}`)
	require.Equal(t, http.StatusOK, inv.Status, inv.Raw)
	require.Equal(t, http.StatusOK, g.do(http.MethodGet, path, admin.Token, "").Status)
	assert.EqualValues(t, 3, g.Cache.calls.Load()-healthCalls(g), "invalidation, then the cache service is asked again")
}

func TestResponseCacheDisabled(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{mutate: func(s *settings.Settings) { s.ResponseCacheSize = 0 }})
	cc := "max-age=30"
	g.Cache.cacheControl.Store(&cc)
	p, _ := g.login("app", appPass)
	for range 3 {
		require.Equal(t, http.StatusOK, g.do(http.MethodGet, "/api/v1/leagues", p.Token, "").Status)
	}
	assert.EqualValues(t, 3, g.Cache.calls.Load()-healthCalls(g), "RESPONSE_CACHE_SIZE=0: every request asks the cache service")
}

// healthCalls counts the health probes the stub answered, which are not data calls.
func healthCalls(g *gw) int64 {
	var n int64
	for _, r := range g.Cache.requests() {
		if len(r) >= 12 && r[:12] == "GET /healthz" {
			n++
		}
	}
	return n
}
