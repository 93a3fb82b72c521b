package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/metrics"
	"github.com/football-tracker/backend/pkg/redistest"
	"github.com/football-tracker/backend/pkg/service"

	settings "github.com/football-tracker/backend/services/gateway/internal/config"
	"github.com/football-tracker/backend/services/gateway/internal/server"
)

const (
	jwtSecret = "test-secret-0123456789abcdef-0123456789"
	adminPass = "admin-password-123"
	appPass   = "app-password-456"
)

// stub is an upstream (cache or adapter) answering per the internal contract.
type stub struct {
	*httptest.Server
	name     string
	calls    atomic.Int64
	mu       sync.Mutex
	lastURL  string
	lastBody string
	trace    string
	seen     []string
	// cacheControl, when set, is the Cache-Control of every answer.
	cacheControl atomic.Pointer[string]
}

func newStub(t *testing.T, name string) *stub {
	s := &stub{name: name}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.lastURL, s.lastBody, s.trace = r.URL.String(), string(body), r.Header.Get("Traceparent")
		s.seen = append(s.seen, r.Method+" "+r.URL.String()+" "+string(body))
		s.mu.Unlock()
		if name == "cache" {
			w.Header().Set("X-Cache", "HIT")
		}
		if cc := s.cacheControl.Load(); cc != nil {
			w.Header().Set("Cache-Control", *cc)
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/healthz":
			_, _ = w.Write([]byte(`{"status":"alive"}`))
		case r.URL.Path == "/v1/matches/ol-404":
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"success":false,"error":{"code":"NOT_FOUND","message":"no such match"},"timestamp":"2026-01-01T00:00:00Z"}`))
		case r.URL.Path == "/v1/matches/ol-500":
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`panic: db.internal:5432 refused; api_token=SECRET`))
		case r.URL.Path == "/v1/matches/ol-429":
			w.WriteHeader(429)
			_, _ = w.Write([]byte(`{"success":false,"error":{"code":"RATE_LIMITED","message":"provider quota"},"timestamp":"2026-01-01T00:00:00Z"}`))
		case r.URL.Path == "/v1/matches/ol-503":
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"success":false,"error":{"code":"SERVICE_UNAVAILABLE","message":"providers down"},"timestamp":"2026-01-01T00:00:00Z"}`))
		case strings.HasPrefix(r.URL.Path, "/v1/matches/"):
			_, _ = w.Write([]byte(`{"id":"` + strings.TrimPrefix(r.URL.Path, "/v1/matches/") + `","source":"` + name + `"}`))
		case r.URL.Path == "/v1/matches", r.URL.Path == "/v1/teams", r.URL.Path == "/v1/leagues":
			_, _ = w.Write([]byte(`[{"source":"` + name + `"}]`))
		case r.URL.Path == "/v1/invalidate" && r.Method == http.MethodPost:
			_, _ = w.Write([]byte(`{"invalidated":3}`))
		default:
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stub) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *stub) last() (url, body, trace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastURL, s.lastBody, s.trace
}

// syncBuf collects the gateway's log lines.
type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type gw struct {
	URL     string
	Redis   *redistest.Server
	Cache   *stub
	Adapter *stub
	Logs    *syncBuf
	Dir     string
	App     *fiber.App
	t       *testing.T
}

type gwOptions struct {
	limits   string
	failMode string
	trusted  []string
	mutate   func(*settings.Settings)
}

