package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/football-tracker/backend/hack/bench/internal/procstat"
	"github.com/football-tracker/backend/hack/bench/internal/report"
	"github.com/football-tracker/backend/hack/bench/internal/stack"
	"github.com/football-tracker/backend/hack/bench/internal/wrk"
)

// fallbackBodySize is the baseline's body when the gateway gives no cache-hit answer to
// size it by: the 20 KB of the reference measurements.
const fallbackBodySize = 20 * 1024

// processes are the CPU columns of the report, in order.
var processes = []string{"gateway", "cache", "provider-adapter", "redis", "providerstub", "baseline", "wrk"}

func run(ctx context.Context, cfg config) error {
	rep := report.Report{Processes: processes, Machine: describeMachine(ctx, cfg)}
	if load := loadWarning(rep.Machine); load != "" {
		rep.Warnings = append(rep.Warnings, load)
		fmt.Fprintln(os.Stderr, "bench: warning: "+load)
	}

	dir, err := os.MkdirTemp("", "football-tracker-bench-")
	if err != nil {
		return fmt.Errorf("creating the log folder: %w", err)
	}
	st := stack.New(dir)
	// Every way out stops what was started; Pdeathsig covers a harness killed hard.
	defer st.StopAll(stopGrace)

	svc := &services{stack: st, dir: dir, binDir: cfg.binDir, level: cfg.logLevel}
	if cfg.profile {
		fmt.Fprintln(os.Stderr, "bench: building the gateway with a pprof listener (-profile)")
		if svc.gatewayBin, err = buildProfiledGateway(ctx, dir); err != nil {
			return failStep("build the profiled gateway", nil, err)
		}
		port, err := stack.FreePort()
		if err != nil {
			return failStep("find a free port", nil, err)
		}
		svc.pprofAddr = stack.Addr(port)
		rep.Machine.Profiled = true
	}
	fmt.Fprintf(os.Stderr, "bench: logs in %s\n", dir)
	fmt.Fprintln(os.Stderr, "bench: starting redis-server, the provider stub, provider-adapter, cache and gateway")
	if err := svc.start(ctx); err != nil {
		return err
	}

	b := &bench{cfg: cfg, svc: svc, rep: &rep, ticks: procstat.ClockTicks(ctx)}
	if err := b.scenarios(ctx); err != nil {
		return err
	}
	st.StopAll(stopGrace)

	md := rep.Markdown()
	fmt.Println(md)
	if cfg.write {
		path, err := writeResults(cfg.resultsDir, rep.Machine, md)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: results written to %s\n", path)
		if len(b.profile) > 0 {
			dst := strings.TrimSuffix(path, ".md") + "-gateway-hit.pprof"
			if err := os.WriteFile(dst, b.profile, 0o600); err != nil {
				return fmt.Errorf("writing the profile: %w", err)
			}
			fmt.Fprintf(os.Stderr, "bench: gateway profile written to %s (go tool pprof -top %s)\n", dst, dst)
		}
	}
	problems := len(rep.Warnings)
	for _, s := range rep.Scenarios {
		if !s.Measured() || s.Errors > 0 {
			problems++
		}
	}
	if !rep.Met() {
		fmt.Fprintln(os.Stderr, "bench: some targets were missed (see the Targets table)")
	}
	if problems > 0 && !onlyLoadWarning(rep) {
		fmt.Fprintf(os.Stderr, "bench: the logs are kept in %s\n", dir)
		return fmt.Errorf("%d problem(s) in the run: see Warnings and the errors column", problems)
	}
	if !cfg.keepLogs {
		_ = os.RemoveAll(dir)
	}
	return nil
}

// onlyLoadWarning: a busy machine is worth a warning, not a failed run.
func onlyLoadWarning(rep report.Report) bool {
	for _, s := range rep.Scenarios {
		if !s.Measured() || s.Errors > 0 {
			return false
		}
	}
	return len(rep.Warnings) == 1 && strings.HasPrefix(rep.Warnings[0], loadWarningPrefix)
}

