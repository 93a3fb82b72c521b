package report

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scenarios(mutate func(map[Kind]*Scenario)) []Scenario {
	byKind := map[Kind]*Scenario{
		Baseline: {
			Kind: Baseline, Name: "baseline", Request: "GET /x", Requests: 300_000, Duration: 10 * time.Second,
			P50: time.Millisecond, P99: 3 * time.Millisecond, CPU: map[string]float64{"baseline": 30, "wrk": 12},
		},
		Hit: {
			Kind: Hit, Name: "cache hit", Request: "GET /x", Requests: 150_000, Duration: 10 * time.Second,
			P50: 3 * time.Millisecond, P99: 12 * time.Millisecond,
			CPU: map[string]float64{"gateway": 70, "cache": 20, "redis": 5},
			RSS: map[string]uint64{"gateway": 30 << 20, "cache": 20 << 20, "provider-adapter": 15 << 20},
		},
		Miss: {
			Kind: Miss, Name: "cache miss", Request: "GET /y", Requests: 20_000, Duration: 10 * time.Second,
			P50: 20 * time.Millisecond, P99: 90 * time.Millisecond,
			CPU: map[string]float64{"gateway": 90, "cache": 60, "provider-adapter": 200},
			RSS: map[string]uint64{"gateway": 31 << 20, "cache": 22 << 20, "provider-adapter": 40 << 20},
		},
		Limited: {
			Kind: Limited, Name: "rate limited (429)", Request: "GET /x", Requests: 250_000, Duration: 10 * time.Second,
			P50: 2 * time.Millisecond, P99: 8 * time.Millisecond,
			CPU: map[string]float64{"gateway": 40, "redis": 6},
			RSS: map[string]uint64{"gateway": 32 << 20, "cache": 20 << 20, "provider-adapter": 40 << 20},
		},
	}
	if mutate != nil {
		mutate(byKind)
	}
	return []Scenario{*byKind[Baseline], *byKind[Hit], *byKind[Miss], *byKind[Limited]}
}

func checksByID(r Report) map[string]Check {
	out := map[string]Check{}
	for _, c := range r.Checks() {
		out[c.ID] = c
	}
	return out
}

func TestChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(map[Kind]*Scenario)
		missed []string
	}{
		{name: "every target met"},
		{
			name:   "the hit path below 0.4× the baseline",
			mutate: func(s map[Kind]*Scenario) { s[Hit].Requests = 110_000 },
			missed: []string{"ratio"},
		},
		{
			name:   "gateway CPU over 80 µs on a hit",
			mutate: func(s map[Kind]*Scenario) { s[Hit].CPU["gateway"] = 92 },
			missed: []string{"cpu"},
		},
		{
			name:   "p99 over 50 ms",
			mutate: func(s map[Kind]*Scenario) { s[Hit].P99 = 51 * time.Millisecond },
			missed: []string{"p99"},
		},
		{
			name:   "a service over 64 MiB in any loaded scenario",
			mutate: func(s map[Kind]*Scenario) { s[Miss].RSS["provider-adapter"] = 65 << 20 },
			missed: []string{"rss"},
		},
		{
			name:   "errors in one scenario",
			mutate: func(s map[Kind]*Scenario) { s[Miss].Errors, s[Miss].ErrorDetail = 3, "502×3" },
			missed: []string{"errors"},
		},
		{
			name:   "a 429 as dear as a hit",
			mutate: func(s map[Kind]*Scenario) { s[Limited].CPU["gateway"] = 70 },
			missed: []string{"429"},
		},
		{
			name: "the hit path not measured misses every target about it",
			mutate: func(s map[Kind]*Scenario) {
				s[Hit].Skipped, s[Hit].Requests = "gateway died", 0
			},
			missed: []string{"ratio", "cpu", "p99", "errors", "429"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Report{Machine: Machine{Connections: 64}, Scenarios: scenarios(tt.mutate)}
			var missed []string
			for _, c := range r.Checks() {
				if !c.Met {
					missed = append(missed, c.ID)
				}
			}
			assert.Equal(t, tt.missed, missed)
			assert.Equal(t, len(tt.missed) == 0, r.Met())
		})
	}
}

