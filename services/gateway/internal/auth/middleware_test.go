package auth_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/limitconfig"

	"github.com/football-tracker/backend/services/gateway/internal/auth"
	"github.com/football-tracker/backend/services/gateway/internal/policy"
	"github.com/football-tracker/backend/services/gateway/internal/token"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	tm, err := token.NewManager(token.Options{Secret: secret, Issuer: "iss", Audience: "aud", TTL: time.Hour, CacheSize: 64})
	require.NoError(t, err)
	pol := policy.New("root")
	cfg, err := limitconfig.Parse([]byte(`
clients:
  app: {tier: user}
  ops: {tier: admin}
  demoted: {tier: user}
  gone: {tier: user, suspended: true}
`))
	require.NoError(t, err)
	pol.SetLimits(cfg)
	h := "$2a$10$" + "abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyz0123"
	pol.SetCredentials(limitconfig.Credentials{"app": h, "ops": h, "demoted": h, "gone": h})

	var reasons []string
	app := httpserver.New(httpserver.Config{Logger: slog.New(slog.DiscardHandler)})
	app.Use(auth.New(auth.Config{Verifier: tm, Directory: pol, OnFailure: func(r string) { reasons = append(reasons, r) }}))
	app.Get("/user", func(c *fiber.Ctx) error { return envelope.OK(c, "ok", false) })
	app.Get("/admin", auth.RequireRole(token.RoleAdmin), func(c *fiber.Ctx) error { return envelope.OK(c, "ok", false) })

	issue := func(sub, role string) string {
		raw, _, err := tm.Issue(sub, role, "sid", token.NewID())
		require.NoError(t, err)
		return raw
	}
	other, err := jwt.NewBuilder().Issuer("iss").Audience([]string{"aud"}).Subject("app").IssuedAt(time.Now()).
		Expiration(time.Now().Add(time.Hour)).JwtID(token.NewID()).Claim("role", "admin").Build()
	require.NoError(t, err)
	forged, err := jwt.Sign(other, jwt.WithKey(jwa.HS256, []byte("a-different-secret-of-32-bytes!!")))
	require.NoError(t, err)

	cases := []struct {
		name   string
		path   string
		header string
		status int
		code   envelope.Code
	}{
		{"no header", "/user", "", 401, envelope.CodeUnauthorized},
		{"basic scheme", "/user", "Basic YTpi", 401, envelope.CodeUnauthorized},
		{"bearer without token", "/user", "Bearer ", 401, envelope.CodeUnauthorized},
		{"two tokens", "/user", "Bearer a, Bearer b", 401, envelope.CodeUnauthorized},
		{"garbage", "/user", "Bearer abc.def.ghi", 401, envelope.CodeUnauthorized},
		{"other key", "/user", "Bearer " + string(forged), 401, envelope.CodeUnauthorized},
		{"unknown subject", "/user", "Bearer " + issue("stranger", token.RoleUser), 401, envelope.CodeUnauthorized},
		{"suspended client", "/user", "Bearer " + issue("gone", token.RoleUser), 403, envelope.CodeForbidden},
		{"user", "/user", "Bearer " + issue("app", token.RoleUser), 200, ""},
		{"scheme case-insensitive", "/user", "bearer " + issue("app", token.RoleUser), 200, ""},
		{"user on admin route", "/admin", "Bearer " + issue("app", token.RoleUser), 403, envelope.CodeForbidden},
		{"admin client", "/admin", "Bearer " + issue("ops", token.RoleAdmin), 200, ""},
		{"ADMIN_USER", "/admin", "Bearer " + issue("root", token.RoleAdmin), 200, ""},
		{"admin token of a demoted client", "/admin", "Bearer " + issue("demoted", token.RoleAdmin), 403, envelope.CodeForbidden},
		{"user token of an admin client", "/admin", "Bearer " + issue("ops", token.RoleUser), 403, envelope.CodeForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := app.Test(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			if tc.code != "" {
				raw, _ := io.ReadAll(resp.Body)
				var f envelope.Failure
				require.NoError(t, json.Unmarshal(raw, &f))
				assert.Equal(t, tc.code, f.Error.Code)
			}
		})
	}
	assert.Contains(t, reasons, "missing")
	assert.Contains(t, reasons, "signature")
	assert.Contains(t, reasons, "unknown_subject")
	assert.Contains(t, reasons, "suspended")
}