func writeResults(dir string, m report.Machine, md string) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	sha := m.GitSHA
	if sha == "" {
		sha = "nogit"
	}
	path := filepath.Join(dir, m.Date.UTC().Format("2006-01-02")+"-"+sha+".md")
	if err := os.WriteFile(path, []byte(md), 0o600); err != nil {
		return "", fmt.Errorf("writing the results: %w", err)
	}
	return path, nil
}

// bench runs the scenarios against a started stack.
type bench struct {
	cfg   config
	svc   *services
	rep   *report.Report
	ticks uint64
	// profile is the gateway's CPU profile of the hit path, with -profile.
	profile []byte
}

// warn records a failed step that does not stop the run, with the log tail of the
// process concerned, on stderr and in the report.
func (b *bench) warn(step string, p *stack.Proc, err error) {
	e := &stepError{step: step, proc: p, err: err}
	fmt.Fprintln(os.Stderr, "bench: "+e.Error())
	b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf("step %q failed: %v", step, err))
}

// skip records a scenario that could not be measured.
func (b *bench) skip(kind report.Kind, name, request, why string) {
	b.rep.Scenarios = append(b.rep.Scenarios, report.Scenario{Kind: kind, Name: name, Request: request, Skipped: why})
}

func (b *bench) scenarios(ctx context.Context) error {
	svc := b.svc
	tokens := map[string]string{}
	for _, c := range []string{clientHit, clientMiss, clientLimited} {
		tok, err := login(ctx, svc.gatewayURL, c, svc.passwords[c])
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The run goes on: the scenarios then measure the gateway's refusal, and the
			// errors column says so.
			b.warn("log in as "+c, svc.gateway, err)
		}
		tokens[c] = tok
	}

	size, err := b.hitAnswerSize(ctx, tokens[clientHit])
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.warn("size the cache-hit answer", svc.gateway, err)
	}
	if err := svc.startBaseline(ctx, size); err != nil {
		return err
	}

	// 1. The ceiling: the same request, answered by a bare fiber app.
	if err := b.measure(ctx, scenario{
		kind: report.Baseline, name: "baseline (bare fiber)",
		base: svc.baseURL, path: hitPath, token: tokens[clientHit], status: http.StatusOK,
		note: fmt.Sprintf("a fixed %d-byte JSON body", size),
	}); err != nil {
		return err
	}

	// 2. The cache-hit path: token checked, both windows checked, data from the cache.
	if err := b.measure(ctx, scenario{
		kind: report.Hit, name: "cache hit",
		base: svc.gatewayURL, path: hitPath, token: tokens[clientHit], status: http.StatusOK,
		cacheLookups: true,
	}); err != nil {
		return err
	}
	if b.cfg.profile {
		// After the measured hit run and before the cache restart: the profile sees the
		// same path, and profiling never overlaps a measurement.
		raw, top, err := b.profileHit(ctx, tokens[clientHit])
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.warn("profile the gateway on the hit path", svc.gateway, err)
		}
		b.profile, b.rep.Profile = raw, top
	}

	// 3. The cache-miss path: the cache restarted with a 1 ms TTL and no stale windows,
	// asked for a query the hit scenario never cached.
	svc.cache.Stop(stopGrace)
	if err := svc.startCache(ctx, map[string]string{
		"CACHE_TTL_MATCHES":        "1ms",
		"CACHE_STALE_TTL":          "0",
		"CACHE_STALE_IF_ERROR_TTL": "0",
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.warn("restart the cache with a 1 ms TTL", svc.cache, err)
		b.skip(report.Miss, "cache miss", "GET "+missPath, "the cache did not restart")
	} else if err := b.waitGatewayUsesCache(ctx, tokens[clientMiss]); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.warn("wait for the gateway to use the restarted cache", svc.gateway, err)
		b.skip(report.Miss, "cache miss", "GET "+missPath, "the gateway kept bypassing the restarted cache")
	} else if err := b.measure(ctx, scenario{
		kind: report.Miss, name: "cache miss",
		base: svc.gatewayURL, path: missPath, token: tokens[clientMiss], status: http.StatusOK,
		cacheLookups: true, upstreamCalls: true,
	}); err != nil {
		return err
	}

	// 4. The limited path: the limited client's windows are spent before the run.
	if err := b.exhaust(ctx, tokens[clientLimited]); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.warn("spend the limited client's windows", svc.gateway, err)
	}
	return b.measure(ctx, scenario{
		kind: report.Limited, name: "rate limited (429)",
		base: svc.gatewayURL, path: hitPath, token: tokens[clientLimited], status: http.StatusTooManyRequests,
	})
}

