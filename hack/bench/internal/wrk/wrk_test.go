package wrk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		want    Result
		wantErr error
	}{
		{
			name: "a clean run",
			file: "hit.txt",
			want: Result{
				Requests: 136412, Duration: 10002188 * time.Microsecond, Bytes: 2910215331,
				P50: 4321 * time.Microsecond, P90: 7052 * time.Microsecond, P99: 11883 * time.Microsecond, Max: 48021 * time.Microsecond,
			},
		},
		{
			name: "a run counting statuses, with socket errors",
			file: "limited.txt",
			want: Result{
				Requests: 250000, Duration: 10 * time.Second, Bytes: 94500000,
				Errors: Errors{Read: 2, Timeout: 1, Status: 250000},
				P50:    2010 * time.Microsecond, P90: 4 * time.Millisecond, P99: 6400 * time.Microsecond, Max: 30100 * time.Microsecond,
				Statuses: map[int]int64{429: 249990, 500: 10},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			got, err := Parse(string(raw))
			require.NoError(t, err)
			tt.want.Output = string(raw)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRefusesBrokenOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		out  string
	}{
		{name: "no summary (wrk could not start)", out: "unable to connect to 127.0.0.1:1 Connection refused\n"},
		{name: "a field missing", out: "bench-summary requests=1 duration_us=1\n"},
		{name: "a field not a number", out: "bench-summary requests=x duration_us=1 bytes=1 connect=0 read=0 write=0 status=0 timeout=0 p50_us=1 p90_us=1 p99_us=1 max_us=1\n"},
		{name: "a malformed status line", out: "bench-status 429\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.out)
			require.Error(t, err)
		})
	}
	_, err := Parse("Running 1s test\n")
	require.ErrorIs(t, err, ErrNoSummary)
}

func TestResultRPS(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 13638.2, Result{Requests: 136382, Duration: 10 * time.Second}.RPS(), 0.01)
	assert.Zero(t, Result{Requests: 5}.RPS(), "no duration, no rate")
}

func TestArgs(t *testing.T) {
	t.Parallel()
	o := Options{
		URL: "http://127.0.0.1:1/x", Threads: 2, Connections: 64, Duration: 2500 * time.Millisecond,
		Timeout: 5 * time.Second, Headers: []string{"Authorization: Bearer t"},
	}
	assert.Equal(t,
		"-t 2 -c 64 -d 3s --latency -s /s.lua --timeout 5s -H Authorization: Bearer t http://127.0.0.1:1/x",
		strings.Join(o.Args("/s.lua"), " "))
	o.Duration = 100 * time.Millisecond
	assert.Contains(t, o.Args("/s.lua"), "1s", "wrk runs whole seconds, at least one")
}
