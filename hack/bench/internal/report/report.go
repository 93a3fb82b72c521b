// Package report holds what one `make bench` run measured, checks it against the
// performance targets and renders it as the Markdown table that is printed and kept
// under bench/results/.
package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind says which path a scenario exercises; the targets refer to kinds.
type Kind string

// The scenarios of a run, in the order they run.
const (
	Baseline Kind = "baseline"
	Hit      Kind = "hit"
	Miss     Kind = "miss"
	Limited  Kind = "limited"
)

// The targets, on the benchmark machine, in one run.
const (
	MinHitRatio    = 0.4
	MaxGatewayCPU  = 80.0 // µs per request on a cache hit
	MaxP99         = 50 * time.Millisecond
	MaxServiceRSS  = 64 << 20
	gatewayProcess = "gateway"
	mebibyte       = 1 << 20
	notMeasured    = "not measured"
)

// Services are the processes whose memory the targets bound.
var Services = []string{"gateway", "cache", "provider-adapter"}

// Machine describes where and with what the run happened.
type Machine struct {
	Date         time.Time
	Cores        int
	CPUModel     string
	LoadAvg      string
	GoVersion    string
	WrkVersion   string
	RedisVersion string
	GitSHA       string
	GitDirty     bool
	// GatewayDeps are the versions of the gateway's hot-path modules.
	GatewayDeps string
	// Load is the load generator's settings, e.g. "wrk -t2 -c64 -d10s --latency".
	Load        string
	Warmup      time.Duration
	Connections int
	// Profiled says the gateway carried a loopback pprof listener (-profile).
	Profiled bool
}

// Scenario is one measured path.
type Scenario struct {
	Kind Kind
	Name string
	// Request is what was sent, e.g. "GET /api/v1/matches?league=bl1&season=2023".
	Request string
	// Skipped says why the scenario was not measured; empty when it was.
	Skipped string

	Requests int64
	Duration time.Duration
	P50, P99 time.Duration
	// Errors counts answers other than the expected status, and socket errors.
	Errors int64
	// ErrorDetail breaks Errors down, e.g. "404×1200, timeout×3".
	ErrorDetail string
	// CPU is CPU time per completed request, in µs, by process name.
	CPU map[string]float64
	// RSS is the peak resident set during the run, in bytes, by process name.
	RSS map[string]uint64
	// Notes are facts a reader needs to interpret the row.
	Notes []string
}

// RPS is completed requests per second.
func (s Scenario) RPS() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Duration.Seconds()
}

// Measured reports whether the scenario ran.
func (s Scenario) Measured() bool { return s.Skipped == "" && s.Requests > 0 }

// Report is a whole run.
type Report struct {
	Machine Machine
	// Processes are the CPU columns, in order.
	Processes []string
	Scenarios []Scenario
	// Warnings are problems of the run itself (a step that failed, a loaded machine).
	Warnings []string
	// Profile is `go tool pprof -top` of the gateway on the hit path, with -profile.
	Profile string
}

func (r Report) scenario(k Kind) (Scenario, bool) {
	i := slices.IndexFunc(r.Scenarios, func(s Scenario) bool { return s.Kind == k })
	if i < 0 {
		return Scenario{}, false
	}
	return r.Scenarios[i], true
}

// Check is one target and whether the run met it.
type Check struct {
	ID       string
	Target   string
	Measured string
	Met      bool
	// Kinds are the scenarios the target is about.
	Kinds []Kind
}

