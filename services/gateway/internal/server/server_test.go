package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/api"
	settings "github.com/football-tracker/backend/services/gateway/internal/config"
)

func TestAuthLifecycle(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{})

	p, a := g.login("app", appPass)
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	assert.Equal(t, "Bearer", p.TokenType)
	assert.Equal(t, 86400, p.ExpiresIn)

	data := g.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2025", p.Token, "")
	require.Equal(t, http.StatusOK, data.Status, data.Raw)
	assert.True(t, data.Body.Cached)
	assert.JSONEq(t, `[{"source":"cache"}]`, string(data.Body.Data))

	// Rotate: the new pair works, the old refresh token is spent.
	p2, a := g.refresh(p.RefreshToken)
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	assert.NotEqual(t, p.RefreshToken, p2.RefreshToken)
	assert.Equal(t, http.StatusOK, g.do(http.MethodGet, "/api/v1/leagues", p2.Token, "").Status)
	assert.Equal(t, "UNAUTHORIZED", g.do(http.MethodGet, "/api/v1/leagues", p.Token, "").Code(), "rotation revokes the previous access token")

	// Replay of the rotated refresh token: refused, and the whole family is revoked.
	_, a = g.refresh(p.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, a.Status)
	assert.Equal(t, "UNAUTHORIZED", a.Code())
	_, a = g.refresh(p2.RefreshToken)
	assert.Equal(t, "UNAUTHORIZED", a.Code(), "the family's current refresh token is revoked too")
	assert.Equal(t, "UNAUTHORIZED", g.do(http.MethodGet, "/api/v1/leagues", p2.Token, "").Code(), "and so is its access token")

	// Logout revokes the access token and the session's refresh token.
	p3, a := g.login("app", appPass)
	require.Equal(t, http.StatusOK, a.Status)
	out := g.do(http.MethodPost, "/api/v1/auth/logout", p3.Token, "")
	require.Equal(t, http.StatusOK, out.Status, out.Raw)
	assert.JSONEq(t, `{"revoked":true}`, string(out.Body.Data))
	assert.Equal(t, "UNAUTHORIZED", g.do(http.MethodGet, "/api/v1/leagues", p3.Token, "").Code())
	_, a = g.refresh(p3.RefreshToken)
	assert.Equal(t, "UNAUTHORIZED", a.Code())

	// Every denylist and family key carries a TTL.
	keys, err := g.Redis.Client().Keys(t.Context(), "ft:*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		ttl, err := g.Redis.Client().PTTL(t.Context(), k).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, k)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{mutate: func(s *settings.Settings) { s.LoginPerUserPerMinute = 3 }})
	cases := []struct {
		name, user, pass, body string
		status                 int
		code                   string
	}{
		{name: "admin", user: "admin", pass: adminPass, status: 200},
		{name: "client", user: "app", pass: appPass, status: 200},
		{name: "wrong password", user: "app", pass: "nope", status: 401, code: "INVALID_CREDENTIALS"},
		{name: "unknown user", user: "nobody", pass: "x", status: 401, code: "INVALID_CREDENTIALS"},
		{name: "suspended client", user: "retired", pass: appPass, status: 403, code: "FORBIDDEN"},
		{name: "missing password", body: `{"username":"app"}`, status: 400, code: "VALIDATION_ERROR"},
		{name: "extra field", body: `{"username":"app","password":"x","role":"admin"}`, status: 400, code: "VALIDATION_ERROR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == "" {
				body = `{"username":"` + tc.user + `","password":"` + tc.pass + `"}`
			}
			a := g.do(http.MethodPost, "/api/v1/auth/login", "", body)
			assert.Equal(t, tc.status, a.Status, a.Raw)
			assert.Equal(t, tc.code, a.Code())
		})
	}
	t.Run("form body", func(t *testing.T) {
		a := g.do(http.MethodPost, "/api/v1/auth/login", "", "", "Content-Type", "application/x-www-form-urlencoded")
		assert.Equal(t, "UNSUPPORTED_MEDIA_TYPE", a.Code())
	})
	t.Run("guessing one username is limited", func(t *testing.T) {
		var last answer
		for range 4 {
			_, last = g.login("victim", "guess")
		}
		assert.Equal(t, http.StatusTooManyRequests, last.Status)
		assert.Equal(t, "RATE_LIMITED", last.Code())
		assert.NotEmpty(t, last.Header.Get("Retry-After"))
		require.NotNil(t, last.Body.Error.RetryAfter)
	})
	assert.NotContains(t, g.Logs.String(), appPass)
	assert.NotContains(t, g.Logs.String(), adminPass)
}

