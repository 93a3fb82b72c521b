package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/limitconfig"

	"github.com/football-tracker/backend/hack/bench/internal/stack"
)

// The paths a run measures. The miss path asks for a query the hit path never does,
// so no answer cached during the hit scenario can serve it.
const (
	hitPath  = "/api/v1/matches?league=bl1&season=2023"
	missPath = "/api/v1/matches?league=bl1&season=2023&status=finished"
)

// The clients a run logs in as, one per gateway scenario so that the windows of one
// never limit another.
const (
	clientHit     = "bench-hit"
	clientMiss    = "bench-miss"
	clientLimited = "bench-limited"
)

// startGrace is how long a service may take to become ready on a busy machine.
const startGrace = 60 * time.Second

// stopGrace bounds a service's graceful stop (the services get SHUTDOWN_TIMEOUT=2s).
const stopGrace = 5 * time.Second

// stepError names the step of the run that failed and carries the end of the log of
// the process concerned, so a failure explains itself without opening files.
type stepError struct {
	step string
	proc *stack.Proc
	err  error
}

func (e *stepError) Error() string {
	msg := fmt.Sprintf("step %q failed: %v", e.step, e.err)
	if e.proc != nil {
		msg += fmt.Sprintf("\n--- last lines of %s (%s) ---\n%s\n---", e.proc.Name, e.proc.LogPath, e.proc.Tail(25))
	}
	return msg
}

func (e *stepError) Unwrap() error { return e.err }

func failStep(step string, p *stack.Proc, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &stepError{step: step, proc: p, err: err}
}

// services is the running stack.
type services struct {
	stack  *stack.Stack
	dir    string
	binDir string
	level  string

	redis, stub, adapter, cache, gateway, baseline *stack.Proc

	// gatewayBin replaces bin/gateway (the profiled build); pprofAddr is where that
	// build serves /debug/pprof.
	gatewayBin string
	pprofAddr  string

	redisURL   string
	stubURL    string
	adapterURL string
	cacheURL   string
	gatewayURL string
	baseURL    string
	cachePort  int

	passwords map[string]string
}

// secret returns n random bytes, URL-safe base64.
func secret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *services) bin(name string) (string, error) {
	p := filepath.Join(s.binDir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing: run `make build` (or `make bench`, which builds first): %w", p, err)
	}
	return p, nil
}

// writeClientFiles writes the rate-limit config and the credentials file the gateway
// hot-loads: the hit and miss clients get the largest limits the format allows, the
// limited client one request per window.
func (s *services) writeClientFiles() (limitsPath, credsPath string, err error) {
	cfg := limitconfig.Defaults()
	cfg.Clients = map[string]limitconfig.Client{
		clientHit:     {Tier: limitconfig.TierUser, PerMinute: limitconfig.MaxPerMinute, PerDay: limitconfig.MaxPerDay},
		clientMiss:    {Tier: limitconfig.TierUser, PerMinute: limitconfig.MaxPerMinute, PerDay: limitconfig.MaxPerDay},
		clientLimited: {Tier: limitconfig.TierUser, PerMinute: 1, PerDay: 1},
	}
	if err := cfg.Validate(); err != nil {
		return "", "", err
	}
	limits, err := cfg.Render()
	if err != nil {
		return "", "", err
	}
	s.passwords = map[string]string{}
	creds := limitconfig.Credentials{}
	for name := range cfg.Clients {
		pw := secret(18)
		// The minimum cost: logging in is not what is measured.
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			return "", "", fmt.Errorf("hashing a password: %w", err)
		}
		s.passwords[name] = pw
		creds[name] = string(h)
	}
	rawCreds, err := creds.Render()
	if err != nil {
		return "", "", err
	}
	limitsPath = filepath.Join(s.dir, "ratelimits.yaml")
	credsPath = filepath.Join(s.dir, "credentials.yaml")
	if err := os.WriteFile(limitsPath, limits, 0o600); err != nil {
		return "", "", fmt.Errorf("writing the rate-limit config: %w", err)
	}
	if err := os.WriteFile(credsPath, rawCreds, 0o600); err != nil {
		return "", "", fmt.Errorf("writing the credentials: %w", err)
	}
	return limitsPath, credsPath, nil
}

