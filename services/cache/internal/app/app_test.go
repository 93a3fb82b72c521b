package app_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/redistest"
)

// hangTimeout keeps the tests with a hanging adapter short.
var hangTimeout = map[string]string{"UPSTREAM_TIMEOUT": "300ms"}

func TestHitMissStaleTransitions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const path = "/v1/matches?season=2025&league=bl1"

	first := get(t, h.URL, path)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Body)
	assert.Equal(t, "MISS", first.XCache)
	assert.Equal(t, 0, first.Age)
	assert.Equal(t, "openligadb", first.Provider, "the entry's provider is forwarded")
	assert.Equal(t, "league=bl1&season=2025", first.stub(t).Query, "the adapter gets the canonical query")

	h.clock.Advance(59 * time.Second)
	hit := get(t, h.URL, path)
	assert.Equal(t, "HIT", hit.XCache)
	assert.Equal(t, 59, hit.Age)
	assert.Equal(t, "openligadb", hit.Provider)
	assert.Equal(t, first.Body, hit.Body)
	assert.EqualValues(t, 1, h.adapter.calls.Load(), "a hit does not call the adapter")

	// Past the 60 s TTL, inside CACHE_STALE_TTL: served stale at once, refreshed behind.
	h.clock.Advance(2 * time.Second)
	stale := get(t, h.URL, path)
	assert.Equal(t, "STALE", stale.XCache)
	assert.Equal(t, 61, stale.Age)
	assert.Equal(t, first.Body, stale.Body)
	h.drain(t)
	assert.EqualValues(t, 2, h.adapter.calls.Load(), "one background refresh")

	refreshed := get(t, h.URL, path)
	assert.Equal(t, "HIT", refreshed.XCache)
	assert.Equal(t, 0, refreshed.Age)
	assert.EqualValues(t, 2, refreshed.stub(t).Call, "the refreshed entry is served")

	// Past TTL + the longest stale window the entry is gone: a plain miss.
	h.clock.Advance(60*time.Second + 600*time.Second)
	gone := get(t, h.URL, path)
	assert.Equal(t, "MISS", gone.XCache)
	assert.EqualValues(t, 3, gone.stub(t).Call)
}

func TestCanonicalKeysAndRedisTTLs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := t.Context()
	tests := []struct {
		name    string
		paths   []string
		key     string
		redisTT time.Duration
	}{
		{
			name:    "matches: league defaulted, parameters sorted, case folded",
			paths:   []string{"/v1/matches?status=FINISHED&season=2024", "/v1/matches?league=bl1&season=2024&status=finished", "/v1/matches?season=2024&status=finished&league=BL1&date="},
			key:     "ft:cache:v1:{matches:bl1}:league=bl1&season=2024&status=finished",
			redisTT: 60*time.Second + 600*time.Second,
		},
		{
			name:    "matchday and status normalised",
			paths:   []string{"/v1/matches?league=pl&matchday=7&status=FINISHED", "/v1/matches?status=finished&matchday=7&league=pl"},
			key:     "ft:cache:v1:{matches:pl}:league=pl&matchday=7&status=finished",
			redisTT: 60*time.Second + 600*time.Second,
		},
		{
			name:    "match by id",
			paths:   []string{"/v1/matches/ol-66640"},
			key:     "ft:cache:v1:{match}:id=ol-66640",
			redisTT: 120*time.Second + 600*time.Second,
		},
		{
			name:    "leagues",
			paths:   []string{"/v1/leagues"},
			key:     "ft:cache:v1:{leagues}:all",
			redisTT: time.Hour + 600*time.Second,
		},
		{
			name:    "teams",
			paths:   []string{"/v1/teams?season=2023&league=bl2", "/v1/teams?league=bl2&season=2023"},
			key:     "ft:cache:v1:{teams:bl2}:league=bl2&season=2023",
			redisTT: time.Hour + 600*time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.adapter.calls.Load()
			for i, p := range tc.paths {
				a := get(t, h.URL, p)
				require.Equal(t, http.StatusOK, a.Status, "%s: %s", p, a.Body)
				if i > 0 {
					assert.Equal(t, "HIT", a.XCache, "%s is the same entry", p)
				}
			}
			assert.EqualValues(t, 1, h.adapter.calls.Load()-before, "one adapter call for all spellings")
			ttl, err := h.rdb.PTTL(ctx, tc.key).Result()
			require.NoError(t, err)
			assert.InDelta(t, tc.redisTT.Seconds(), ttl.Seconds(), 2, "key %s expires after TTL + stale window", tc.key)
		})
	}
	// Every key the cache wrote has a TTL.
	keys, err := h.rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		ttl, err := h.rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, "key %s has no TTL", k)
	}
}