func TestEnvelopeOnEveryPath(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{})
	p, _ := g.login("app", appPass)
	admin, _ := g.login("admin", adminPass)
	cases := []struct {
		name, method, path, token, body string
		hdr                             []string
		status                          int
		code                            string
	}{
		{name: "unknown route", method: "GET", path: "/api/v1/nope", status: 404, code: "NOT_FOUND"},
		{name: "wrong method", method: "DELETE", path: "/api/v1/matches", status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "GET on login", method: "GET", path: "/api/v1/auth/login", status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "body too large", method: "POST", path: "/api/v1/auth/login", body: `{"username":"` + strings.Repeat("a", 2000) + `"}`, status: 413, code: "PAYLOAD_TOO_LARGE"},
		{name: "no token", method: "GET", path: "/api/v1/leagues", status: 401, code: "UNAUTHORIZED"},
		{name: "unknown query parameter", method: "GET", path: "/api/v1/leagues?x=1", token: p.Token, status: 400, code: "VALIDATION_ERROR"},
		{name: "unknown league", method: "GET", path: "/api/v1/matches?league=zz9", token: p.Token, status: 400, code: "VALIDATION_ERROR"},
		{name: "bad id", method: "GET", path: "/api/v1/matches/ol-abc", token: p.Token, status: 400, code: "VALIDATION_ERROR"},
		{name: "id traversal", method: "GET", path: "/api/v1/matches/..%2Fadmin", token: p.Token, status: 400, code: "VALIDATION_ERROR"},
		{name: "user on admin route", method: "POST", path: "/api/v1/admin/cache/invalidate", token: p.Token, body: `{"resource":"all"}`, status: 403, code: "FORBIDDEN"},
		{name: "admin bad resource", method: "POST", path: "/api/v1/admin/cache/invalidate", token: admin.Token, body: `{"resource":"x"}`, status: 400, code: "VALIDATION_ERROR"},
		{name: "admin invalidate", method: "POST", path: "/api/v1/admin/cache/invalidate", token: admin.Token, body: `{"resource":"matches","league":"bl1"}`, status: 200},
		{name: "upstream not found", method: "GET", path: "/api/v1/matches/ol-404", token: p.Token, status: 404, code: "NOT_FOUND"},
		{name: "upstream 500 body hidden", method: "GET", path: "/api/v1/matches/ol-500", token: p.Token, status: 502, code: "UPSTREAM_ERROR"},
		{name: "upstream 429 is not the client's", method: "GET", path: "/api/v1/matches/ol-429", token: p.Token, status: 502, code: "UPSTREAM_ERROR"},
		{name: "upstream 503", method: "GET", path: "/api/v1/matches/ol-503", token: p.Token, status: 503, code: "SERVICE_UNAVAILABLE"},
		{name: "preflight", method: "OPTIONS", path: "/api/v1/matches", hdr: []string{"Origin", "chrome-extension://abcdefghijklmnopabcdefghijklmnop", "Access-Control-Request-Method", "GET"}, status: 204},
		{name: "health", method: "GET", path: "/api/v1/health", status: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := g.do(tc.method, tc.path, tc.token, tc.body, tc.hdr...)
			assert.Equal(t, tc.status, a.Status, a.Raw)
			assert.Equal(t, tc.code, a.Code())
			if tc.status != 204 {
				assert.Equal(t, "application/json", a.Header.Get("Content-Type"))
				_, err := time.Parse(time.RFC3339, a.Body.Timestamp)
				assert.NoError(t, err, "timestamp")
			}
			assert.NotContains(t, a.Raw, "db.internal")
			assert.NotContains(t, a.Raw, "SECRET")
		})
	}
	assert.Contains(t, g.Cache.requests(), `POST /v1/invalidate {"resource":"matches","league":"bl1"}`, "a re-encoded, validated body")
}

