package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/cache/internal/app"
	settings "github.com/football-tracker/backend/services/cache/internal/config"
)

// Stub adapter modes.
const (
	modeOK       = "ok"
	modeFail     = "fail"     // 503 SERVICE_UNAVAILABLE envelope
	modeHang     = "hang"     // never answers until the client gives up
	modeNotFound = "notfound" // 404 NOT_FOUND envelope
	modeBig      = "big"      // 200 with a body over CACHE_MAX_ENTRY_BYTES
)

// stubAdapter stands in for the provider-adapter: it answers the documented contract,
// counts its calls and can be told to fail or hang.
type stubAdapter struct {
	*httptest.Server
	calls atomic.Int64
	mode  atomic.Value
	// delay widens the window in which concurrent misses overlap.
	delay atomic.Int64
	// gate, when set, holds every answer until it is closed.
	gate atomic.Pointer[chan struct{}]

	mu     sync.Mutex
	byPath map[string]int
	hdrs   []http.Header
}

func newStubAdapter(t *testing.T) *stubAdapter { return newStubAdapterTB(t) }

func newStubAdapterTB(t testing.TB) *stubAdapter {
	t.Helper()
	s := &stubAdapter{byPath: map[string]int{}}
	s.mode.Store(modeOK)
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *stubAdapter) setMode(m string) { s.mode.Store(m) }

func (s *stubAdapter) count(pathAndQuery string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byPath[pathAndQuery]
}

func (s *stubAdapter) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hdrs) == 0 {
		return nil
	}
	return s.hdrs[len(s.hdrs)-1]
}

// stubBody is what the stub answers: enough to tell which call produced an answer.
type stubBody struct {
	Path  string `json:"path"`
	Query string `json:"query"`
	Call  int64  `json:"call"`
	Pad   string `json:"pad,omitempty"`
}

func (s *stubAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.WriteHeader(http.StatusOK)
		return
	}
	n := s.calls.Add(1)
	s.mu.Lock()
	s.byPath[r.URL.RequestURI()]++
	s.hdrs = append(s.hdrs, r.Header.Clone())
	s.mu.Unlock()
	if d := s.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	if g := s.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	body := stubBody{Path: r.URL.Path, Query: r.URL.RawQuery, Call: n}
	switch s.mode.Load().(string) {
	case modeHang:
		<-r.Context().Done()
		return
	case modeFail:
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(envelope.NewFailure(envelope.New(envelope.CodeServiceUnavailable, "")))
		return
	case modeNotFound:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(envelope.NewFailure(envelope.New(envelope.CodeNotFound, "")))
		return
	case modeBig:
		body.Pad = strings.Repeat("x", 4096)
	}
	w.Header().Set("X-Provider", "openligadb")
	_ = json.NewEncoder(w).Encode(body)
}

// fakeClock is the cache's clock in tests: entries age when the test says so.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testEnv is the environment of one cache instance under test.
func testEnv(redisEnv map[string]string, adapterURL string, overrides map[string]string) map[string]string {
	env := map[string]string{
		"ADAPTER_URL":                  adapterURL,
		"CACHE_TTL_MATCHES":            "60",
		"CACHE_TTL_MATCH":              "120",
		"CACHE_TTL_LEAGUES":            "3600",
		"CACHE_TTL_TEAMS":              "3600",
		"CACHE_STALE_TTL":              "30",
		"CACHE_STALE_IF_ERROR_TTL":     "600",
		"CACHE_MAX_ENTRY_BYTES":        "2048",
		"UPSTREAM_TIMEOUT":             "2s",
		"CACHE_WAIT_TIMEOUT":           "1s",
		"CACHE_REDIS_BREAKER_COOLDOWN": "100ms",
		// Generous: a loaded CI machine must not turn a slow write into a flaky miss.
		// A killed Redis refuses connections at once, whatever these say.
		"REDIS_DIAL_TIMEOUT": "1s",
		"REDIS_TIMEOUT":      "1s",
	}
	for k, v := range redisEnv {
		env[k] = v
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

// instance is one in-process cache service listening on a real port.
type instance struct {
	*app.App
	URL string
}

func startInstance(t *testing.T, env map[string]string, clock *fakeClock) *instance {
	t.Helper()
	return startInstanceClock(t, env, clock)
}

func startInstanceTB(t testing.TB, env map[string]string) *instance {
	t.Helper()
	return startInstanceClock(t, env, nil)
}

func startInstanceClock(t testing.TB, env map[string]string, clock *fakeClock) *instance {
	t.Helper()
	var s settings.Settings
	require.NoError(t, config.LoadFrom(&s, env))
	d := app.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if clock != nil {
		d.Now = clock.Now
	}
	a, err := app.New(s, d)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = a.Fiber.Listener(ln) }()
	t.Cleanup(func() {
		_ = a.Fiber.ShutdownWithTimeout(2 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})
	return &instance{App: a, URL: "http://" + ln.Addr().String()}
}

// harness is one cache instance on a private redis-server with a stub adapter.
type harness struct {
	*instance
	redis   *redistest.Server
	rdb     redis.UniversalClient
	adapter *stubAdapter
	clock   *fakeClock
}

func newHarness(t *testing.T, overrides map[string]string) *harness {
	t.Helper()
	h := &harness{redis: redistest.Start(t), adapter: newStubAdapter(t), clock: newFakeClock()}
	h.rdb = h.redis.Client()
	h.instance = startInstance(t, testEnv(map[string]string{"REDIS_URL": h.redis.URL()}, h.adapter.URL, overrides), h.clock)
	return h
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// answer is one HTTP answer of the cache.
type answer struct {
	Status   int
	XCache   string
	Age      int
	Provider string
	// CacheControl is the Cache-Control header.
	CacheControl string
	Body         []byte
}

func (a answer) stub(t *testing.T) stubBody {
	t.Helper()
	var b stubBody
	require.NoError(t, json.Unmarshal(a.Body, &b), "body: %s", a.Body)
	return b
}

func (a answer) errorCode(t *testing.T) envelope.Code {
	t.Helper()
	var f envelope.Failure
	require.NoError(t, json.Unmarshal(a.Body, &f), "body: %s", a.Body)
	require.NotNil(t, f.Error, "body: %s", a.Body)
	return f.Error.Code
}

func get(t *testing.T, base, path string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	require.NoError(t, err)
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	age, _ := strconv.Atoi(resp.Header.Get("Age"))
	return answer{
		Status: resp.StatusCode, XCache: resp.Header.Get("X-Cache"), Age: age, Provider: resp.Header.Get("X-Provider"),
		CacheControl: resp.Header.Get("Cache-Control"), Body: body,
	}
}

func post(t *testing.T, base, path, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Body: b}
}

// eventually polls cond every 20ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", timeout, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drain waits for the instance's background refreshes.
func (i *instance) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, i.Cache.Drain(ctx))
}
