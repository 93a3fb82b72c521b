package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/providerstub"
)

func (s *stack) invalidate(t *testing.T, admin string) {
	t.Helper()
	r := s.do(http.MethodPost, "/api/v1/admin/cache/invalidate", admin, map[string]string{"resource": "all"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "gateway: invalidate: %s", r)
}

// TestProviderFaults breaks SportMonks in every way a provider breaks and expects the
// OpenLigaDB answer each time, within the adapter's budget.
func TestProviderFaults(t *testing.T) {
	// A breaker that never opens, so every fault below really reaches SportMonks (the
	// adapter's own tests cover the breaker opening).
	s := startStack(t, stackOptions{adapterEnv: map[string]string{"BREAKER_FAILURES": "1000"}})
	admin := s.login(adminUser, adminPass).Token

	healthy := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", admin, nil, nil)
	require.Equal(t, http.StatusOK, healthy.Status, "gateway: %s", healthy)

	// 429 goes last: the adapter then rests SportMonks until Retry-After, as it should.
	for _, fault := range []providerstub.Fault{providerstub.Fault500, providerstub.FaultGarbage, providerstub.FaultHang, providerstub.Fault429} {
		t.Run(string(fault), func(t *testing.T) {
			s.invalidate(t, admin)
			smCalls := s.stub.Calls(providerstub.SportMonks)
			s.stub.SetFault(providerstub.SportMonks, fault)
			t.Cleanup(func() { s.stub.SetFault(providerstub.SportMonks, providerstub.FaultNone) })
			start := time.Now()
			r := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", admin, nil, nil)
			elapsed := time.Since(start)
			require.Equal(t, http.StatusOK, r.Status, "provider-adapter: SportMonks %s was not answered from OpenLigaDB: %s", fault, r)
			ms := decodeMatches(t, r)
			require.NotEmpty(t, ms)
			for _, m := range ms {
				assert.Equal(t, domain.ProviderOpenLigaDB, m.Provider)
			}
			assert.Less(t, elapsed, 4*time.Second, "provider-adapter: the answer took longer than the budget (UPSTREAM_BUDGET=3s)")
			assert.Greater(t, s.stub.Calls(providerstub.SportMonks), smCalls, "provider-adapter: SportMonks was not asked, so the fault was not exercised")
		})
	}
	failovers := metricSum(metricsOf(t, s.adapter), "provider_failovers_total")
	assert.Positive(t, failovers, "provider-adapter: failovers are counted")
}

// TestBothProvidersFailing checks the stale copy when the cache is warm, and the
// documented error when it is not.
func TestBothProvidersFailing(t *testing.T) {
	s := startStack(t, stackOptions{cacheEnv: map[string]string{"CACHE_TTL_MATCHES": "300ms", "CACHE_STALE_TTL": "600"}})
	tk := s.login(clientName, clientPass).Token

	warm := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", tk, nil, nil)
	require.Equal(t, http.StatusOK, warm.Status, "gateway: %s", warm)

	s.stub.SetFault(providerstub.SportMonks, providerstub.Fault500)
	s.stub.SetFault(providerstub.OpenLigaDB, providerstub.Fault500)
	before := s.stub.Calls(providerstub.OpenLigaDB)

	// Once the entry is past its 300 ms freshness, every answer is the stale copy while
	// the cache keeps trying to refresh it (and failing) in the background.
	require.Eventually(t, func() bool {
		r := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", tk, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "cache: stale copy not served while both providers fail: %s", r)
		require.True(t, r.Cached)
		assert.JSONEq(t, string(warm.Data), string(r.Data))
		return s.stub.Calls(providerstub.OpenLigaDB) > before
	}, 10*time.Second, 100*time.Millisecond, "cache: no refresh was attempted after the entry went stale")

	start := time.Now()
	cold := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2020", tk, nil, nil)
	assert.Less(t, time.Since(start), 8*time.Second, "a cold key with both providers down answers within the budget")
	assert.Contains(t, []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, cold.Status, "gateway: %s", cold)
	assert.Contains(t, []string{"UPSTREAM_ERROR", "SERVICE_UNAVAILABLE", "UPSTREAM_TIMEOUT"}, cold.code())
	assertEnvelope(t, cold)
	assert.NotContains(t, string(cold.Raw), "127.0.0.1", "no hostnames in the error")
}

// TestCacheDown kills the cache process: the gateway answers through the adapter.
func TestCacheDown(t *testing.T) {
	s := startStack(t, stackOptions{})
	tk := s.login(clientName, clientPass).Token
	s.cache.Kill()

	r := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", tk, nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "gateway: no fallback to the adapter when the cache is gone: %s", r)
	assert.False(t, r.Cached)
	require.NotEmpty(t, decodeMatches(t, r))

	h := s.do(http.MethodGet, "/api/v1/health", "", nil, nil)
	require.Equal(t, http.StatusOK, h.Status)
	var body struct {
		Status       string            `json:"status"`
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(h.Data, &body))
	assert.Equal(t, "degraded", body.Status)
	assert.Equal(t, "down", body.Dependencies["cache"])
	assert.NotContains(t, string(h.Raw), "127.0.0.1", "health names dependencies, never addresses")
}

// TestRedisDownUnderLoad kills Redis while clients keep asking: the fail-open limiter
// keeps answering fast, and the gateway uses Redis again once it is back.
func TestRedisDownUnderLoad(t *testing.T) {
	s := startStack(t, stackOptions{gatewayEnv: map[string]string{"RATE_LIMIT_FAIL_MODE": "open"}})
	tk := s.login(clientName, clientPass).Token
	warm := s.do(http.MethodGet, "/api/v1/leagues", tk, nil, nil)
	require.Equal(t, http.StatusOK, warm.Status, "gateway: %s", warm)

	s.redis.Stop()
	var slow atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				start := time.Now()
				r := s.do(http.MethodGet, "/api/v1/leagues", tk, nil, nil)
				if time.Since(start) > time.Second {
					slow.Add(1)
				}
				assert.Contains(t, []int{http.StatusOK, http.StatusTooManyRequests}, r.Status, "gateway: with Redis down and fail mode open: %s", r)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, slow.Load(), "gateway: requests waited a full Redis timeout")

	s.redis.Restart()
	require.Eventually(t, func() bool {
		h := s.do(http.MethodGet, "/api/v1/health", "", nil, nil)
		return strings.Contains(string(h.Data), `"redis":"up"`)
	}, 15*time.Second, 100*time.Millisecond, "gateway: Redis not seen again after it came back")

	// Revocation needs Redis: logging out works again, without a gateway restart.
	fresh := s.login(clientName, clientPass)
	out := s.do(http.MethodPost, "/api/v1/auth/logout", fresh.Token, map[string]string{"refreshToken": fresh.RefreshToken}, nil)
	require.Equal(t, http.StatusOK, out.Status, "gateway: %s", out)
	refused := s.do(http.MethodGet, "/api/v1/leagues", fresh.Token, nil, nil)
	assert.Equal(t, http.StatusUnauthorized, refused.Status)
}