func ports(n int) ([]int, error) {
	out := make([]int, 0, n)
	for range n {
		p, err := stack.FreePort()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// start brings up Redis, the stub and the three services, each ready before the next.
func (s *services) start(ctx context.Context) error {
	for _, tool := range []string{"redis-server", "wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			return failStep("find "+tool, nil, fmt.Errorf("%w: `make bench` installs it (hack/ensure-redis.sh, hack/bench/ensure-wrk.sh)", err))
		}
	}
	bins := map[string]string{}
	for _, name := range []string{"gateway", "cache", "provider-adapter", "providerstub", "baseline"} {
		p, err := s.bin(name)
		if err != nil {
			return failStep("find the binaries", nil, err)
		}
		bins[name] = p
	}
	limitsPath, credsPath, err := s.writeClientFiles()
	if err != nil {
		return failStep("write the client files", nil, err)
	}
	p, err := ports(5)
	if err != nil {
		return failStep("find free ports", nil, err)
	}
	redisPort, stubPort, adapterPort, cachePort, gatewayPort := p[0], p[1], p[2], p[3], p[4]
	s.cachePort = cachePort

	s.redis, err = s.stack.Start(stack.Spec{Name: "redis", Bin: "redis-server", Args: []string{
		"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning",
	}})
	if err != nil {
		return failStep("start redis-server", nil, err)
	}
	if err := stack.WaitRedis(ctx, s.redis, stack.Addr(redisPort), startGrace); err != nil {
		return failStep("wait for redis-server", s.redis, err)
	}
	s.redisURL = "redis://" + stack.Addr(redisPort)

	stubToken := secret(16)
	s.stub, err = s.stack.Start(stack.Spec{
		Name: "providerstub", Bin: bins["providerstub"],
		Args: []string{"-addr", stack.Addr(stubPort)},
		Env:  map[string]string{"SPORTMONKS_API_TOKEN": stubToken},
	})
	if err != nil {
		return failStep("start the provider stub", nil, err)
	}
	s.stubURL = "http://" + stack.Addr(stubPort)
	if err := stack.WaitHTTP(ctx, s.stub, s.stubURL+"/_stub/calls", startGrace); err != nil {
		return failStep("wait for the provider stub", s.stub, err)
	}

	s.adapterURL = "http://" + stack.Addr(adapterPort)
	s.adapter, err = s.stack.Start(stack.Spec{Name: "provider-adapter", Bin: bins["provider-adapter"], Env: s.serviceEnv(adapterPort, map[string]string{
		"SPORTMONKS_BASE_URL":  s.stubURL,
		"OPENLIGADB_BASE_URL":  s.stubURL,
		"SPORTMONKS_API_TOKEN": stubToken,
	})})
	if err != nil {
		return failStep("start provider-adapter", nil, err)
	}
	if err := stack.WaitHTTP(ctx, s.adapter, s.adapterURL+"/readyz", startGrace); err != nil {
		return failStep("wait for provider-adapter", s.adapter, err)
	}

	s.cacheURL = "http://" + stack.Addr(cachePort)
	if err := s.startCache(ctx, nil); err != nil {
		return err
	}

	s.gatewayURL = "http://" + stack.Addr(gatewayPort)
	gatewayEnv := map[string]string{}
	if s.gatewayBin != "" {
		bins["gateway"] = s.gatewayBin
		gatewayEnv["BENCH_PPROF_ADDR"] = s.pprofAddr
	}
	s.gateway, err = s.stack.Start(stack.Spec{Name: "gateway", Bin: bins["gateway"], Env: s.serviceEnv(gatewayPort, gatewayEnv, map[string]string{
		"REDIS_URL":          s.redisURL,
		"CACHE_URL":          s.cacheURL,
		"ADAPTER_URL":        s.adapterURL,
		"JWT_SECRET":         secret(48),
		"ADMIN_USER":         "bench-admin",
		"ADMIN_PASS":         secret(24),
		"RATE_LIMIT_CONFIG":  limitsPath,
		"CLIENT_CREDENTIALS": credsPath,
	})})
	if err != nil {
		return failStep("start gateway", nil, err)
	}
	if err := stack.WaitHTTP(ctx, s.gateway, s.gatewayURL+"/readyz", startGrace); err != nil {
		return failStep("wait for gateway", s.gateway, err)
	}
	return nil
}

// startCache starts (or restarts) the cache service on its port, with extra settings.
func (s *services) startCache(ctx context.Context, extra map[string]string) error {
	env := map[string]string{"REDIS_URL": s.redisURL, "ADAPTER_URL": s.adapterURL}
	for k, v := range extra {
		env[k] = v
	}
	bin, err := s.bin("cache")
	if err != nil {
		return failStep("find the binaries", nil, err)
	}
	s.cache, err = s.stack.Start(stack.Spec{Name: "cache", Bin: bin, Env: s.serviceEnv(s.cachePort, env)})
	if err != nil {
		return failStep("start cache", nil, err)
	}
	if err := stack.WaitHTTP(ctx, s.cache, s.cacheURL+"/readyz", startGrace); err != nil {
		return failStep("wait for cache", s.cache, err)
	}
	return nil
}

// startBaseline starts the bare-fiber baseline with a body of size bytes.
func (s *services) startBaseline(ctx context.Context, size int) error {
	bin, err := s.bin("baseline")
	if err != nil {
		return failStep("find the binaries", nil, err)
	}
	port, err := stack.FreePort()
	if err != nil {
		return failStep("find a free port", nil, err)
	}
	s.baseURL = "http://" + stack.Addr(port)
	s.baseline, err = s.stack.Start(stack.Spec{
		Name: "baseline", Bin: bin,
		Args: []string{"-addr", stack.Addr(port), "-size", strconv.Itoa(size)},
		Env:  runtimeEnv(),
	})
	if err != nil {
		return failStep("start the baseline", nil, err)
	}
	if err := stack.WaitHTTP(ctx, s.baseline, s.baseURL+"/", startGrace); err != nil {
		return failStep("wait for the baseline", s.baseline, err)
	}
	return nil
}

// serviceEnv is the environment every service shares plus its own.
func (s *services) serviceEnv(port int, own ...map[string]string) map[string]string {
	env := map[string]string{
		"PORT":             strconv.Itoa(port),
		"LOG_LEVEL":        s.level,
		"SHUTDOWN_TIMEOUT": "2s",
		"SERVICE_VERSION":  "bench",
	}
	for k, v := range runtimeEnv() {
		env[k] = v
	}
	for _, m := range own {
		for k, v := range m {
			env[k] = v
		}
	}
	return env
}

// runtimeEnv passes the Go runtime's tuning variables on to every Go process measured,
// so that setting one (GOMAXPROCS=1, GOGC=200) in the shell affects the baseline and the
// services alike.
func runtimeEnv() map[string]string {
	env := map[string]string{}
	for _, k := range []string{"GOMAXPROCS", "GOGC", "GOMEMLIMIT"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	return env
}
