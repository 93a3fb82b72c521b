package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type readiness struct {
	Ready      bool              `json:"ready"`
	Components map[string]string `json:"components"`
}

func ready(t *testing.T, base string) (int, readiness) {
	t.Helper()
	resp, err := httpClient.Get(base + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var r readiness
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	return resp.StatusCode, r
}

func metricsText(t *testing.T, base string) string {
	t.Helper()
	resp, err := httpClient.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestRedisKilledAndRestarted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const path = "/v1/matches?league=bl1&season=2025"
	require.Equal(t, "MISS", get(t, h.URL, path).XCache)
	require.Equal(t, "HIT", get(t, h.URL, path).XCache)
	assert.Contains(t, metricsText(t, h.URL), "cache_redis_up 1")

	// Traffic keeps flowing while Redis dies and comes back: every answer is a 200.
	stopLoad := make(chan struct{})
	loadDone := make(chan []int)
	go func() {
		var statuses []int
		for i := 0; ; i++ {
			select {
			case <-stopLoad:
				loadDone <- statuses
				return
			default:
			}
			a := get(t, h.URL, "/v1/matches?league=bl1&matchday="+strconv.Itoa(1+i%30))
			statuses = append(statuses, a.Status)
		}
	}()

	h.redis.Stop()
	before := h.adapter.count(path)
	for i := range 10 {
		a := get(t, h.URL, path)
		require.Equal(t, http.StatusOK, a.Status, "request %d with Redis down: %s", i, a.Body)
		assert.Equal(t, "MISS", a.XCache)
		assert.Equal(t, "openligadb", a.Provider)
	}
	assert.Equal(t, 10, h.adapter.count(path)-before, "served through the adapter")

	status, r := ready(t, h.URL)
	assert.Equal(t, http.StatusOK, status, "still ready: Redis is optional")
	assert.Equal(t, "down", r.Components["redis"])
	m := metricsText(t, h.URL)
	assert.Contains(t, m, "cache_redis_up 0")
	assert.Regexp(t, `cache_redis_breaker_state [12]`, m, "breaker open or probing")
	assert.Contains(t, m, `cache_requests_total{resource="matches",result="bypass"}`)
	assert.Regexp(t, `cache_redis_errors_total\{op="get"\} [1-9]`, m)

	h.redis.Restart()
	eventually(t, 5*time.Second, func() bool { return get(t, h.URL, path).XCache == "HIT" }, "caching resumes after Redis returns")
	close(stopLoad)
	statuses := <-loadDone
	assert.NotEmpty(t, statuses)
	for i, st := range statuses {
		assert.Equal(t, http.StatusOK, st, "background request %d", i)
	}
	_, r = ready(t, h.URL)
	assert.Equal(t, "up", r.Components["redis"])
	m = metricsText(t, h.URL)
	assert.Contains(t, m, "cache_redis_up 1")
	assert.Contains(t, m, "cache_redis_breaker_state 0")
}

func TestRedisDownStillCoalesces(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.redis.Stop()
	h.adapter.delay.Store(int64(100 * time.Millisecond))
	done := make(chan answer, 20)
	for range 20 {
		go func() { done <- get(t, h.URL, "/v1/leagues") }()
	}
	for range 20 {
		a := <-done
		assert.Equal(t, http.StatusOK, a.Status)
	}
	assert.Less(t, h.adapter.calls.Load(), int64(20), "concurrent misses share adapter calls even without Redis")
}

func TestMetricsCountOutcomes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	get(t, h.URL, "/v1/leagues")
	get(t, h.URL, "/v1/leagues")
	h.clock.Advance(time.Hour + time.Second)
	get(t, h.URL, "/v1/leagues")
	h.drain(t)
	m := metricsText(t, h.URL)
	for _, want := range []string{
		`cache_requests_total{resource="leagues",result="miss"} 1`,
		`cache_requests_total{resource="leagues",result="hit"} 1`,
		`cache_requests_total{resource="leagues",result="stale"} 1`,
		`cache_stale_served_total{reason="revalidate",resource="leagues"} 1`,
		`cache_background_refreshes_total{outcome="ok",resource="leagues"} 1`,
		`cache_adapter_request_duration_seconds_count{outcome="ok",resource="leagues"} 2`,
	} {
		assert.True(t, strings.Contains(m, want), "metrics lack %s", want)
	}
}

func TestRedisSlowIsBypassedWithinBoundedTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"REDIS_TIMEOUT": "100ms", "REDIS_DIAL_TIMEOUT": "100ms"})
	const path = "/v1/teams?league=bl1"
	require.Equal(t, "MISS", get(t, h.URL, path).XCache)
	// Every command blocks for 5 s: Redis is up but far slower than REDIS_TIMEOUT.
	require.NoError(t, h.rdb.Do(t.Context(), "CLIENT", "PAUSE", "5000", "ALL").Err())
	start := time.Now()
	a := get(t, h.URL, path)
	assert.Less(t, time.Since(start), 2500*time.Millisecond, "a slow Redis costs its timeouts, not its 5 s pause")
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, "MISS", a.XCache, "served through the adapter")
	assert.EqualValues(t, 2, h.adapter.calls.Load())
}

func TestSlowAdapterWithStaleCopy(t *testing.T) {
	t.Parallel()
	// The adapter answers after 1.5 s, longer than CACHE_WAIT_TIMEOUT (200 ms) but
	// within UPSTREAM_TIMEOUT: the client gets the stale copy without waiting for it and
	// the fetch still fills the cache.
	h := newHarness(t, map[string]string{"CACHE_WAIT_TIMEOUT": "200ms", "UPSTREAM_TIMEOUT": "5s"})
	const path = "/v1/leagues"
	require.Equal(t, "MISS", get(t, h.URL, path).XCache)
	h.adapter.delay.Store(int64(1500 * time.Millisecond))
	h.clock.Advance(time.Hour + time.Minute) // past the stale-while-revalidate window

	start := time.Now()
	a := get(t, h.URL, path)
	assert.Less(t, time.Since(start), 1200*time.Millisecond)
	assert.Equal(t, "STALE", a.XCache)
	assert.EqualValues(t, 1, a.stub(t).Call)

	eventually(t, 5*time.Second, func() bool { return get(t, h.URL, path).XCache == "HIT" }, "the slow fetch fills the cache")
	assert.EqualValues(t, 2, h.adapter.calls.Load())
}