// hitAnswerSize asks the hit path twice (the first fills the cache) and returns the
// size of the second answer, the cache-hit answer the baseline imitates.
func (b *bench) hitAnswerSize(ctx context.Context, token string) (int, error) {
	url := b.svc.gatewayURL + hitPath
	var a answer
	var err error
	for range 2 {
		if a, err = do(ctx, http.MethodGet, url, token, nil); err != nil {
			return fallbackBodySize, err
		}
	}
	if a.status != http.StatusOK {
		return fallbackBodySize, fmt.Errorf("GET %s answered %d (%s); the baseline serves %d bytes instead", hitPath, a.status, brief(a.body), fallbackBodySize)
	}
	if cached, ok := cachedFlag(a.body); !ok || !cached {
		b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf(`the second GET %s did not answer "cached": true`, hitPath))
	}
	return max(len(a.body), 128), nil
}

// waitGatewayUsesCache polls until a request through the gateway reaches the cache
// service again. Right after the restart the gateway's pooled connections to the old
// process fail, its circuit breaker opens and, for a few seconds, it answers from the
// adapter directly: measuring then would measure that degraded path, not a miss.
func (b *bench) waitGatewayUsesCache(ctx context.Context, token string) error {
	deadline := time.Now().Add(startGrace)
	var lastErr error
	for time.Now().Before(deadline) {
		before, _, err := cacheOutcomes(ctx, b.svc.cacheURL)
		if err != nil {
			return err
		}
		a, err := do(ctx, http.MethodGet, b.svc.gatewayURL+missPath, token, nil)
		if err != nil {
			return err
		}
		after, _, err := cacheOutcomes(ctx, b.svc.cacheURL)
		if err != nil {
			return err
		}
		if a.status == http.StatusOK && sum(after) > sum(before) {
			return nil
		}
		lastErr = fmt.Errorf("GET %s answered %d and the cache service saw no lookup", missPath, a.status)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("after %s: %w", startGrace, lastErr)
}

func sum(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

// exhaust spends the limited client's windows so that every measured request is over
// the limit.
func (b *bench) exhaust(ctx context.Context, token string) error {
	url := b.svc.gatewayURL + hitPath
	var last int
	for range 5 {
		a, err := do(ctx, http.MethodGet, url, token, nil)
		if err != nil {
			return err
		}
		if a.status == http.StatusTooManyRequests {
			return nil
		}
		last = a.status
	}
	return fmt.Errorf("five requests of a client allowed one per minute and per day never got 429 (last: %d)", last)
}

// scenario is one path to measure.
type scenario struct {
	kind  report.Kind
	name  string
	base  string
	path  string
	token string
	// status is the answer every request should get.
	status int
	note   string
	// cacheLookups and upstreamCalls add the cache's outcomes and the provider calls
	// per request to the notes.
	cacheLookups  bool
	upstreamCalls bool
}

// measured is every process the run charges, by report name.
func (b *bench) measured() map[string]*stack.Proc {
	out := map[string]*stack.Proc{}
	for name, p := range map[string]*stack.Proc{
		"gateway": b.svc.gateway, "cache": b.svc.cache, "provider-adapter": b.svc.adapter,
		"redis": b.svc.redis, "providerstub": b.svc.stub, "baseline": b.svc.baseline,
	} {
		if p == nil {
			continue
		}
		if done, _ := p.Exited(); done {
			continue
		}
		out[name] = p
	}
	return out
}

func (b *bench) wrkOptions(sc scenario, d time.Duration) wrk.Options {
	o := wrk.Options{
		URL: sc.base + sc.path, Threads: b.cfg.threads, Connections: b.cfg.connections,
		Duration: d, Timeout: 5 * time.Second, ScriptDir: b.svc.dir,
		CountStatuses: sc.status != http.StatusOK,
	}
	if sc.token != "" {
		o.Headers = []string{"Authorization: Bearer " + sc.token}
	}
	return o
}

func (b *bench) measure(ctx context.Context, sc scenario) error {
	fmt.Fprintf(os.Stderr, "bench: %s: GET %s%s, %s warm-up, %s measured\n", sc.name, sc.base, sc.path, b.cfg.warmup, b.cfg.duration)
	request := "GET " + sc.path
	if sc.kind == report.Baseline {
		request = "GET " + sc.path + " (any path)"
	}
	if b.cfg.warmup > 0 {
		if _, err := wrk.Run(ctx, b.wrkOptions(sc, b.cfg.warmup)); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.warn(sc.name+": warm-up", nil, err)
		}
	}

	procs := b.measured()
	names := slices.Sorted(maps.Keys(procs))
	pids := make([]int, 0, len(names))
	before := map[string]procstat.CPU{}
	for _, n := range names {
		pids = append(pids, procs[n].Pid())
		c, err := procstat.ReadCPU(procs[n].Pid())
		if err == nil {
			before[n] = c
		}
	}
	var lookupsBefore, adapterBefore map[string]float64
	var callsBefore int64
	var lookupErr, callsErr error
	if sc.cacheLookups {
		lookupsBefore, adapterBefore, lookupErr = cacheOutcomes(ctx, b.svc.cacheURL)
	}
	if sc.upstreamCalls {
		callsBefore, callsErr = stubCalls(ctx, b.svc.stubURL)
	}

	sampler := procstat.StartPeakSampler(pids, 50*time.Millisecond)
	res, runErr := wrk.Run(ctx, b.wrkOptions(sc, b.cfg.duration))
	peaks := sampler.Stop(pids)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	out := report.Scenario{Kind: sc.kind, Name: sc.name, Request: request, CPU: map[string]float64{}, RSS: map[string]uint64{}}
	if sc.note != "" {
		out.Notes = append(out.Notes, sc.note)
	}
	if runErr != nil && res.Requests == 0 {
		b.warn(sc.name+": wrk", nil, runErr)
		out.Skipped = "wrk failed: " + runErr.Error()
		b.rep.Scenarios = append(b.rep.Scenarios, out)
		return nil
	}
	if runErr != nil {
		b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf("%s: wrk: %v", sc.name, runErr))
	}
	out.Requests, out.Duration, out.P50, out.P99 = res.Requests, res.Duration, res.P50, res.P99
	out.Errors, out.ErrorDetail = countErrors(res, sc.status)

	for _, n := range names {
		p := procs[n]
		if done, exitErr := p.Exited(); done {
			b.warn(sc.name, p, fmt.Errorf("%w: %s during the run: %w", stack.ErrExited, n, exitErr))
			continue
		}
		after, err := procstat.ReadCPU(p.Pid())
		if c0, ok := before[n]; ok && err == nil && res.Requests > 0 {
			out.CPU[n] = ticksToMicros(after.Ticks-c0.Ticks, b.ticks) / float64(res.Requests)
		}
		// The services idle through the baseline run: their memory there says nothing.
		if v, ok := peaks[p.Pid()]; ok && sc.kind != report.Baseline && slices.Contains(report.Services, n) {
			out.RSS[n] = v
		}
	}
	if res.Requests > 0 {
		out.CPU["wrk"] = float64(res.CPU.Microseconds()) / float64(res.Requests)
	}

	if sc.cacheLookups && lookupErr == nil {
		if after, adapterAfter, err := cacheOutcomes(ctx, b.svc.cacheURL); err == nil {
			out.Notes = append(out.Notes, describeLookups(lookupsBefore, after, res.Requests))
			// Requests still in flight when wrk stops make the count run a little over.
			if sc.kind == report.Miss && sum(after)-sum(lookupsBefore) < 0.9*float64(res.Requests) {
				b.rep.Warnings = append(b.rep.Warnings, "cache miss: fewer cache lookups than requests: the gateway answered part of the run from the adapter directly (its cache breaker was open), so the row mixes the miss path with the degraded one")
			}
			if sc.upstreamCalls {
				out.Notes = append(out.Notes, describeAdapterCalls(adapterBefore, adapterAfter, res.Requests))
			}
		}
	}
	if sc.upstreamCalls && callsErr == nil {
		if after, err := stubCalls(ctx, b.svc.stubURL); err == nil && res.Requests > 0 {
			n := after - callsBefore
			out.Notes = append(out.Notes, fmt.Sprintf("%d provider (stub) calls for %d requests (%.3f per request)", n, res.Requests, float64(n)/float64(res.Requests)))
		}
	}
	b.rep.Scenarios = append(b.rep.Scenarios, out)
	return nil
}