func TestUpstreamFallbackAndTrace(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{})
	p, _ := g.login("app", appPass)

	a := g.do(http.MethodGet, "/api/v1/matches?season=2025&league=bl1&status=finished", p.Token, "",
		"Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	url, _, trace := g.Cache.last()
	assert.Equal(t, "/v1/matches?league=bl1&season=2025&status=finished", url, "canonical, validated query")
	assert.Contains(t, trace, "0af7651916cd43dd8448eb211c80319c", "trace context goes downstream")

	g.Cache.Close()
	a = g.do(http.MethodGet, "/api/v1/matches/ol-7", p.Token, "")
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	assert.False(t, a.Body.Cached)
	assert.JSONEq(t, `{"id":"ol-7","source":"adapter"}`, string(a.Body.Data))

	h := g.do(http.MethodGet, "/api/v1/health", "", "")
	var hb struct {
		Status       string            `json:"status"`
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(h.Body.Data, &hb))
	assert.Equal(t, "degraded", hb.Status)
	assert.Equal(t, map[string]string{"redis": "up", "cache": "down", "adapter": "up"}, hb.Dependencies)
	assert.NotContains(t, h.Raw, "127.0.0.1")

	g.Adapter.Close()
	a = g.do(http.MethodGet, "/api/v1/leagues", p.Token, "")
	assert.Equal(t, "SERVICE_UNAVAILABLE", a.Code())
}

func TestRateLimitHeadersAndBoundary(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{limits: `
tiers:
  anonymous: {perMinute: 5, perDay: 1000}
  user: {perMinute: 100, perDay: 10000}
clients:
  app: {tier: user}
  small: {tier: user, perDay: 3}
`, trusted: []string{"127.0.0.1"}, mutate: func(s *settings.Settings) { s.LoginPerIPPerMinute = 1000 }})
	p, _ := g.login("app", appPass)

	t.Run("user: the 101st request in a minute is refused", func(t *testing.T) {
		start := time.Now()
		for i := 1; i <= 100; i++ {
			a := g.do(http.MethodGet, "/api/v1/leagues", p.Token, "")
			require.Equal(t, http.StatusOK, a.Status, "request %d", i)
			if i == 1 {
				assert.Equal(t, "100", a.Header.Get("RateLimit-Limit"))
				assert.Equal(t, "99", a.Header.Get("RateLimit-Remaining"))
				assert.Equal(t, "100;w=60, 10000;w=86400", a.Header.Get("RateLimit-Policy"))
				assert.NotEmpty(t, a.Header.Get("RateLimit-Reset"))
			}
		}
		// GCRA refills one request every 600 ms: if sending the first hundred took
		// longer than that, exactly that many more are due before the refusal.
		extra := 0
		var a answer
		for {
			a = g.do(http.MethodGet, "/api/v1/leagues", p.Token, "")
			if a.Status != http.StatusOK {
				break
			}
			extra++
			require.Less(t, extra, 20)
		}
		due := int(time.Since(start) / (600 * time.Millisecond))
		assert.LessOrEqual(t, extra, due, "no request beyond the limit and its refill")
		assert.Equal(t, http.StatusTooManyRequests, a.Status)
		assert.Equal(t, "RATE_LIMITED", a.Code())
		assert.Equal(t, "0", a.Header.Get("RateLimit-Remaining"))
		ra, err := strconv.Atoi(a.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.Equal(t, ra, *a.Body.Error.RetryAfter)
	})
	t.Run("anonymous by client IP behind a trusted proxy", func(t *testing.T) {
		for i := 1; i <= 5; i++ {
			a := g.do(http.MethodGet, "/api/v1/health", "", "", "X-Forwarded-For", "203.0.113.9")
			require.Equal(t, http.StatusOK, a.Status, "request %d", i)
		}
		assert.Equal(t, http.StatusTooManyRequests, g.do(http.MethodGet, "/api/v1/health", "", "", "X-Forwarded-For", "203.0.113.9").Status)
		assert.Equal(t, http.StatusOK, g.do(http.MethodGet, "/api/v1/health", "", "", "X-Forwarded-For", "203.0.113.10").Status, "another client has its own budget")
		assert.Equal(t, http.StatusTooManyRequests, g.do(http.MethodGet, "/api/v1/health", "", "", "X-Forwarded-For", "198.51.100.1, 203.0.113.9").Status, "a spoofed left-most hop does not help")
	})
	t.Run("requests without a valid token spend the anonymous budget", func(t *testing.T) {
		for i := 1; i <= 5; i++ {
			a := g.do(http.MethodGet, "/api/v1/leagues", "forged.token.x", "", "X-Forwarded-For", "203.0.113.77")
			require.Equal(t, "UNAUTHORIZED", a.Code(), "request %d", i)
		}
		a := g.do(http.MethodGet, "/api/v1/leagues", "forged.token.x", "", "X-Forwarded-For", "203.0.113.77")
		assert.Equal(t, "RATE_LIMITED", a.Code())
	})
	t.Run("day window", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(g.Dir, "credentials.yaml"),
			[]byte("app: \""+hashFor(t, appPass)+"\"\nsmall: \""+hashFor(t, appPass)+"\"\n"), 0o600))
		require.Eventually(t, func() bool { _, a := g.login("small", appPass); return a.Status == 200 }, 5*time.Second, 50*time.Millisecond)
		sp, _ := g.login("small", appPass)
		for i := 1; i <= 3; i++ {
			a := g.do(http.MethodGet, "/api/v1/leagues", sp.Token, "")
			require.Equal(t, http.StatusOK, a.Status, "request %d", i)
		}
		a := g.do(http.MethodGet, "/api/v1/leagues", sp.Token, "")
		assert.Equal(t, http.StatusTooManyRequests, a.Status)
		assert.Equal(t, "3", a.Header.Get("RateLimit-Limit"), "the day window binds")
		assert.Greater(t, *a.Body.Error.RetryAfter, 3600)
	})
	assert.Contains(t, g.Logs.String(), `"ratelimit":"limited"`)
}

