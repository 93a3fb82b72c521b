package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/limitconfig"

	"github.com/football-tracker/backend/hack/bench/internal/report"
	"github.com/football-tracker/backend/hack/bench/internal/wrk"
)

func TestCountErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		res        wrk.Result
		want       int
		wantN      int64
		wantDetail string
	}{
		{name: "a clean 200 run", res: wrk.Result{Requests: 100}, want: 200},
		{
			name: "non-2xx answers and socket errors on a 200 path",
			res:  wrk.Result{Errors: wrk.Errors{Status: 40, Timeout: 2, Connect: 1}},
			want: 200, wantN: 43, wantDetail: "connect×1, timeout×2, non-2xx×40",
		},
		{
			name: "only 429 on the limited path is clean, although wrk counts them as non-2xx",
			res:  wrk.Result{Errors: wrk.Errors{Status: 500}, Statuses: map[int]int64{429: 500}},
			want: 429,
		},
		{
			name: "anything but 429 on the limited path is an error",
			res:  wrk.Result{Errors: wrk.Errors{Status: 500, Read: 1}, Statuses: map[int]int64{200: 1, 401: 9, 429: 490}},
			want: 429, wantN: 11, wantDetail: "read×1, 200×1, 401×9",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, detail := countErrors(tt.res, tt.want)
			assert.Equal(t, tt.wantN, n)
			assert.Equal(t, tt.wantDetail, detail)
		})
	}
}

func TestParseCounter(t *testing.T) {
	t.Parallel()
	text := []byte(`# HELP cache_requests_total Cache lookups.
# TYPE cache_requests_total counter
cache_requests_total{resource="matches",result="hit"} 1500
cache_requests_total{resource="teams",result="hit"} 2
cache_requests_total{resource="matches",result="miss"} 3 1733250000000
cache_requests_total_other{result="hit"} 99
cache_requests_total{resource="matches",result="stale"} not-a-number
`)
	assert.Equal(t, map[string]float64{"hit": 1502, "miss": 3}, parseCounter(text, "cache_requests_total", "result"))
}

func TestDescribeLookups(t *testing.T) {
	t.Parallel()
	got := describeLookups(map[string]float64{"hit": 10}, map[string]float64{"hit": 110, "miss": 100}, 400)
	assert.Equal(t, "cache service lookups for 400 requests: hit 100, miss 100 (0.50 per request)", got)
	assert.Equal(t, "the cache service saw no lookups for 5 requests", describeLookups(nil, map[string]float64{}, 5))
}

func TestDescribeAdapterCalls(t *testing.T) {
	t.Parallel()
	got := describeAdapterCalls(map[string]float64{"ok": 5}, map[string]float64{"ok": 105, "timeout": 1}, 1000)
	assert.Equal(t, "cache → adapter calls for 1000 requests: ok 100, timeout 1 (0.101 per request; concurrent misses of one key share one call)", got)
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			assert.Equal(t, 64, c.connections)
			assert.Equal(t, 2, c.threads)
			assert.True(t, c.write)
		}},
		{name: "a shorter run", args: []string{"-duration", "3s", "-warmup", "0s"}, check: func(t *testing.T, c config) {
			assert.Equal(t, 3*time.Second, c.duration)
			assert.Zero(t, c.warmup)
		}},
		{name: "a duration below a second", args: []string{"-duration", "500ms"}, wantErr: true},
		{name: "not a duration", args: []string{"-duration", "ten"}, wantErr: true},
		{name: "more threads than connections", args: []string{"-connections", "2", "-threads", "4"}, wantErr: true},
		{name: "no connections", args: []string{"-connections", "0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// parseFlags reads BENCH_* defaults from the environment; these cases give
			// flags only and the test environment sets none of them.
			t.Parallel()
			c, err := parseFlags(tt.args)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestLoadWarning(t *testing.T) {
	t.Parallel()
	assert.Empty(t, loadWarning(report.Machine{Cores: 2, LoadAvg: "0.40 0.3 0.2"}))
	assert.Contains(t, loadWarning(report.Machine{Cores: 2, LoadAvg: "3.10 2.0 1.0"}), "load average 3.10 on 2 cores")
	assert.Empty(t, loadWarning(report.Machine{Cores: 2}), "an unknown load is no warning")
}

func TestWriteClientFiles(t *testing.T) {
	t.Parallel()
	s := &services{dir: t.TempDir()}
	limits, creds, err := s.writeClientFiles()
	require.NoError(t, err)
	// The gateway reads both with pkg/limitconfig: they must parse there.
	rawLimits, err := os.ReadFile(limits)
	require.NoError(t, err)
	cfg, err := limitconfig.Parse(rawLimits)
	require.NoError(t, err)
	assert.Equal(t, limitconfig.Limits{PerMinute: 1, PerDay: 1}, cfg.Effective(cfg.Clients[clientLimited]))
	assert.Equal(t, limitconfig.Limits{PerMinute: limitconfig.MaxPerMinute, PerDay: limitconfig.MaxPerDay}, cfg.Effective(cfg.Clients[clientHit]))

	rawCreds, err := os.ReadFile(creds)
	require.NoError(t, err)
	hashes, err := limitconfig.ParseCredentials(rawCreds)
	require.NoError(t, err)
	require.Len(t, hashes, 3)
	for name, hash := range hashes {
		assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte(s.passwords[name])), name)
	}
}
