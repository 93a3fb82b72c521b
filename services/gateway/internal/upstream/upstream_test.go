package upstream_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"

	"github.com/football-tracker/backend/services/gateway/internal/upstream"
)

func TestMapFailure(t *testing.T) {
	t.Parallel()
	env := func(code string) string {
		return `{"success":false,"error":{"code":"` + code + `","message":"internal detail at 10.0.0.3"},"timestamp":"x"}`
	}
	cases := []struct {
		name   string
		status int
		body   string
		code   envelope.Code
	}{
		{"documented not found", 404, env("NOT_FOUND"), envelope.CodeNotFound},
		{"documented validation", 400, env("VALIDATION_ERROR"), envelope.CodeValidation},
		{"documented timeout", 504, env("UPSTREAM_TIMEOUT"), envelope.CodeUpstreamTimeout},
		{"upstream's own 401 is not the client's", 401, env("UNAUTHORIZED"), envelope.CodeUpstream},
		{"upstream's 429", 429, env("RATE_LIMITED"), envelope.CodeUpstream},
		{"code and status disagree", 500, env("NOT_FOUND"), envelope.CodeUpstream},
		{"plain 500", 500, "stack trace", envelope.CodeUpstream},
		{"plain 404", 404, "<html>", envelope.CodeNotFound},
		{"plain 503", 503, "", envelope.CodeServiceUnavailable},
		{"plain 504", 504, "", envelope.CodeUpstreamTimeout},
		{"unknown code", 502, env("BOOM"), envelope.CodeUpstream},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := upstream.MapFailure(tc.status, []byte(tc.body))
			assert.Equal(t, tc.code, e.Code)
			assert.NotContains(t, e.Message, "10.0.0.3", "the upstream's message never reaches the client")
		})
	}
}

func TestClient(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	adapter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/slow":
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		case "/v1/garbage":
			_, _ = w.Write([]byte("<html>oops</html>"))
		default:
			_, _ = w.Write([]byte(`{"from":"adapter"}`))
		}
	}))
	t.Cleanup(adapter.Close)
	cache := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Cache", r.URL.Query().Get("xc"))
		_, _ = w.Write([]byte(`["from cache"]`))
	}))
	t.Cleanup(cache.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // a port nobody listens on: connection refused

	mk := func(cacheURL string) *upstream.Client {
		return upstream.New(upstream.Options{
			CacheURL: cacheURL, AdapterURL: adapter.URL,
			HTTP:   &http.Client{Timeout: 300 * time.Millisecond},
			Logger: slog.New(slog.DiscardHandler),
		})
	}
	up, down := mk(cache.URL), mk(dead.URL)

	for _, tc := range []struct {
		xc     string
		cached bool
	}{{"HIT", true}, {"STALE", true}, {"MISS", false}, {"", false}} {
		r, err := up.Get(t.Context(), "/v1/leagues", "xc="+tc.xc)
		require.NoError(t, err)
		assert.Equal(t, tc.cached, r.Cached, tc.xc)
		assert.Equal(t, "cache", r.Source)
	}

	for i := range 5 { // past the breaker's threshold: later calls skip the cache
		r, err := down.Get(t.Context(), "/v1/leagues", "")
		require.NoError(t, err, i)
		assert.Equal(t, "adapter", r.Source)
		assert.False(t, r.Cached)
	}
	assert.True(t, down.CacheDegraded())

	_, err := down.Get(t.Context(), "/v1/slow", "")
	assert.Equal(t, envelope.CodeUpstreamTimeout, envelope.From(err).Code)
	_, err = down.Get(t.Context(), "/v1/garbage", "")
	assert.Equal(t, envelope.CodeUpstream, envelope.From(err).Code)
	_, err = down.Invalidate(t.Context(), []byte(`{"resource":"all"}`))
	assert.Equal(t, envelope.CodeServiceUnavailable, envelope.From(err).Code, "no fallback for invalidation")
}
