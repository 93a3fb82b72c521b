// Command devstack is `make run`: it starts provider-adapter, cache and gateway wired
// together on one machine, with an embedded Redis-compatible store when REDIS_URL is
// unset and, with OFFLINE=1, the recorded provider responses instead of the real APIs.
// Ctrl-C stops everything it started.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/football-tracker/backend/pkg/providerstub"
)

type stack struct {
	binDir string
	procs  []*exec.Cmd
	mu     sync.Mutex
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("devstack: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func secret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s := &stack{binDir: envOr("BIN_DIR", "bin")}
	defer s.stopAll()

	gatewayPort := envOr("GATEWAY_PORT", "8080")
	adapterPort := envOr("ADAPTER_PORT", "8081")
	cachePort := envOr("CACHE_PORT", "8082")

	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("starting the embedded Redis-compatible store: %w", err)
		}
		defer mr.Close()
		redisURL = "redis://" + mr.Addr()
		log.Printf("REDIS_URL unset: using an embedded Redis-compatible store on %s", mr.Addr())
	}

	adapterEnv := map[string]string{"PORT": adapterPort}
	for _, k := range []string{"SPORTMONKS_API_TOKEN", "SPORTMONKS_BASE_URL", "OPENLIGADB_BASE_URL", "LEAGUES_CONFIG", "UPSTREAM_TIMEOUT"} {
		if v := os.Getenv(k); v != "" {
			adapterEnv[k] = v
		}
	}
	if os.Getenv("OFFLINE") == "1" {
		stub := providerstub.New()
		stub.SportMonksToken = "offline-" + secret(12)
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("starting the provider stub: %w", err)
		}
		srv := &http.Server{Handler: stub, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() { _ = srv.Close() }()
		stubURL := "http://" + ln.Addr().String()
		adapterEnv["SPORTMONKS_BASE_URL"] = stubURL
		adapterEnv["OPENLIGADB_BASE_URL"] = stubURL
		adapterEnv["SPORTMONKS_API_TOKEN"] = stub.SportMonksToken
		log.Printf("OFFLINE=1: providers replay recorded responses from %s", stubURL)
	}

	adminUser := envOr("ADMIN_USER", "admin")
	adminPass := os.Getenv("ADMIN_PASS")
	if adminPass == "" {
		adminPass = secret(18)
	}
	jwtSecret := os.Getenv("JWT_SECRET")
	if jwtSecret == "" {
		jwtSecret = secret(48)
	}

	if err := s.start("provider-adapter", adapterEnv); err != nil {
		return err
	}
	if err := s.start("cache", map[string]string{
		"PORT": cachePort, "REDIS_URL": redisURL, "ADAPTER_URL": "http://127.0.0.1:" + adapterPort,
	}); err != nil {
		return err
	}
	if err := s.start("gateway", map[string]string{
		"PORT": gatewayPort, "REDIS_URL": redisURL,
		"CACHE_URL":   "http://127.0.0.1:" + cachePort,
		"ADAPTER_URL": "http://127.0.0.1:" + adapterPort,
		"JWT_SECRET":  jwtSecret, "ADMIN_USER": adminUser, "ADMIN_PASS": adminPass,
		"CORS_ALLOWED_ORIGINS": envOr("CORS_ALLOWED_ORIGINS", "http://localhost:3000"),
	}); err != nil {
		return err
	}

	for _, p := range []string{adapterPort, cachePort, gatewayPort} {
		if err := waitReady(ctx, "http://127.0.0.1:"+p+"/readyz"); err != nil {
			if ctx.Err() != nil {
				// Ctrl-C while starting up is a normal way to stop.
				return nil
			}
			return err
		}
	}
	fmt.Printf(`
Football Tracker is up.
  API:     http://localhost:%[1]s/api/v1   (health: curl http://localhost:%[1]s/api/v1/health)
  Admin:   username %[2]q, password %[3]q
  Log in:  curl -s -X POST http://localhost:%[1]s/api/v1/auth/login -H 'Content-Type: application/json' \
             -d '{"username":%[2]q,"password":%[3]q}'
Press Ctrl-C to stop.
`, gatewayPort, adminUser, adminPass)

	select {
	case <-ctx.Done():
		log.Printf("stopping")
		return nil
	case err := <-s.exited():
		return err
	}
}

func (s *stack) start(name string, env map[string]string) error {
	bin := filepath.Join(s.binDir, name)
	// Not bound to a context: children get SIGTERM from stopAll and time to drain.
	cmd := exec.CommandContext(context.Background(), bin)
	cmd.Env = append(os.Environ(), "OTEL_SERVICE_NAME="+name)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	// Children die with devstack even if it is killed hard, so no process is left behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	s.mu.Lock()
	s.procs = append(s.procs, cmd)
	s.mu.Unlock()
	return nil
}

func (s *stack) exited() <-chan error {
	ch := make(chan error, len(s.procs))
	for _, p := range s.procs {
		go func() {
			err := p.Wait()
			ch <- fmt.Errorf("%s exited: %w", filepath.Base(p.Path), err)
		}()
	}
	return ch
}

// stopAll sends SIGTERM to every child, newest first, and kills what is still running
// after the shutdown timeout.
func (s *stack) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		if p.Process == nil {
			continue
		}
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(12 * time.Second)
	for _, p := range s.procs {
		for p.ProcessState == nil && time.Now().Before(deadline) {
			if err := p.Process.Signal(syscall.Signal(0)); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
	}
}

func waitReady(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("building readiness request: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New(url + " not ready after 30s; see the logs above")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