// Checks evaluates every target. A target whose scenario was not measured is missed.
func (r Report) Checks() []Check {
	base, baseOK := r.scenario(Baseline)
	hit, hitOK := r.scenario(Hit)
	lim, limOK := r.scenario(Limited)
	baseOK = baseOK && base.Measured()
	hitOK = hitOK && hit.Measured()
	limOK = limOK && lim.Measured()

	var checks []Check

	ratio := Check{ID: "ratio", Target: fmt.Sprintf("cache hit ≥ %.1f× the baseline's req/s", MinHitRatio), Measured: notMeasured, Kinds: []Kind{Hit}}
	if baseOK && hitOK && base.RPS() > 0 {
		q := hit.RPS() / base.RPS()
		ratio.Measured = fmt.Sprintf("%.2f× (%s / %s req/s)", q, formatRPS(hit.RPS()), formatRPS(base.RPS()))
		ratio.Met = q >= MinHitRatio
	}
	checks = append(checks, ratio)

	cpu := Check{ID: "cpu", Target: fmt.Sprintf("gateway CPU ≤ %.0f µs per request on a cache hit", MaxGatewayCPU), Measured: notMeasured, Kinds: []Kind{Hit}}
	if v, ok := hit.CPU[gatewayProcess]; hitOK && ok {
		cpu.Measured = formatMicros(v)
		cpu.Met = v <= MaxGatewayCPU
	}
	checks = append(checks, cpu)

	p99 := Check{ID: "p99", Target: fmt.Sprintf("cache hit p99 ≤ %d ms at %d connections", MaxP99.Milliseconds(), r.Machine.Connections), Measured: notMeasured, Kinds: []Kind{Hit}}
	if hitOK {
		p99.Measured = formatLatency(hit.P99)
		p99.Met = hit.P99 <= MaxP99
	}
	checks = append(checks, p99)

	rss := Check{ID: "rss", Target: fmt.Sprintf("each service ≤ %d MiB RSS under load", MaxServiceRSS/mebibyte), Measured: notMeasured, Kinds: []Kind{Hit, Miss, Limited}}
	if peaks, ok := r.servicePeaks(); ok {
		parts := make([]string, 0, len(Services))
		rss.Met = true
		for _, svc := range Services {
			parts = append(parts, svc+" "+formatMiB(peaks[svc]))
			rss.Met = rss.Met && peaks[svc] <= MaxServiceRSS
		}
		rss.Measured = "peak " + strings.Join(parts, ", ")
	}
	checks = append(checks, rss)

	errs := Check{ID: "errors", Target: "no errors (the 429 path: no answer other than 429)", Met: true, Kinds: []Kind{Baseline, Hit, Miss, Limited}}
	var bad []string
	for _, s := range r.Scenarios {
		switch {
		case !s.Measured():
			bad = append(bad, s.Name+": "+notMeasured)
		case s.Errors > 0:
			bad = append(bad, fmt.Sprintf("%s: %d (%s)", s.Name, s.Errors, s.ErrorDetail))
		}
	}
	if len(r.Scenarios) == 0 {
		bad = append(bad, notMeasured)
	}
	if len(bad) > 0 {
		errs.Met = false
		errs.Measured = strings.Join(bad, "; ")
	} else {
		errs.Measured = "0 in every scenario"
	}
	checks = append(checks, errs)

	cheaper := Check{ID: "429", Target: "a 429 costs the gateway less CPU than a cache hit", Measured: notMeasured, Kinds: []Kind{Limited}}
	lv, lok := lim.CPU[gatewayProcess]
	hv, hok := hit.CPU[gatewayProcess]
	if limOK && hitOK && lok && hok {
		cheaper.Measured = fmt.Sprintf("%s vs %s", formatMicros(lv), formatMicros(hv))
		cheaper.Met = lv < hv
	}
	checks = append(checks, cheaper)
	return checks
}

// servicePeaks is each service's largest RSS over the scenarios that load it.
func (r Report) servicePeaks() (map[string]uint64, bool) {
	peaks := map[string]uint64{}
	found := false
	for _, s := range r.Scenarios {
		if s.Kind == Baseline || !s.Measured() {
			continue
		}
		for _, svc := range Services {
			if v, ok := s.RSS[svc]; ok {
				peaks[svc] = max(peaks[svc], v)
				found = true
			}
		}
	}
	return peaks, found
}

// Met reports whether every target was met.
func (r Report) Met() bool {
	for _, c := range r.Checks() {
		if !c.Met {
			return false
		}
	}
	return true
}

// targetsOf summarises the checks about one scenario for its row. Errors and memory
// are judged on the row's own figures; the other targets concern one scenario each.
func targetsOf(checks []Check, s Scenario) string {
	var missed []string
	n := 0
	for _, c := range checks {
		if !slices.Contains(c.Kinds, s.Kind) {
			continue
		}
		n++
		met := c.Met
		switch c.ID {
		case "errors":
			met = s.Errors == 0
		case "rss":
			met = true
			for _, svc := range Services {
				met = met && s.RSS[svc] <= MaxServiceRSS
			}
		}
		if !met {
			missed = append(missed, c.ID)
		}
	}
	switch {
	case n == 0:
		return "–"
	case len(missed) == 0:
		return "met"
	default:
		return "missed: " + strings.Join(missed, ", ")
	}
}