// TestGatewaySIGTERMUnderLoad: requests the gateway accepted complete; none sees a reset.
func TestGatewaySIGTERMUnderLoad(t *testing.T) {
	s := startStack(t, stackOptions{})
	tk := s.login(clientName, clientPass).Token
	require.Equal(t, http.StatusOK, s.do(http.MethodGet, "/api/v1/leagues", tk, nil, nil).Status)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var ok, refused atomic.Int64
	var mu sync.Mutex
	var broken []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for ctx.Err() == nil {
				var reused bool
				trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, s.gateway.URL()+"/api/v1/leagues", nil)
				req.Header.Set("Authorization", "Bearer "+tk)
				resp, err := client.Do(req)
				switch {
				case err == nil:
					_ = resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						ok.Add(1)
					}
				case isDialError(err) || !reused || ctx.Err() != nil:
					// Never accepted: refused, reset in the kernel's backlog as the
					// listener closed, or a fresh connection closed before the gateway
					// read a request from it. Nothing was processed; clients retry
					// elsewhere. A failure on a reused keep-alive connection is the bug
					// this test is about.
					refused.Add(1)
					time.Sleep(5 * time.Millisecond)
				default:
					mu.Lock()
					broken = append(broken, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return ok.Load() > 50 }, 10*time.Second, 10*time.Millisecond)
	s.gateway.Signal(syscall.SIGTERM)
	code, err := s.gateway.Wait(15 * time.Second)
	cancel()
	wg.Wait()
	require.NoError(t, err, "gateway: did not exit after SIGTERM")
	assert.Equal(t, 0, code)
	assert.Empty(t, broken, "gateway: accepted requests failed during shutdown")
}

// isDialError reports whether err happened while connecting, before any byte of the
// request was written.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
