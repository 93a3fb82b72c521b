package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForgedTokensRejected sends every kind of forged token through the real router:
// each is 401 UNAUTHORIZED, never reaches the upstream, and is counted by reason.
func TestForgedTokensRejected(t *testing.T) {
	t.Parallel()
	g := startGateway(t, gwOptions{})
	good, _ := g.login("admin", adminPass)
	parts := strings.Split(good.Token, ".")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	sign := func(alg jwa.SignatureAlgorithm, key any, exp time.Time, sub string) string {
		tok, err := jwt.NewBuilder().Issuer("football-tracker").Audience([]string{"football-tracker-clients"}).
			Subject(sub).IssuedAt(time.Now().Add(-time.Hour)).Expiration(exp).JwtID("0123456789abcdefXYZ").Claim("role", "admin").Build()
		require.NoError(t, err)
		out, err := jwt.Sign(tok, jwt.WithKey(alg, key))
		require.NoError(t, err)
		return string(out)
	}
	cases := []struct {
		name, token, reason string
	}{
		{"alg none", b64(`{"alg":"none"}`) + "." + parts[1] + ".", "algorithm"},
		{"RS256 header", sign(jwa.RS256, rsaKey, time.Now().Add(time.Hour), "admin"), "algorithm"},
		{"HS256 with another key", sign(jwa.HS256, []byte("not-the-gateway-secret-0123456789"), time.Now().Add(time.Hour), "admin"), "signature"},
		{"tampered claims", parts[0] + "." + b64(`{"sub":"admin","role":"admin","exp":4102444800}`) + "." + parts[2], "signature"},
		{"expired", sign(jwa.HS256, []byte(jwtSecret), time.Now().Add(-time.Minute), "admin"), "expired"},
		{"garbage", "x.y.z", "malformed"},
	}
	before := g.Cache.calls.Load()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := g.do(http.MethodGet, "/api/v1/leagues", tc.token, "")
			assert.Equal(t, http.StatusUnauthorized, a.Status)
			assert.Equal(t, "UNAUTHORIZED", a.Code())
		})
	}
	assert.Equal(t, before, g.Cache.calls.Load(), "no forged request reached the upstream")
	m := g.do(http.MethodGet, "/metrics", "", "")
	for _, reason := range []string{"algorithm", "signature", "expired"} {
		assert.Contains(t, m.Raw, `gateway_auth_failures_total{reason="`+reason+`"}`)
	}
	assert.Contains(t, m.Raw, `gateway_ratelimit_decisions_total{decision="allowed",source="redis",tier="anonymous"}`)
	assert.NotContains(t, g.Logs.String(), good.Token)
	assert.NotContains(t, g.Logs.String(), good.RefreshToken)
}
