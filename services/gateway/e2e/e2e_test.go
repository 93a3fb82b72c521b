// Package e2e runs real gateway processes against a real redis-server and stub
// upstreams over HTTP: what crosses a process boundary is tested across one.
package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/redistest"
)

const (
	jwtSecret = "e2e-secret-0123456789abcdef-0123456789"
	adminPass = "e2e-admin-password"
	appPass   = "e2e-app-password"
)

// upstream is a stub cache: every data path answers a small array with X-Cache HIT.
func upstream(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Cache", "HIT")
		_, _ = w.Write([]byte(`[{"shortcut":"bl1"}]`))
	}))
	t.Cleanup(s.Close)
	return s
}

// configDir lays out a directory the way the kubelet mounts a ConfigMap: the files are
// symlinks through "..data", itself a symlink to a timestamped folder.
type configDir struct {
	dir string
	gen int
	t   *testing.T
}

func newConfigDir(t *testing.T, files map[string]string) *configDir {
	c := &configDir{dir: t.TempDir(), t: t}
	c.swap(files)
	for name := range files {
		require.NoError(t, os.Symlink(filepath.Join("..data", name), filepath.Join(c.dir, name)))
	}
	return c
}

// swap writes a new generation and atomically repoints "..data", as the kubelet does.
func (c *configDir) swap(files map[string]string) {
	c.gen++
	gen := fmt.Sprintf("..2026_12_03_%02d", c.gen)
	require.NoError(c.t, os.Mkdir(filepath.Join(c.dir, gen), 0o755))
	for name, content := range files {
		require.NoError(c.t, os.WriteFile(filepath.Join(c.dir, gen, name), []byte(content), 0o644))
	}
	tmp := filepath.Join(c.dir, "..data_tmp")
	require.NoError(c.t, os.Symlink(gen, tmp))
	require.NoError(c.t, os.Rename(tmp, filepath.Join(c.dir, "..data")))
	if c.gen > 1 {
		require.NoError(c.t, os.RemoveAll(filepath.Join(c.dir, fmt.Sprintf("..2026_12_03_%02d", c.gen-1))))
	}
}

func (c *configDir) path(name string) string { return filepath.Join(c.dir, name) }

func credentials(t *testing.T) string {
	h, err := bcrypt.GenerateFromPassword([]byte(appPass), bcrypt.MinCost)
	require.NoError(t, err)
	return "app: \"" + string(h) + "\"\n"
}

func limits(perMinute int) string {
	return fmt.Sprintf("tiers:\n  user: {perMinute: %d, perDay: 100000}\nclients:\n  app: {tier: user}\n", perMinute)
}

type stack struct {
	redis *redistest.Server
	cfg   *configDir
	up    *httptest.Server
}

func newStack(t *testing.T, perMinute int) *stack {
	return &stack{
		redis: redistest.Start(t),
		cfg:   newConfigDir(t, map[string]string{"ratelimits.yaml": limits(perMinute), "credentials.yaml": credentials(t)}),
		up:    upstream(t),
	}
}

func (s *stack) gateway(t *testing.T, env map[string]string) *proctest.Process {
	base := map[string]string{
		"REDIS_URL":            s.redis.URL(),
		"REDIS_TIMEOUT":        "200ms",
		"REDIS_DIAL_TIMEOUT":   "200ms",
		"CACHE_URL":            s.up.URL,
		"ADAPTER_URL":          s.up.URL,
		"JWT_SECRET":           jwtSecret,
		"ADMIN_USER":           "admin",
		"ADMIN_PASS":           adminPass,
		"RATE_LIMIT_CONFIG":    s.cfg.path("ratelimits.yaml"),
		"CLIENT_CREDENTIALS":   s.cfg.path("credentials.yaml"),
		"RATE_LIMIT_FAIL_MODE": "closed",
	}
	for k, v := range env {
		base[k] = v
	}
	p := proctest.Start(t, "gateway", proctest.Options{Env: base})
	p.WaitReady("/readyz", 20*time.Second)
	return p
}

var client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

type reply struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, method, url, bearer, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

type tokens struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
}