func TestValidationNeverReachesAdapter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tests := []struct {
		name  string
		path  string
		field string
	}{
		{name: "unknown league", path: "/v1/matches?league=xx9", field: "league"},
		{name: "unknown parameter", path: "/v1/matches?league=bl1&limit=5", field: "limit"},
		{name: "unknown parameter with odd bytes", path: "/v1/teams?%7B%7D=1", field: "query"},
		{name: "repeated parameter", path: "/v1/matches?league=bl1&league=bl2", field: "league"},
		{name: "season not a year", path: "/v1/matches?season=25", field: "season"},
		{name: "season out of range", path: "/v1/teams?season=3000", field: "season"},
		{name: "date not a date", path: "/v1/matches?date=2025-02-30", field: "date"},
		{name: "status not in enum", path: "/v1/matches?status=live", field: "status"},
		{name: "matchday zero", path: "/v1/matches?matchday=0", field: "matchday"},
		{name: "matchday too high", path: "/v1/matches?matchday=61", field: "matchday"},
		{name: "bad id", path: "/v1/matches/12345", field: "id"},
		{name: "id with key bytes", path: "/v1/matches/ol-1%7Bx%7D", field: "id"},
		{name: "leagues takes no parameters", path: "/v1/leagues?league=bl1", field: "league"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := get(t, h.URL, tc.path)
			assert.Equal(t, http.StatusBadRequest, a.Status)
			assert.Equal(t, envelope.CodeValidation, a.errorCode(t))
			assert.Contains(t, string(a.Body), `"field":"`+tc.field+`"`)
		})
	}
	t.Cleanup(func() { assert.Zero(t, h.adapter.calls.Load(), "no invalid request reaches the adapter") })
}

func TestColdKeyIsFetchedOncePerInstance(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.adapter.delay.Store(int64(100 * time.Millisecond))
	const n = 100
	var wg sync.WaitGroup
	results := make([]answer, n)
	for i := range n {
		wg.Go(func() { results[i] = get(t, h.URL, "/v1/teams?league=bl1&season=2025") })
	}
	wg.Wait()
	for _, a := range results {
		assert.Equal(t, http.StatusOK, a.Status)
		assert.EqualValues(t, 1, a.stub(t).Call)
	}
	assert.EqualValues(t, 1, h.adapter.calls.Load(), "exactly one adapter call for %d concurrent misses", n)
}

func TestColdKeyAcrossTwoInstances(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.adapter.delay.Store(int64(100 * time.Millisecond))
	other := startInstance(t, testEnv(map[string]string{"REDIS_URL": h.redis.URL()}, h.adapter.URL, nil), h.clock)
	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		base := h.URL
		if i%2 == 1 {
			base = other.URL
		}
		wg.Go(func() {
			a := get(t, base, "/v1/leagues")
			assert.Equal(t, http.StatusOK, a.Status)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, h.adapter.calls.Load(), int64(2), "two instances sharing Redis make at most two adapter calls")
	assert.Positive(t, h.adapter.calls.Load())
}

func TestStaleWhileRevalidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode string
	}{
		{name: "adapter hangs", mode: modeHang},
		{name: "adapter fails", mode: modeFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The adapter hangs far longer than the bound below: a stale answer that
			// waited for it would fail the bound.
			h := newHarness(t, nil)
			const path = "/v1/matches/sm-19134453"
			require.Equal(t, "MISS", get(t, h.URL, path).XCache)
			h.adapter.setMode(tc.mode)
			h.clock.Advance(125 * time.Second) // TTL 120 s, stale window 30 s

			start := time.Now()
			for range 5 {
				a := get(t, h.URL, path)
				assert.Equal(t, http.StatusOK, a.Status)
				assert.Equal(t, "STALE", a.XCache)
				assert.Equal(t, 125, a.Age)
				assert.EqualValues(t, 1, a.stub(t).Call)
			}
			assert.Less(t, time.Since(start), time.Second, "stale answers do not wait for the adapter (UPSTREAM_TIMEOUT 2s)")
			h.drain(t)
			assert.LessOrEqual(t, h.adapter.calls.Load(), int64(1+5), "at most one refresh in flight at a time")

			// The adapter recovers: the next stale serve refreshes the entry.
			h.adapter.setMode(modeOK)
			assert.Equal(t, "STALE", get(t, h.URL, path).XCache)
			h.drain(t)
			a := get(t, h.URL, path)
			assert.Equal(t, "HIT", a.XCache)
			assert.Equal(t, h.adapter.calls.Load(), a.stub(t).Call, "the refreshed entry is served")
		})
	}
}