// countErrors counts socket errors and answers other than want. wrk counts every
// non-2xx/3xx answer; when statuses were counted, only those other than want count.
func countErrors(res wrk.Result, want int) (int64, string) {
	var parts []string
	n := res.Errors.Socket()
	for _, e := range []struct {
		name string
		n    int64
	}{{"connect", res.Errors.Connect}, {"read", res.Errors.Read}, {"write", res.Errors.Write}, {"timeout", res.Errors.Timeout}} {
		if e.n > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", e.name, e.n))
		}
	}
	if res.Statuses != nil {
		for _, code := range slices.Sorted(maps.Keys(res.Statuses)) {
			if code != want {
				n += res.Statuses[code]
				parts = append(parts, fmt.Sprintf("%d×%d", code, res.Statuses[code]))
			}
		}
	} else if res.Errors.Status > 0 {
		n += res.Errors.Status
		parts = append(parts, fmt.Sprintf("non-2xx×%d", res.Errors.Status))
	}
	return n, strings.Join(parts, ", ")
}

func ticksToMicros(ticks, perSecond uint64) float64 {
	return float64(ticks) * 1e6 / float64(perSecond)
}

func describeLookups(before, after map[string]float64, requests int64) string {
	var parts []string
	var total float64
	for _, k := range slices.Sorted(maps.Keys(after)) {
		d := after[k] - before[k]
		if d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, d))
			total += d
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("the cache service saw no lookups for %d requests", requests)
	}
	return fmt.Sprintf("cache service lookups for %d requests: %s (%.2f per request)", requests, strings.Join(parts, ", "), total/float64(max(requests, 1)))
}

// describeAdapterCalls says how many calls the cache made to the adapter: concurrent
// misses of one key share one call (singleflight), as they do in production.
func describeAdapterCalls(before, after map[string]float64, requests int64) string {
	var parts []string
	var total float64
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if d := after[k] - before[k]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, d))
			total += d
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("the cache made no adapter calls for %d requests", requests)
	}
	return fmt.Sprintf("cache → adapter calls for %d requests: %s (%.3f per request; concurrent misses of one key share one call)",
		requests, strings.Join(parts, ", "), total/float64(max(requests, 1)))
}
