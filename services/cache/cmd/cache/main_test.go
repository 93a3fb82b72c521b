package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/redistest"
)

// stubAdapter answers the adapter contract for /v1/leagues and counts calls.
func stubAdapter(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Provider", "openligadb")
		_, _ = io.WriteString(w, `[{"shortcut":"bl1","name":"Bundesliga","country":"Germany","providerIds":{"openligadb":"bl1"}}]`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

type answer struct {
	status int
	xCache string
	age    string
	body   string
}

func get(t *testing.T, url string) answer {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, xCache: resp.Header.Get("X-Cache"), age: resp.Header.Get("Age"), body: string(b)}
}

func TestCacheProcessSurvivesRedis(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	adapter, calls := stubAdapter(t)
	p := proctest.Start(t, "cache", proctest.Options{Env: map[string]string{
		"REDIS_URL":                    redis.URL(),
		"ADAPTER_URL":                  adapter.URL,
		"CACHE_REDIS_BREAKER_COOLDOWN": "100ms",
		"UPSTREAM_TIMEOUT":             "2s",
	}})
	p.WaitReady("/readyz", 30*time.Second)

	miss := get(t, p.URL()+"/v1/leagues")
	require.Equal(t, http.StatusOK, miss.status, miss.body)
	assert.Equal(t, "MISS", miss.xCache)
	assert.Equal(t, "0", miss.age)
	hit := get(t, p.URL()+"/v1/leagues")
	assert.Equal(t, "HIT", hit.xCache)
	assert.NotEmpty(t, hit.age)
	assert.Equal(t, miss.body, hit.body)
	assert.EqualValues(t, 1, calls.Load())

	redis.Stop()
	for range 5 {
		a := get(t, p.URL()+"/v1/leagues")
		assert.Equal(t, http.StatusOK, a.status, "served through the adapter while Redis is down")
		assert.Equal(t, "MISS", a.xCache)
	}
	assert.EqualValues(t, 6, calls.Load())
	resp, err := http.Get(p.URL() + "/readyz")
	require.NoError(t, err)
	var rep struct {
		Ready      bool              `json:"ready"`
		Components map[string]string `json:"components"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "Redis is optional: still ready")
	assert.Equal(t, "down", rep.Components["redis"])
	assert.Equal(t, "up", rep.Components["adapter"])

	redis.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for get(t, p.URL()+"/v1/leagues").xCache != "HIT" {
		require.True(t, time.Now().Before(deadline), "caching did not resume after Redis came back")
		time.Sleep(50 * time.Millisecond)
	}

	p.Signal(syscall.SIGTERM)
	code, err := p.Wait(15 * time.Second)
	require.NoError(t, err)
	assert.Zero(t, code, "graceful shutdown exits 0")
	assert.Contains(t, p.Stdout(), `"msg":"stopped"`)
}

func TestCacheProcessRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "TTL not a number", env: map[string]string{"CACHE_TTL_MATCHES": "abc"}, want: "CACHE_TTL_MATCHES"},
		{name: "TTL zero", env: map[string]string{"CACHE_TTL_LEAGUES": "0"}, want: "CACHE_TTL_LEAGUES"},
		{name: "negative stale window", env: map[string]string{"CACHE_STALE_TTL": "-5"}, want: "CACHE_STALE_TTL"},
		{name: "adapter URL not http", env: map[string]string{"ADAPTER_URL": "ftp://adapter"}, want: "ADAPTER_URL"},
		{name: "no Redis", env: map[string]string{"REDIS_URL": ""}, want: "REDIS_URL"},
		{name: "default league not in registry", env: map[string]string{"DEFAULT_LEAGUE": "zz9"}, want: "DEFAULT_LEAGUE"},
		{name: "league registry file missing", env: map[string]string{"LEAGUES_CONFIG": "/nonexistent/leagues.yaml"}, want: "LEAGUES_CONFIG"},
		{name: "wait timeout zero", env: map[string]string{"CACHE_WAIT_TIMEOUT": "0"}, want: "CACHE_WAIT_TIMEOUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0", "ADAPTER_URL": "http://127.0.0.1:1"}
			for k, v := range tc.env {
				env[k] = v
			}
			p := proctest.Start(t, "cache", proctest.Options{Env: env})
			code, err := p.Wait(15 * time.Second)
			require.NoError(t, err)
			assert.Equal(t, 2, code)
			assert.Contains(t, p.Stderr(), tc.want)
			assert.Contains(t, p.Stderr(), "configuration error")
		})
	}
}