func login(t *testing.T, base, user, pass string) tokens {
	t.Helper()
	r := call(t, http.MethodPost, base+"/api/v1/auth/login", "", `{"username":"`+user+`","password":"`+pass+`"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var env struct {
		Data tokens `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &env))
	return env.Data
}

// noSecrets asserts a process never wrote a secret or a token to stdout.
func noSecrets(t *testing.T, p *proctest.Process, extra ...string) {
	t.Helper()
	out := p.Stdout() + p.Stderr()
	for _, s := range append([]string{jwtSecret, adminPass, appPass}, extra...) {
		assert.NotContains(t, out, s)
	}
}

// TestSharedLimitAcrossReplicas: three gateways on one Redis enforce one limit
// together under concurrent load.
func TestSharedLimitAcrossReplicas(t *testing.T) {
	const perMinute = 30 // one request refills every 2 s
	s := newStack(t, perMinute)
	gws := []*proctest.Process{s.gateway(t, nil), s.gateway(t, nil), s.gateway(t, nil)}
	tok := login(t, gws[0].URL(), "app", appPass)

	var allowed, limited atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				r := call(t, http.MethodGet, gws[(w+i)%3].URL()+"/api/v1/leagues", tok.Token, "")
				switch r.status {
				case http.StatusOK:
					allowed.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					t.Errorf("unexpected status %d: %s", r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	refill := int64(time.Since(start) / (2 * time.Second))
	t.Logf("allowed %d, limited %d, in %s", allowed.Load(), limited.Load(), time.Since(start))
	assert.GreaterOrEqual(t, allowed.Load(), int64(perMinute-1))
	assert.LessOrEqual(t, allowed.Load(), int64(perMinute+1)+refill)
	assert.Equal(t, int64(120), allowed.Load()+limited.Load())
	for _, g := range gws {
		noSecrets(t, g, tok.Token, tok.RefreshToken)
	}
}

// TestKubeletSwapReloadsLimits swaps the mounted ConfigMap the way the kubelet does
// and sees the new limit without a restart; a bad file afterwards is refused and the
// last good config stays.
func TestKubeletSwapReloadsLimits(t *testing.T) {
	s := newStack(t, 100)
	g := s.gateway(t, nil)
	tok := login(t, g.URL(), "app", appPass)
	r := call(t, http.MethodGet, g.URL()+"/api/v1/leagues", tok.Token, "")
	require.Equal(t, "100", r.header.Get("RateLimit-Limit"))

	creds, err := os.ReadFile(s.cfg.path("credentials.yaml"))
	require.NoError(t, err)
	s.cfg.swap(map[string]string{"ratelimits.yaml": limits(1000), "credentials.yaml": string(creds)})
	require.Eventually(t, func() bool {
		return call(t, http.MethodGet, g.URL()+"/api/v1/leagues", tok.Token, "").header.Get("RateLimit-Limit") == "1000"
	}, 10*time.Second, 50*time.Millisecond)
	// Log lines reach stdout in batches (at most 100 ms late).
	require.Eventually(t, func() bool { return strings.Contains(g.Stdout(), `"msg":"config reloaded"`) },
		5*time.Second, 20*time.Millisecond, "no config reloaded log line")

	s.cfg.swap(map[string]string{"ratelimits.yaml": "tiers: {user: {perMinute: -1}}\n", "credentials.yaml": string(creds)})
	require.Eventually(t, func() bool {
		m := call(t, http.MethodGet, g.URL()+"/metrics", "", "")
		return strings.Contains(m.body, `gateway_config_reloads_total{file="RATE_LIMIT_CONFIG",result="failure"} 1`)
	}, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, "1000", call(t, http.MethodGet, g.URL()+"/api/v1/leagues", tok.Token, "").header.Get("RateLimit-Limit"), "last good config kept")
	noSecrets(t, g, tok.Token, tok.RefreshToken)
}

// TestRedisKilled: with Redis gone, fail-open keeps answering from the local limiter
// and fail-closed refuses with 503, both well under a second per request.
func TestRedisKilled(t *testing.T) {
	s := newStack(t, 100)
	open := s.gateway(t, map[string]string{"RATE_LIMIT_FAIL_MODE": "open"})
	closed := s.gateway(t, map[string]string{"RATE_LIMIT_FAIL_MODE": "closed"})
	tokOpen := login(t, open.URL(), "app", appPass)
	tokClosed := login(t, closed.URL(), "app", appPass)
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, open.URL()+"/api/v1/leagues", tokOpen.Token, "").status)
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, closed.URL()+"/api/v1/leagues", tokClosed.Token, "").status)

	s.redis.Stop()
	for _, tc := range []struct {
		name   string
		gw     *proctest.Process
		token  string
		status int
		code   string
	}{
		{"open", open, tokOpen.Token, http.StatusOK, ""},
		{"closed", closed, tokClosed.Token, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 8 {
				start := time.Now()
				r := call(t, http.MethodGet, tc.gw.URL()+"/api/v1/leagues", tc.token, "")
				elapsed := time.Since(start)
				assert.Equal(t, tc.status, r.status, "request %d: %s", i, r.body)
				assert.Contains(t, r.body, tc.code)
				assert.Less(t, elapsed, 600*time.Millisecond, "request %d", i)
			}
		})
	}
	// Login needs Redis to store the refresh family: a prompt 503, not a hang.
	start := time.Now()
	r := call(t, http.MethodPost, open.URL()+"/api/v1/auth/login", "", `{"username":"app","password":"`+appPass+`"}`)
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.body)
	assert.Less(t, time.Since(start), 2*time.Second)

	// Readiness: only fail-closed depends on Redis.
	closed.WaitStatus("/readyz", http.StatusServiceUnavailable, 5*time.Second)
	open.WaitReady("/readyz", 5*time.Second)
	noSecrets(t, open, tokOpen.Token, tokOpen.RefreshToken)
	noSecrets(t, closed, tokClosed.Token, tokClosed.RefreshToken)
}

