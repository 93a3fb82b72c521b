package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/providerstub"
	"github.com/football-tracker/backend/pkg/redistest"
)

// Secrets of the stack; the leak scan looks for each of them everywhere.
const (
	jwtSecret       = "e2e-jwt-secret-0123456789-abcdefghijklmnop"
	adminUser       = "admin"
	adminPass       = "e2e-admin-password-Zq81"
	sportMonksToken = "e2e-sportmonks-token-Xy7Lk2"
	clientName      = "chrome-extension"
	clientPass      = "e2e-client-password-Pw44"
	allowedOrigin   = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
)

// stack is one running system: Redis, the provider stub, the OTLP receiver and the
// three services as processes.
type stack struct {
	t        *testing.T
	redis    *redistest.Server
	stub     *providerstub.Stub
	stubSrv  *httptest.Server
	otlp     *otlpReceiver
	adapter  *proctest.Process
	cache    *proctest.Process
	gateway  *proctest.Process
	cfgDir   string
	client   *http.Client
	captured *capture
}

type stackOptions struct {
	gatewayEnv map[string]string
	cacheEnv   map[string]string
	adapterEnv map[string]string
	limits     string
}

const defaultLimits = `
tiers:
  anonymous: {perMinute: 1000, perDay: 100000}
  user:      {perMinute: 1000, perDay: 100000}
  admin:     {perMinute: 1000, perDay: 100000}
clients:
  chrome-extension: {tier: user}
`

func startStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	s := &stack{t: t, captured: &capture{}}
	s.redis = redistest.Start(t)
	s.stub = providerstub.New()
	s.stub.SportMonksToken = sportMonksToken
	s.stubSrv = httptest.NewServer(s.stub)
	t.Cleanup(s.stubSrv.Close)
	s.otlp = startOTLP(t)

	s.cfgDir = t.TempDir()
	limits := opts.limits
	if limits == "" {
		limits = defaultLimits
	}
	require.NoError(t, os.WriteFile(filepath.Join(s.cfgDir, "ratelimits.yaml"), []byte(limits), 0o600))
	hash, err := bcrypt.GenerateFromPassword([]byte(clientPass), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.cfgDir, "credentials.yaml"), []byte(clientName+": \""+string(hash)+"\"\n"), 0o600))

	otel := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": s.otlp.srv.URL,
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
	}
	adapterEnv := merge(otel, map[string]string{
		"SPORTMONKS_API_TOKEN": sportMonksToken,
		"SPORTMONKS_BASE_URL":  s.stubSrv.URL,
		"OPENLIGADB_BASE_URL":  s.stubSrv.URL,
		"UPSTREAM_TIMEOUT":     "1s",
		"UPSTREAM_BUDGET":      "3s",
	}, opts.adapterEnv)
	s.adapter = proctest.Start(t, "provider-adapter", proctest.Options{Env: adapterEnv})

	cacheEnv := merge(otel, map[string]string{
		"REDIS_URL":        s.redis.URL(),
		"ADAPTER_URL":      s.adapter.URL(),
		"UPSTREAM_TIMEOUT": "5s",
	}, opts.cacheEnv)
	s.cache = proctest.Start(t, "cache", proctest.Options{Env: cacheEnv})

	gatewayEnv := merge(otel, map[string]string{
		"REDIS_URL":            s.redis.URL(),
		"CACHE_URL":            s.cache.URL(),
		"ADAPTER_URL":          s.adapter.URL(),
		"JWT_SECRET":           jwtSecret,
		"ADMIN_USER":           adminUser,
		"ADMIN_PASS":           adminPass,
		"CORS_ALLOWED_ORIGINS": allowedOrigin,
		"RATE_LIMIT_CONFIG":    filepath.Join(s.cfgDir, "ratelimits.yaml"),
		"CLIENT_CREDENTIALS":   filepath.Join(s.cfgDir, "credentials.yaml"),
		"UPSTREAM_TIMEOUT":     "6s",
	}, opts.gatewayEnv)
	s.gateway = proctest.Start(t, "gateway", proctest.Options{Env: gatewayEnv})

	for _, p := range []*proctest.Process{s.adapter, s.cache, s.gateway} {
		p.WaitReady("/readyz", 20*time.Second)
	}
	s.client = &http.Client{Timeout: 15 * time.Second, Transport: &recordingTransport{base: http.DefaultTransport, c: s.captured}}
	t.Cleanup(func() { s.client.CloseIdleConnections() })
	return s
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// capture keeps every response the suite received, for the leak scan.
type capture struct {
	mu        sync.Mutex
	responses []string
	tokens    []string
}

func (c *capture) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.responses = append(c.responses, s)
}

func (c *capture) addToken(tok string) {
	if tok == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = append(c.tokens, tok)
}

type recordingTransport struct {
	base http.RoundTripper
	c    *capture
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var hdr strings.Builder
	_ = resp.Header.Write(&hdr)
	rt.c.add(req.Method + " " + req.URL.Path + "\n" + hdr.String() + "\n" + string(body))
	return resp, nil
}

// reply is a decoded envelope with its HTTP response.
type reply struct {
	Status  int
	Header  http.Header
	Raw     []byte
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Cached  bool            `json:"cached"`
	Stamp   string          `json:"timestamp"`
	Error   *struct {
		Code       string          `json:"code"`
		Message    string          `json:"message"`
		Details    json.RawMessage `json:"details"`
		RetryAfter *int            `json:"retryAfter"`
	} `json:"error"`
}

func (r *reply) code() string {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code
}

func (r *reply) String() string {
	return fmt.Sprintf("%d %s", r.Status, string(r.Raw))
}

// do sends a request to the gateway and decodes the envelope.
func (s *stack) do(method, path, token string, body any, hdr map[string]string) *reply {
	s.t.Helper()
	var rdr io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rdr = strings.NewReader(b)
		default:
			raw, err := json.Marshal(b)
			require.NoError(s.t, err)
			rdr = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.gateway.URL()+path, rdr)
	require.NoError(s.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	require.NoError(s.t, err, "gateway: %s %s", method, path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	r := &reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		require.NoError(s.t, json.Unmarshal(raw, r), "gateway answered non-envelope JSON: %s", raw)
	}
	return r
}

// tokens is a login or refresh answer.
type tokens struct {
	Token            string `json:"token"`
	TokenType        string `json:"tokenType"`
	ExpiresIn        int    `json:"expiresIn"`
	RefreshToken     string `json:"refreshToken"`
	RefreshExpiresIn int    `json:"refreshExpiresIn"`
}

func (s *stack) login(user, pass string) tokens {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": user, "password": pass}, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "gateway: login as %s: %s", user, r)
	var tk tokens
	require.NoError(s.t, json.Unmarshal(r.Data, &tk))
	s.captured.addToken(tk.Token)
	s.captured.addToken(tk.RefreshToken)
	return tk
}

// logs is every line every process wrote so far.
func (s *stack) logs() map[string]string {
	return map[string]string{
		"gateway":          s.gateway.Stdout() + s.gateway.Stderr(),
		"cache":            s.cache.Stdout() + s.cache.Stderr(),
		"provider-adapter": s.adapter.Stdout() + s.adapter.Stderr(),
	}
}

// metrics returns a service's /metrics text.
func metricsOf(t *testing.T, p *proctest.Process) string {
	t.Helper()
	resp, err := http.Get(p.URL() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(raw)
}