func TestStaleIfError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    string
		maxWait time.Duration
	}{
		{name: "adapter answers 503", mode: modeFail, maxWait: 3 * time.Second},
		// Served after UPSTREAM_TIMEOUT (300 ms), well before CACHE_WAIT_TIMEOUT (5 s).
		{name: "adapter hangs until UPSTREAM_TIMEOUT", mode: modeHang, maxWait: 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, map[string]string{"UPSTREAM_TIMEOUT": "300ms", "CACHE_WAIT_TIMEOUT": "5s"})
			const path = "/v1/teams?league=bl1"
			require.Equal(t, "MISS", get(t, h.URL, path).XCache)
			h.adapter.setMode(tc.mode)
			// Beyond the stale-while-revalidate window, inside the stale-if-error one:
			// the cache asks the adapter first and falls back to the old copy.
			h.clock.Advance(time.Hour + 5*time.Minute)

			start := time.Now()
			a := get(t, h.URL, path)
			assert.Less(t, time.Since(start), tc.maxWait)
			assert.Equal(t, http.StatusOK, a.Status)
			assert.Equal(t, "STALE", a.XCache)
			assert.Equal(t, 3900, a.Age)
			assert.EqualValues(t, 1, a.stub(t).Call)
			assert.EqualValues(t, 2, h.adapter.calls.Load(), "the adapter was asked first")
		})
	}
}

func TestAdapterErrorsPassThroughWhenNothingIsCached(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mode   string
		status int
		code   envelope.Code
		// cachedAfterwards: a second request must reach the adapter again.
	}{
		{name: "503 passes through", mode: modeFail, status: http.StatusServiceUnavailable, code: envelope.CodeServiceUnavailable},
		{name: "404 passes through and is not cached", mode: modeNotFound, status: http.StatusNotFound, code: envelope.CodeNotFound},
		{name: "hang becomes UPSTREAM_TIMEOUT", mode: modeHang, status: http.StatusGatewayTimeout, code: envelope.CodeUpstreamTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, hangTimeout)
			h.adapter.setMode(tc.mode)
			for i := range 2 {
				a := get(t, h.URL, "/v1/matches/ol-404")
				assert.Equal(t, tc.status, a.Status)
				assert.Equal(t, tc.code, a.errorCode(t))
				assert.EqualValues(t, i+1, h.adapter.calls.Load(), "errors are never cached")
			}
		})
	}

	t.Run("adapter unreachable is UPSTREAM_ERROR", func(t *testing.T) {
		t.Parallel()
		r := redistest.Start(t)
		inst := startInstance(t, testEnv(map[string]string{"REDIS_URL": r.URL()}, "http://127.0.0.1:"+strconv.Itoa(proctest.FreePort(t)), nil), nil)
		a := get(t, inst.URL, "/v1/leagues")
		assert.Equal(t, http.StatusBadGateway, a.Status)
		assert.Equal(t, envelope.CodeUpstream, a.errorCode(t))
		assert.NotContains(t, string(a.Body), "127.0.0.1", "no internal address leaks")
	})
}

func TestNotFoundDropsStaleEntry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const path = "/v1/matches/ol-7"
	require.Equal(t, "MISS", get(t, h.URL, path).XCache)
	h.adapter.setMode(modeNotFound)
	h.clock.Advance(125 * time.Second)
	assert.Equal(t, "STALE", get(t, h.URL, path).XCache)
	h.drain(t)
	a := get(t, h.URL, path)
	assert.Equal(t, http.StatusNotFound, a.Status, "a match gone at the provider is not served from the old copy")
}

func TestLargeBodiesAreServedButNotCached(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.adapter.setMode(modeBig)
	for i := range 2 {
		a := get(t, h.URL, "/v1/leagues")
		assert.Equal(t, http.StatusOK, a.Status)
		assert.Equal(t, "MISS", a.XCache)
		assert.Greater(t, len(a.Body), 2048)
		assert.EqualValues(t, i+1, h.adapter.calls.Load())
	}
	n, err := h.rdb.Exists(t.Context(), "ft:cache:v1:{leagues}:all").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestTraceContextReachesAdapter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.URL+"/v1/leagues", nil)
	require.NoError(t, err)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tp := h.adapter.lastHeader().Get("traceparent")
	assert.True(t, strings.HasPrefix(tp, "00-"+traceID+"-"), "adapter got traceparent %q", tp)
}

