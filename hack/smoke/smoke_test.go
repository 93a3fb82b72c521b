package smoke

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/redistest"
)

type serviceCase struct {
	name string
	env  func(redisURL string) map[string]string
	// bad is one invalid setting and the variable the error must name.
	bad, badVar string
}

func services() []serviceCase {
	return []serviceCase{
		{
			name: "provider-adapter",
			env: func(string) map[string]string {
				return map[string]string{"OPENLIGADB_BASE_URL": "http://127.0.0.1:1", "SPORTMONKS_BASE_URL": "http://127.0.0.1:1"}
			},
			bad: "abc", badVar: "UPSTREAM_TIMEOUT",
		},
		{
			name: "cache",
			env: func(redisURL string) map[string]string {
				return map[string]string{"REDIS_URL": redisURL, "ADAPTER_URL": "http://127.0.0.1:1"}
			},
			bad: "soon", badVar: "CACHE_TTL_MATCHES",
		},
		{
			name: "gateway",
			env: func(redisURL string) map[string]string {
				return map[string]string{
					"REDIS_URL": redisURL, "CACHE_URL": "http://127.0.0.1:1", "ADAPTER_URL": "http://127.0.0.1:1",
					"JWT_SECRET": strings.Repeat("k", 40), "ADMIN_USER": "admin", "ADMIN_PASS": "a-long-admin-password",
				}
			},
			bad: "short", badVar: "JWT_SECRET",
		},
	}
}

func TestServiceProcesses(t *testing.T) {
	t.Parallel()
	for _, svc := range services() {
		t.Run(svc.name, func(t *testing.T) {
			t.Parallel()
			redis := redistest.Start(t)
			p := proctest.Start(t, svc.name, proctest.Options{Env: svc.env(redis.URL())})
			p.WaitStatus("/healthz", http.StatusOK, 15*time.Second)

			t.Run("liveness answers without dependencies", func(t *testing.T) {
				assertStatus(t, p.URL()+"/healthz", http.StatusOK)
			})
			t.Run("metrics in Prometheus text format", func(t *testing.T) {
				resp, err := http.Get(p.URL() + "/metrics")
				require.NoError(t, err)
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
				assert.Contains(t, string(body), "go_goroutines")
				assert.Contains(t, string(body), "process_resident_memory_bytes")
			})
			t.Run("unknown route gets the envelope and an access log line", func(t *testing.T) {
				assertStatus(t, p.URL()+"/definitely/not/here", http.StatusNotFound)
				require.Eventually(t, func() bool { return strings.Contains(p.Stdout(), `"status":404`) }, 5*time.Second, 20*time.Millisecond)
			})
			t.Run("SIGTERM exits cleanly within the shutdown timeout", func(t *testing.T) {
				p.Signal(syscall.SIGTERM)
				code, err := p.Wait(12 * time.Second)
				require.NoError(t, err)
				assert.Equal(t, 0, code)
				assert.Contains(t, p.Stdout(), `"msg":"shutting down"`)
				assert.Contains(t, p.Stdout(), `"msg":"stopped"`)
			})
			t.Run("every stdout line is JSON", func(t *testing.T) {
				sc := bufio.NewScanner(strings.NewReader(p.Stdout()))
				n := 0
				for sc.Scan() {
					var line map[string]any
					require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "not JSON: %s", sc.Text())
					assert.Equal(t, svc.name, line["service"])
					assert.Contains(t, line, "level")
					n++
				}
				assert.Positive(t, n)
			})
		})
	}
}

func TestInvalidSettingStopsTheProcessNamingTheVariable(t *testing.T) {
	t.Parallel()
	for _, svc := range services() {
		t.Run(svc.name, func(t *testing.T) {
			t.Parallel()
			env := svc.env("redis://127.0.0.1:1")
			env[svc.badVar] = svc.bad
			p := proctest.Start(t, svc.name, proctest.Options{Env: env})
			code, err := p.Wait(10 * time.Second)
			require.NoError(t, err)
			assert.NotEqual(t, 0, code)
			assert.Contains(t, p.Stderr(), svc.badVar)
			assert.NotContains(t, p.Stderr(), svc.bad+"\"", "the bad value itself may be a secret")
		})
	}
}

func assertStatus(t *testing.T, url string, want int) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, want, resp.StatusCode)
}