// TestStartupRefusesBadConfig: a bad value stops the process naming the variable.
func TestStartupRefusesBadConfig(t *testing.T) {
	s := newStack(t, 100)
	for _, tc := range []struct {
		name, key, value string
	}{
		{"short secret", "JWT_SECRET", "short"},
		{"wildcard CORS", "CORS_ALLOWED_ORIGINS", "*"},
		{"fail mode", "RATE_LIMIT_FAIL_MODE", "maybe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"REDIS_URL": s.redis.URL(), "JWT_SECRET": jwtSecret, "ADMIN_USER": "admin", "ADMIN_PASS": adminPass,
				"CACHE_URL": s.up.URL, "ADAPTER_URL": s.up.URL,
			}
			env[tc.key] = tc.value
			p := proctest.Start(t, "gateway", proctest.Options{Env: env})
			code, err := p.Wait(10 * time.Second)
			require.NoError(t, err)
			assert.NotEqual(t, 0, code)
			assert.Contains(t, p.Stdout()+p.Stderr(), tc.key)
			assert.NotContains(t, p.Stdout()+p.Stderr(), adminPass)
		})
	}
}

// TestTokenLifecycle runs login → data → refresh → replay → logout against the real
// binary and checks nothing secret reaches its output.
func TestTokenLifecycle(t *testing.T) {
	s := newStack(t, 100)
	g := s.gateway(t, nil)
	base := g.URL()
	first := login(t, base, "app", appPass)
	r := call(t, http.MethodGet, base+"/api/v1/matches?league=bl1&season=2025", first.Token, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"cached":true`)

	r = call(t, http.MethodPost, base+"/api/v1/auth/refresh", "", `{"refreshToken":"`+first.RefreshToken+`"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var env struct {
		Data tokens `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &env))
	second := env.Data

	r = call(t, http.MethodPost, base+"/api/v1/auth/refresh", "", `{"refreshToken":"`+first.RefreshToken+`"}`)
	assert.Equal(t, http.StatusUnauthorized, r.status, "replay refused")
	assert.Equal(t, http.StatusUnauthorized, call(t, http.MethodGet, base+"/api/v1/leagues", second.Token, "").status, "replay revoked the family")

	third := login(t, base, "app", appPass)
	r = call(t, http.MethodPost, base+"/api/v1/auth/logout", third.Token, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, http.StatusUnauthorized, call(t, http.MethodGet, base+"/api/v1/leagues", third.Token, "").status)
	noSecrets(t, g, first.Token, first.RefreshToken, second.Token, second.RefreshToken, third.Token, third.RefreshToken)
}