// hashFor returns a cheap bcrypt hash for tests.
func hashFor(t testing.TB, pass string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

func startGateway(t *testing.T, o gwOptions) *gw {
	t.Helper()
	g := &gw{t: t, Redis: redistest.Start(t), Cache: newStub(t, "cache"), Adapter: newStub(t, "adapter"), Logs: &syncBuf{}, Dir: t.TempDir()}
	limitsPath := filepath.Join(g.Dir, "ratelimits.yaml")
	credsPath := filepath.Join(g.Dir, "credentials.yaml")
	if o.limits == "" {
		o.limits = "clients:\n  app: {tier: user}\n  retired: {tier: user, suspended: true}\n"
	}
	require.NoError(t, os.WriteFile(limitsPath, []byte(o.limits), 0o600))
	creds := "app: \"" + hashFor(t, appPass) + "\"\nretired: \"" + hashFor(t, appPass) + "\"\n"
	require.NoError(t, os.WriteFile(credsPath, []byte(creds), 0o600))
	if o.failMode == "" {
		o.failMode = "closed"
	}
	s := settings.Settings{
		Server:                config.Server{Port: 8080, ShutdownTimeout: time.Second, LogLevel: "info", Version: "test"},
		Redis:                 config.Redis{URL: g.Redis.URL(), KeyPrefix: "ft:", DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond},
		CacheURL:              g.Cache.URL,
		AdapterURL:            g.Adapter.URL,
		JWTSecret:             jwtSecret,
		JWTIssuer:             "football-tracker",
		JWTAudience:           "football-tracker-clients",
		JWTTTL:                24 * time.Hour,
		RefreshTTL:            720 * time.Hour,
		AdminUser:             "admin",
		AdminPass:             adminPass,
		CORSAllowedOrigins:    []string{"chrome-extension://abcdefghijklmnopabcdefghijklmnop"},
		RateLimitConfig:       limitsPath,
		ClientCredentials:     credsPath,
		TrustedProxies:        o.trusted,
		RateLimitFailMode:     o.failMode,
		MaxBodyBytes:          1024,
		UpstreamTimeout:       2 * time.Second,
		LoginPerIPPerMinute:   50,
		LoginPerUserPerMinute: 20,
		TokenCacheSize:        1024,
	}
	if o.mutate != nil {
		o.mutate(&s)
	}
	require.NoError(t, s.Validate())
	rt := &service.Runtime{
		Name:     "gateway",
		Server:   s.Server,
		Logger:   slog.New(slog.NewJSONHandler(g.Logs, nil)),
		Health:   health.New(time.Second),
		Registry: metrics.NewRegistry(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, run, err := server.Build(ctx, rt, s, time.Now())
	require.NoError(t, err)
	go run(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		cancel()
		_ = app.ShutdownWithTimeout(time.Second)
		if t.Failed() {
			t.Logf("gateway logs:\n%s", g.Logs.String())
		}
	})
	g.URL = "http://" + ln.Addr().String()
	g.App = app
	return g
}

type answer struct {
	Status int
	Header http.Header
	Raw    string
	Body   struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Cached  bool            `json:"cached"`
		Error   *struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			RetryAfter *int   `json:"retryAfter"`
			Details    []struct {
				Field string `json:"field"`
			} `json:"details"`
		} `json:"error"`
		Timestamp string `json:"timestamp"`
	}
}

func (a answer) Code() string {
	if a.Body.Error == nil {
		return ""
	}
	return a.Body.Error.Code
}

var client = &http.Client{Timeout: 5 * time.Second}

func (g *gw) do(method, path, bearer, body string, hdr ...string) answer {
	g.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(g.t.Context(), method, g.URL+path, rd)
	require.NoError(g.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(g.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(g.t, err)
	a := answer{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		require.NoError(g.t, json.Unmarshal(raw, &a.Body), string(raw))
	}
	return a
}

type pair struct {
	Token        string `json:"token"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	RefreshToken string `json:"refreshToken"`
}

func (g *gw) login(user, pass string) (pair, answer) {
	g.t.Helper()
	a := g.do(http.MethodPost, "/api/v1/auth/login", "", `{"username":"`+user+`","password":"`+pass+`"}`)
	var p pair
	if a.Status == http.StatusOK {
		require.NoError(g.t, json.Unmarshal(a.Body.Data, &p))
	}
	return p, a
}

func (g *gw) refresh(rt string) (pair, answer) {
	g.t.Helper()
	a := g.do(http.MethodPost, "/api/v1/auth/refresh", "", `{"refreshToken":"`+rt+`"}`)
	var p pair
	if a.Status == http.StatusOK {
		require.NoError(g.t, json.Unmarshal(a.Body.Data, &p))
	}
	return p, a
}
