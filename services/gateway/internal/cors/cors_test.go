package cors_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/internal/cors"
)

const ext = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"

func TestCORS(t *testing.T) {
	t.Parallel()
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com", ext}})
	require.NoError(t, err)
	app := fiber.New()
	app.Use(mw)
	app.Get("/x", func(c *fiber.Ctx) error { return c.SendString("ok") })

	cases := []struct {
		name        string
		method      string
		origin      string
		preflight   bool
		status      int
		allowOrigin string
	}{
		{"allowed origin", http.MethodGet, "https://app.example.com", false, 200, "https://app.example.com"},
		{"chrome extension", http.MethodGet, ext, false, 200, ext},
		{"origin case-insensitive", http.MethodGet, "HTTPS://APP.EXAMPLE.COM", false, 200, "HTTPS://APP.EXAMPLE.COM"},
		{"disallowed origin", http.MethodGet, "https://evil.example.com", false, 200, ""},
		{"suffix trick", http.MethodGet, "https://app.example.com.evil.io", false, 200, ""},
		{"null origin", http.MethodGet, "null", false, 200, ""},
		{"no origin", http.MethodGet, "", false, 200, ""},
		{"preflight allowed", http.MethodOptions, ext, true, 204, ext},
		{"preflight disallowed", http.MethodOptions, "https://evil.example.com", true, 204, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "/x", nil)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.preflight {
				req.Header.Set("Access-Control-Request-Method", "GET")
				req.Header.Set("Access-Control-Request-Headers", "authorization")
			}
			resp, err := app.Test(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Vary"), "Origin")
			assert.Equal(t, tc.allowOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
			assert.NotEqual(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
			if tc.allowOrigin == "" {
				assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
				assert.Empty(t, resp.Header.Get("Access-Control-Allow-Methods"))
				return
			}
			assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
			if tc.preflight {
				assert.Equal(t, "GET, POST, OPTIONS", resp.Header.Get("Access-Control-Allow-Methods"))
				assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
				assert.Equal(t, "600", resp.Header.Get("Access-Control-Max-Age"))
			} else {
				assert.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "RateLimit-Remaining")
			}
		})
	}
}

func TestWildcardRefused(t *testing.T) {
	t.Parallel()
	_, err := cors.New(cors.Config{AllowOrigins: []string{"https://a.example", "*"}})
	assert.ErrorIs(t, err, cors.ErrWildcard)
}