// Markdown renders the report.
func (r Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# `make bench` results, %s\n\n", m.Date.UTC().Format("2006-01-02 15:04 UTC"))
	git := m.GitSHA
	if m.GitDirty {
		git += " (with uncommitted changes)"
	}
	b.WriteString("| | |\n|---|---|\n")
	row(&b, "date", m.Date.UTC().Format(time.RFC3339))
	row(&b, "commit", git)
	row(&b, "machine", fmt.Sprintf("%d cores (nproc), %s", m.Cores, m.CPUModel))
	row(&b, "load average before the run", m.LoadAvg)
	row(&b, "Go", m.GoVersion)
	row(&b, "load generator", fmt.Sprintf("%s: `%s`, %s warm-up per scenario", m.WrkVersion, m.Load, formatDuration(m.Warmup)))
	row(&b, "redis-server", m.RedisVersion)
	row(&b, "gateway built with", m.GatewayDeps)
	if m.Profiled {
		row(&b, "profiling", "the gateway carried an idle loopback pprof listener; its profile comes from an extra, unmeasured hit-path run")
	}
	b.WriteString("\n")

	checks := r.Checks()
	base, baseOK := r.scenario(Baseline)
	baseOK = baseOK && base.Measured() && base.RPS() > 0

	b.WriteString("## Throughput and latency\n\n")
	b.WriteString("| scenario | request | req/s | × baseline | p50 | p99 | errors | targets |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|---|\n")
	for _, s := range r.Scenarios {
		if !s.Measured() {
			fmt.Fprintf(&b, "| %s | %s | – | – | – | – | – | %s: %s |\n", s.Name, code(s.Request), notMeasured, orDash(s.Skipped))
			continue
		}
		ratio := "–"
		if baseOK {
			ratio = fmt.Sprintf("%.2f×", s.RPS()/base.RPS())
		}
		errs := strconv.FormatInt(s.Errors, 10)
		if s.Errors > 0 {
			errs += " (" + s.ErrorDetail + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Name, code(s.Request), formatRPS(s.RPS()), ratio,
			formatLatency(s.P50), formatLatency(s.P99), errs, targetsOf(checks, s))
	}

	b.WriteString("\n## CPU per request (µs) and peak RSS (MiB)\n\n")
	b.WriteString("CPU is user+system time of each process over the measured run divided by the requests wrk completed; ")
	b.WriteString("`wrk` itself shares the same cores.\n\n")
	b.WriteString("| scenario |")
	for _, p := range r.Processes {
		fmt.Fprintf(&b, " CPU %s |", p)
	}
	for _, svc := range Services {
		fmt.Fprintf(&b, " RSS %s |", svc)
	}
	b.WriteString("\n|---|" + strings.Repeat("--:|", len(r.Processes)+len(Services)) + "\n")
	for _, s := range r.Scenarios {
		if !s.Measured() {
			continue
		}
		fmt.Fprintf(&b, "| %s |", s.Name)
		for _, p := range r.Processes {
			v, ok := s.CPU[p]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %s |", strconv.FormatFloat(math.Round(v), 'f', 0, 64))
		}
		for _, svc := range Services {
			v, ok := s.RSS[svc]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %.1f |", float64(v)/mebibyte)
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## Targets\n\n| target | measured | |\n|---|---|---|\n")
	for _, c := range checks {
		verdict := "met"
		if !c.Met {
			verdict = "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Target, c.Measured, verdict)
	}

	var notes []string
	for _, s := range r.Scenarios {
		for _, n := range s.Notes {
			notes = append(notes, s.Name+": "+n)
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range notes {
			b.WriteString("* " + n + "\n")
		}
	}
	if r.Profile != "" {
		b.WriteString("\n## Gateway CPU profile, cache-hit path\n\n")
		b.WriteString("`go tool pprof -top -nodecount=25`, recorded during an extra, unmeasured run of the hit path:\n\n```text\n")
		b.WriteString(r.Profile + "\n```\n")
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\n## Warnings\n\n")
		for _, w := range r.Warnings {
			b.WriteString("* " + w + "\n")
		}
	}
	return b.String()
}

func row(b *strings.Builder, k, v string) { fmt.Fprintf(b, "| %s | %s |\n", k, orDash(v)) }

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func code(s string) string {
	if s == "" {
		return "–"
	}
	return "`" + s + "`"
}

// formatRPS writes a rate with thousands separators: 12,345.
func formatRPS(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}

// formatLatency keeps three significant figures or so: 0.84 ms, 12.3 ms, 250 ms.
func formatLatency(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	default:
		return fmt.Sprintf("%.0f ms", ms)
	}
}

func formatMicros(v float64) string { return fmt.Sprintf("%.0f µs", v) }

func formatMiB(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/mebibyte) }

func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "no"
	}
	return d.String()
}