// TestOpenAPIMatchesRoutes keeps the document and the router one set of paths.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{})
	a := g.do(http.MethodGet, "/api/v1/openapi.json", "", "")
	require.Equal(t, http.StatusOK, a.Status)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(api.OpenAPI, &doc))
	require.JSONEq(t, string(api.OpenAPI), a.Raw)
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."))
	var documented []string
	for path, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+path)
		}
	}
	routed := routesOf(g.App)
	slices.Sort(documented)
	slices.Sort(routed)
	assert.Equal(t, routed, documented)
}

func routesOf(app *fiber.App) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodHead || r.Method == "USE" {
			continue
		}
		p := r.Path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		k := r.Method + " " + p
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// TestSuspensionAndDeletionApplyToLiveTokens: a client suspended by a config reload
// gets 403 with the token it already holds, and a client removed from the credentials
// gets 401.
func TestSuspensionAndDeletionApplyToLiveTokens(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{})
	p, a := g.login("app", appPass)
	require.Equal(t, http.StatusOK, a.Status)
	require.Equal(t, http.StatusOK, g.do(http.MethodGet, "/api/v1/leagues", p.Token, "").Status)

	require.NoError(t, os.WriteFile(filepath.Join(g.Dir, "ratelimits.yaml"), []byte("clients:\n  app: {tier: user, suspended: true}\n"), 0o600))
	require.Eventually(t, func() bool {
		return g.do(http.MethodGet, "/api/v1/leagues", p.Token, "").Code() == "FORBIDDEN"
	}, 5*time.Second, 20*time.Millisecond)
	_, a = g.refresh(p.RefreshToken)
	assert.Equal(t, "FORBIDDEN", a.Code())

	require.NoError(t, os.WriteFile(filepath.Join(g.Dir, "credentials.yaml"), []byte("{}\n"), 0o600))
	require.Eventually(t, func() bool {
		return g.do(http.MethodGet, "/api/v1/leagues", p.Token, "").Code() == "UNAUTHORIZED"
	}, 5*time.Second, 20*time.Millisecond)
	assert.Contains(t, g.Logs.String(), `"msg":"config reloaded"`)
}
