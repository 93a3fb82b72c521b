package token_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/internal/token"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	t0     = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

func manager(t testing.TB, now *time.Time, cache int) *token.Manager {
	t.Helper()
	m, err := token.NewManager(token.Options{
		Secret: secret, Issuer: "football-tracker", Audience: "football-tracker-clients",
		TTL: 24 * time.Hour, Leeway: 30 * time.Second, CacheSize: cache,
		Now: func() time.Time { return *now },
	})
	require.NoError(t, err)
	return m
}

// forge builds a token with the given claims, signed by alg and key.
func forge(t testing.TB, alg jwa.SignatureAlgorithm, key any, mut func(b *jwt.Builder) *jwt.Builder) string {
	t.Helper()
	b := jwt.NewBuilder().Issuer("football-tracker").Audience([]string{"football-tracker-clients"}).
		Subject("alice").IssuedAt(t0).Expiration(t0.Add(time.Hour)).JwtID(token.NewID()).Claim("role", "user")
	if mut != nil {
		b = mut(b)
	}
	tok, err := b.Build()
	require.NoError(t, err)
	out, err := jwt.Sign(tok, jwt.WithKey(alg, key))
	require.NoError(t, err)
	return string(out)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyAcceptsIssuedToken(t *testing.T) {
	t.Parallel()
	now := t0
	for _, cache := range []int{0, 16} {
		m := manager(t, &now, cache)
		raw, claims, err := m.Issue("alice", token.RoleAdmin, "sid-1", token.NewID())
		require.NoError(t, err)
		for range 2 { // second time from the cache
			got, err := m.Verify(raw)
			require.NoError(t, err)
			assert.Equal(t, claims, got)
		}
	}
}

func TestVerifyRejectsForgedTokens(t *testing.T) {
	t.Parallel()
	now := t0
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	good := forge(t, jwa.HS256, secret, nil)
	parts := strings.Split(good, ".")

	// alg:none, built by hand: jwx refuses to sign it.
	noneTok := b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."
	// The right key under a header that asks for HS512, and an HS256 token whose
	// header carries a kid or an embedded jwk.
	hs512 := forge(t, jwa.HS512, secret, nil)
	kidHdr := jws.NewHeaders()
	require.NoError(t, kidHdr.Set(jws.KeyIDKey, "other"))
	tok, err := jwt.NewBuilder().Issuer("football-tracker").Audience([]string{"football-tracker-clients"}).
		Subject("alice").IssuedAt(t0).Expiration(t0.Add(time.Hour)).JwtID(token.NewID()).Claim("role", "user").Build()
	require.NoError(t, err)
	kidTok, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, secret, jws.WithProtectedHeaders(kidHdr)))
	require.NoError(t, err)

	cases := []struct {
		name   string
		token  string
		reason string
	}{
		{"empty", "", "malformed"},
		{"garbage", "not-a-token", "malformed"},
		{"too long", strings.Repeat("a", token.MaxLen+1), "malformed"},
		{"alg none", noneTok, "algorithm"},
		{"alg none uppercase", b64(`{"alg":"NONE"}`) + "." + parts[1] + "." + parts[2], "algorithm"},
		{"RS256", forge(t, jwa.RS256, rsaKey, nil), "algorithm"},
		{"ES256", forge(t, jwa.ES256, ecKey, nil), "algorithm"},
		{"HS512 same key", hs512, "algorithm"},
		{"kid header", string(kidTok), "algorithm"},
		{"other key", forge(t, jwa.HS256, []byte("another-secret-another-secret-xx"), nil), "signature"},
		{"tampered payload", parts[0] + "." + b64(`{"sub":"admin","role":"admin"}`) + "." + parts[2], "signature"},
		{"bad signature encoding", parts[0] + "." + parts[1] + ".!!!", "signature"},
		{"expired", forge(t, jwa.HS256, secret, func(b *jwt.Builder) *jwt.Builder {
			return b.Expiration(t0.Add(-time.Minute))
		}), "expired"},
		{"wrong issuer", forge(t, jwa.HS256, secret, func(b *jwt.Builder) *jwt.Builder { return b.Issuer("evil") }), "claims"},
		{"wrong audience", forge(t, jwa.HS256, secret, func(b *jwt.Builder) *jwt.Builder { return b.Audience([]string{"x"}) }), "claims"},
		{"issued in the future", forge(t, jwa.HS256, secret, func(b *jwt.Builder) *jwt.Builder {
			return b.IssuedAt(t0.Add(time.Hour)).Expiration(t0.Add(2 * time.Hour))
		}), "claims"},
		{"unknown role", forge(t, jwa.HS256, secret, func(b *jwt.Builder) *jwt.Builder { return b.Claim("role", "root") }), "claims"},
		{"no jti", forge(t, jwa.HS256, secret, func(b *jwt.Builder) *jwt.Builder { return b.JwtID("") }), "claims"},
	}
	m := manager(t, &now, 16)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Verify(tc.token)
			require.Error(t, err)
			assert.Equal(t, tc.reason, token.Reason(err))
		})
	}
}

func TestVerifyLeewayAndCachedExpiry(t *testing.T) {
	now := t0
	m := manager(t, &now, 16)
	raw, _, err := m.Issue("alice", token.RoleUser, "s", token.NewID())
	require.NoError(t, err)
	_, err = m.Verify(raw) // now cached
	require.NoError(t, err)

	now = t0.Add(24*time.Hour + 20*time.Second) // inside the 30 s leeway
	_, err = m.Verify(raw)
	require.NoError(t, err)

	now = t0.Add(24*time.Hour + time.Minute) // the cache must not outlive exp
	_, err = m.Verify(raw)
	assert.ErrorIs(t, err, token.ErrExpired)
}

func FuzzVerify(f *testing.F) {
	now := t0
	m := manager(f, &now, 0)
	good, _, err := m.Issue("alice", token.RoleUser, "s", token.NewID())
	require.NoError(f, err)
	for _, s := range []string{good, "", ".", "..", "a.b.c", b64(`{"alg":"none"}`) + ".e30.", b64(`{"alg":"HS256"}`) + "." + b64(`{"exp":"x"}`) + ".sig"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := m.Verify(s)
		if err == nil && s != good {
			// Anything else that verifies must at least carry a subject and a role.
			assert.NotEmpty(t, c.Subject)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	now := time.Now()
	for _, bc := range []struct {
		name  string
		cache int
	}{{"cached", 1024}, {"uncached", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			m := manager(b, &now, bc.cache)
			raw, _, err := m.Issue("alice", token.RoleUser, "s", token.NewID())
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Verify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