func TestChecksMeasuredValues(t *testing.T) {
	t.Parallel()
	c := checksByID(Report{Machine: Machine{Connections: 64}, Scenarios: scenarios(nil)})
	assert.Equal(t, "0.50× (15,000 / 30,000 req/s)", c["ratio"].Measured)
	assert.Equal(t, "70 µs", c["cpu"].Measured)
	assert.Equal(t, "12.0 ms", c["p99"].Measured)
	assert.Equal(t, "peak gateway 32.0 MiB, cache 22.0 MiB, provider-adapter 40.0 MiB", c["rss"].Measured)
	assert.Equal(t, "40 µs vs 70 µs", c["429"].Measured)
	assert.Contains(t, c["p99"].Target, "64 connections")
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	r := Report{
		Machine: Machine{
			Date: time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC), Cores: 2, CPUModel: "Test CPU", LoadAvg: "0.10 0.20 0.30",
			GoVersion: "go1.26.8", WrkVersion: "wrk 4.1.0", RedisVersion: "7.0.15", GitSHA: "abc1234", GitDirty: true,
			Load: "wrk -t2 -c64 -d10s --latency", Warmup: 2 * time.Second, Connections: 64,
		},
		Processes: []string{"gateway", "cache", "wrk"},
		Scenarios: scenarios(func(s map[Kind]*Scenario) {
			s[Miss].Errors, s[Miss].ErrorDetail = 3, "502×3"
			s[Miss].Notes = []string{"12 provider calls"}
		}),
		Warnings: []string{"something failed"},
	}
	md := r.Markdown()
	for _, want := range []string{
		"| commit | abc1234 (with uncommitted changes) |",
		"| machine | 2 cores (nproc), Test CPU |",
		"| baseline | `GET /x` | 30,000 | 1.00× | 1.00 ms | 3.00 ms | 0 | met |",
		"| cache hit | `GET /x` | 15,000 | 0.50× | 3.00 ms | 12.0 ms | 0 | met |",
		"| cache miss | `GET /y` | 2,000 | 0.07× | 20.0 ms | 90.0 ms | 3 (502×3) | missed: errors |",
		"| scenario | CPU gateway | CPU cache | CPU wrk | RSS gateway | RSS cache | RSS provider-adapter |",
		"| cache hit | 70 | 20 | – | 30.0 | 20.0 | 15.0 |",
		"| no errors (the 429 path: no answer other than 429) | cache miss: 3 (502×3) | **missed** |",
		"* cache miss: 12 provider calls",
		"* something failed",
	} {
		assert.Contains(t, md, want)
	}
	require.Equal(t, 1, strings.Count(md, "## Warnings"))
}

func TestMarkdownSkippedScenario(t *testing.T) {
	t.Parallel()
	r := Report{Scenarios: []Scenario{{Kind: Miss, Name: "cache miss", Request: "GET /y", Skipped: "the cache did not restart"}}}
	assert.Contains(t, r.Markdown(), "| cache miss | `GET /y` | – | – | – | – | – | not measured: the cache did not restart |")
}

func TestFormatRPS(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0", 999.4: "999", 1000: "1,000", 32768.6: "32,769", 1234567: "1,234,567"} {
		assert.Equal(t, want, formatRPS(in), "%v", in)
	}
}

func TestMarkdownProfile(t *testing.T) {
	t.Parallel()
	r := Report{Machine: Machine{Profiled: true}, Profile: "flat  flat%\n0.20s 19.42%  runtime.futex"}
	md := r.Markdown()
	assert.Contains(t, md, "| profiling | the gateway carried an idle loopback pprof listener")
	assert.Contains(t, md, "## Gateway CPU profile, cache-hit path")
	assert.Contains(t, md, "```text\nflat  flat%\n0.20s 19.42%  runtime.futex\n```\n")
	assert.NotContains(t, Report{}.Markdown(), "## Gateway CPU profile", "no profile, no section")
}
