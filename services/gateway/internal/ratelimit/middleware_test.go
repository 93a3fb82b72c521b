package ratelimit_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	require.NoError(t, rdb.Set(t.Context(), "ft:jwt:revoked:gone", "1", time.Minute).Err())
	downClient := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = downClient.Close() })

	var decisions []string
	build := func(rdb redis.UniversalClient, mode ratelimit.FailMode) *fiber.App {
		l := newLimiterBudget(t, rdb, mode, time.Second)
		app := httpserver.New(httpserver.Config{Logger: slog.New(slog.DiscardHandler)})
		app.Use(ratelimit.New(ratelimit.Config{
			Limiter:   l,
			KeyPrefix: "ft:",
			Logger:    slog.New(slog.DiscardHandler),
			Observe:   func(tier, d, src string) { decisions = append(decisions, tier+"/"+d+"/"+src) },
			Subject: func(c *fiber.Ctx) ratelimit.Subject {
				s := ratelimit.Subject{Tier: "user", ID: c.Get("X-Sub"), Plan: ratelimit.NewPlan(2, 100)}
				if jti := c.Get("X-Jti"); jti != "" {
					s.RevokedKey = "ft:jwt:revoked:" + jti
				}
				return s
			},
		}))
		app.Get("/", func(c *fiber.Ctx) error { return envelope.OK(c, "ok", false) })
		return app
	}
	up := build(rdb, ratelimit.FailClosed)
	closed := build(downClient, ratelimit.FailClosed)
	open := build(downClient, ratelimit.FailOpen)

	cases := []struct {
		name      string
		app       *fiber.App
		sub, jti  string
		status    int
		code      envelope.Code
		remaining string
	}{
		{"first", up, "a", "", 200, "", "1"},
		{"second", up, "a", "", 200, "", "0"},
		{"third is limited", up, "a", "", 429, envelope.CodeRateLimited, "0"},
		{"other subject", up, "b", "", 200, "", "1"},
		{"revoked token", up, "c", "gone", 401, envelope.CodeUnauthorized, ""},
		{"redis down, fail closed", closed, "a", "", 503, envelope.CodeServiceUnavailable, ""},
		{"redis down, fail open", open, "a", "", 200, "", "1"},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Sub", tc.sub)
		req.Header.Set("X-Jti", tc.jti)
		resp, err := tc.app.Test(req, 5000)
		require.NoError(t, err, tc.name)
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.name)
		assert.Equal(t, tc.remaining, resp.Header.Get("RateLimit-Remaining"), tc.name)
		if tc.remaining != "" {
			assert.Equal(t, "2", resp.Header.Get("RateLimit-Limit"), tc.name)
			assert.Equal(t, "2;w=60, 100;w=86400", resp.Header.Get("RateLimit-Policy"), tc.name)
		}
		if tc.code != "" {
			var f envelope.Failure
			require.NoError(t, json.Unmarshal(raw, &f), tc.name)
			require.NotNil(t, f.Error, tc.name)
			assert.Equal(t, tc.code, f.Error.Code, tc.name)
			if tc.code == envelope.CodeRateLimited {
				require.NotNil(t, f.Error.RetryAfter)
				assert.Equal(t, resp.Header.Get("Retry-After"), jsonInt(*f.Error.RetryAfter), tc.name)
			}
		}
	}
	assert.Contains(t, decisions, "user/limited/redis")
	assert.Contains(t, decisions, "user/allowed/local")
	assert.Contains(t, decisions, "user/unavailable/redis")
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }
