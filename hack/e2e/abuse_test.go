package e2e

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func signHS256(t *testing.T, key string, build func(b *jwt.Builder) *jwt.Builder) string {
	t.Helper()
	now := time.Now()
	b := jwt.NewBuilder().Subject(clientName).Claim("role", "admin").IssuedAt(now).
		Expiration(now.Add(time.Hour)).JwtID("e2e-forged").Issuer("football-tracker").Audience([]string{"football-tracker-clients"})
	if build != nil {
		b = build(b)
	}
	tok, err := b.Build()
	require.NoError(t, err)
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, []byte(key)))
	require.NoError(t, err)
	return string(signed)
}

func testAbuse(t *testing.T, s *stack) {
	good := s.login(clientName, clientPass).Token
	parts := strings.Split(good, ".")
	require.Len(t, parts, 3)
	enc := base64.RawURLEncoding.EncodeToString

	t.Run("tokens", func(t *testing.T) {
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		tampered := strings.Replace(string(payload), `"role":"user"`, `"role":"admin"`, 1)
		require.NotEqual(t, string(payload), tampered, "the client token carries role user")
		tokens := map[string]string{
			"garbage":        "not-a-token",
			"alg none":       enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
			"RS256 header":   enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2],
			"wrong key":      signHS256(t, "another-secret-that-is-long-enough-000000", nil),
			"expired":        signHS256(t, jwtSecret, func(b *jwt.Builder) *jwt.Builder { return b.Expiration(time.Now().Add(-time.Hour)) }),
			"wrong audience": signHS256(t, jwtSecret, func(b *jwt.Builder) *jwt.Builder { return b.Audience([]string{"someone-else"}) }),
			"tampered":       parts[0] + "." + enc([]byte(tampered)) + "." + parts[2],
			"empty":          "",
		}
		for name, tok := range tokens {
			r := s.do(http.MethodGet, "/api/v1/leagues", "", nil, map[string]string{"Authorization": "Bearer " + tok})
			assert.Equal(t, http.StatusUnauthorized, r.Status, "gateway: %s token: %s", name, r)
			assert.Equal(t, "UNAUTHORIZED", r.code(), "gateway: %s token", name)
			assertEnvelope(t, r)
		}
		userOnAdmin := s.do(http.MethodPost, "/api/v1/admin/cache/invalidate", good, map[string]string{"resource": "matches"}, nil)
		assert.Equal(t, http.StatusForbidden, userOnAdmin.Status, "gateway: a user on an admin route: %s", userOnAdmin)
		assert.Equal(t, "FORBIDDEN", userOnAdmin.code())
	})

	t.Run("hostile query strings", func(t *testing.T) {
		queries := map[string]string{
			"path traversal":      "league=" + url.QueryEscape("../../etc/passwd"),
			"script":              "league=" + url.QueryEscape("<script>alert(1)</script>"),
			"sql fragment":        "league=" + url.QueryEscape("bl1' OR '1'='1"),
			"huge value":          "league=" + strings.Repeat("a", 10_000),
			"repeated parameter":  "league=bl1&league=bl2",
			"unknown parameter":   "league=bl1&debug=true",
			"unknown league":      "league=xx9",
			"season out of range": "league=bl1&season=1066",
			"bad date":            "date=2023-13-45",
			"bad status":          "status=" + url.QueryEscape("finished;DROP TABLE"),
		}
		for name, q := range queries {
			r := s.do(http.MethodGet, "/api/v1/matches?"+q, good, nil, nil)
			assert.Equal(t, http.StatusBadRequest, r.Status, "gateway: %s: %s", name, r)
			assert.Equal(t, "VALIDATION_ERROR", r.code(), "gateway: %s", name)
			assert.NotContains(t, string(r.Raw), "<script>", "gateway: %s echoed markup", name)
		}
		for name, id := range map[string]string{"traversal id": "..%2F..%2Fadmin", "script id": "%3Cscript%3E", "unprefixed id": "66734"} {
			r := s.do(http.MethodGet, "/api/v1/matches/"+id, good, nil, nil)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, r.Status, "gateway: %s: %s", name, r)
			assertEnvelope(t, r)
		}
	})

	t.Run("bodies", func(t *testing.T) {
		// The gateway answers 413 as soon as it has read the headers and closes the
		// connection; a client still writing the rest of a large body may see that
		// close as a reset instead of the answer. Every answer that does arrive must be
		// the 413 envelope, and at least one must arrive.
		big := `{"username":"admin","password":"` + strings.Repeat("x", 64<<10) + `"}`
		var answered int
		for range 5 {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.gateway.URL()+"/api/v1/auth/login", strings.NewReader(big))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := s.client.Do(req)
			if err != nil {
				continue
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			answered++
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "gateway: oversized body: %s", raw)
			assert.Contains(t, string(raw), `"code":"PAYLOAD_TOO_LARGE"`)
		}
		assert.Positive(t, answered, "gateway: no 413 answer reached the client in 5 tries")
		r := s.do(http.MethodPost, "/api/v1/auth/login", "", `{"username":"admin",`, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "gateway: malformed JSON: %s", r)
		assert.Equal(t, "VALIDATION_ERROR", r.code())

		r = s.do(http.MethodPost, "/api/v1/auth/login", "", `{"username":42,"password":true}`, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "gateway: wrong types: %s", r)

		r = s.do(http.MethodPost, "/api/v1/auth/login", "", "username=admin", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "gateway: form body: %s", r)
		assert.Equal(t, "UNSUPPORTED_MEDIA_TYPE", r.code())

		r = s.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": adminUser, "password": "wrong-password-123"}, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.Equal(t, "INVALID_CREDENTIALS", r.code())
	})

	t.Run("spoofed X-Forwarded-For from an untrusted peer", func(t *testing.T) {
		healthLines := func() int { return strings.Count(s.gateway.Stdout(), `"route":"/api/v1/health"`) }
		before := healthLines()
		r := s.do(http.MethodGet, "/api/v1/health", "", nil, map[string]string{"X-Forwarded-For": "203.0.113.99"})
		require.NotZero(t, r.Status)
		// The access line of this very request, not an earlier one (lines arrive in batches).
		require.Eventually(t, func() bool { return healthLines() > before }, 5*time.Second, 20*time.Millisecond)
		assert.NotContains(t, s.gateway.Stdout(), "203.0.113.99", "gateway: believed X-Forwarded-For from a peer that is not a trusted proxy")
	})

	t.Run("CORS", func(t *testing.T) {
		hostile := s.do(http.MethodOptions, "/api/v1/matches", "", nil, map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
		})
		assert.Empty(t, hostile.Header.Get("Access-Control-Allow-Origin"), "gateway: CORS headers for an unknown origin")
		assert.Empty(t, hostile.Header.Get("Access-Control-Allow-Credentials"))

		ok := s.do(http.MethodOptions, "/api/v1/matches", "", nil, map[string]string{
			"Origin": allowedOrigin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization",
		})
		assert.Equal(t, allowedOrigin, ok.Header.Get("Access-Control-Allow-Origin"), "gateway: preflight of the extension")
		assert.Contains(t, strings.Split(strings.ReplaceAll(strings.Join(ok.Header.Values("Vary"), ","), " ", ""), ","), "Origin")
		assert.NotEmpty(t, ok.Header.Get("Access-Control-Max-Age"))
	})
}