func TestSpansForRedisAndAdapterCalls(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.URL+"/v1/matches/ol-1", nil)
	require.NoError(t, err)
	req.Header.Set("traceparent", "00-"+traceID+"-b7ad6b7169203331-01")
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var names []string
	eventually(t, 2*time.Second, func() bool {
		names = names[:0]
		for _, s := range spans.Ended() {
			if s.SpanContext().TraceID().String() == traceID {
				names = append(names, s.Name())
			}
		}
		return slices.Contains(names, "adapter GET /v1/matches/{id}") && slices.Contains(names, "mget") && slices.Contains(names, "/v1/matches/:id")
	}, "server, redis and adapter spans in one trace")
	assert.Contains(t, names, "set", "the store write is traced")
}

// A replica that finds another holding the refresh lock waits for that replica's
// answer instead of calling the adapter itself.
func TestSecondReplicaWaitsForTheFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"CACHE_WAIT_TIMEOUT": "5s"})
	other := startInstance(t, testEnv(map[string]string{"REDIS_URL": h.redis.URL()}, h.adapter.URL, map[string]string{"CACHE_WAIT_TIMEOUT": "5s"}), h.clock)
	gate := make(chan struct{})
	h.adapter.gate.Store(&gate)

	const path = "/v1/matches?league=bl2&season=2024"
	first := make(chan answer, 1)
	go func() { first <- get(t, h.URL, path) }()
	eventually(t, 5*time.Second, func() bool { return h.adapter.calls.Load() == 1 }, "the first replica is fetching")

	second := make(chan answer, 1)
	go func() { second <- get(t, other.URL, path) }()
	eventually(t, 5*time.Second, func() bool {
		return strings.Contains(metricsText(t, other.URL), `cache_requests_total{resource="matches",result="miss"} 1`)
	}, "the second replica has missed and is waiting")
	close(gate)

	a, b := <-first, <-second
	require.Equal(t, http.StatusOK, a.Status)
	require.Equal(t, http.StatusOK, b.Status)
	assert.Equal(t, a.Body, b.Body, "the second replica serves the first one's answer")
	assert.EqualValues(t, 1, h.adapter.calls.Load())
	assert.Contains(t, metricsText(t, other.URL), `cache_coalesced_waits_total{resource="matches",scope="remote"} 1`)
}

// The gateway keeps an answer only as long as Cache-Control allows: the entry's
// remaining freshness on HIT and MISS, never a STALE copy or a failure.
func TestCacheControlTellsRemainingFreshness(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const path = "/v1/matches?league=bl1&season=2025"

	miss := get(t, h.URL, path)
	require.Equal(t, http.StatusOK, miss.Status, "%s", miss.Body)
	assert.Equal(t, "MISS", miss.XCache)
	assert.Equal(t, "max-age=60", miss.CacheControl, "a fresh entry: the whole matches TTL")

	h.clock.Advance(45*time.Second + 500*time.Millisecond)
	hit := get(t, h.URL, path)
	assert.Equal(t, "HIT", hit.XCache)
	assert.Equal(t, "max-age=14", hit.CacheControl, "the remaining 14.5 s, rounded down")

	h.clock.Advance(14*time.Second + 300*time.Millisecond)
	last := get(t, h.URL, path)
	assert.Equal(t, "HIT", last.XCache)
	assert.Equal(t, "no-store", last.CacheControl, "under a second left: not worth keeping")

	h.clock.Advance(2 * time.Second)
	stale := get(t, h.URL, path)
	assert.Equal(t, "STALE", stale.XCache)
	assert.Equal(t, "no-store", stale.CacheControl)
	h.drain(t)

	h.adapter.setMode(modeNotFound)
	gone := get(t, h.URL, "/v1/matches/ol-404")
	assert.Equal(t, http.StatusNotFound, gone.Status)
	assert.Equal(t, "no-store", gone.CacheControl, "an upstream failure is never kept")

	bad := get(t, h.URL, "/v1/matches?league=nope")
	assert.Equal(t, http.StatusBadRequest, bad.Status)
	assert.Equal(t, "no-store", bad.CacheControl, "an error envelope is never kept")
}
