package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/football-tracker/backend/hack/bench/internal/wrk"
)

// pprofListener is compiled into the gateway of a profiled run through `go build
// -overlay`: the services' sources stay untouched and the binaries `make build` ships
// carry no profiling endpoint. It listens only where the harness says, on loopback.
const pprofListener = `package main

import (
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("BENCH_PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic("bench pprof listener: " + err.Error())
	}
	go func() { _ = http.Serve(ln, nil) }()
}
`

// gatewayPackage is the gateway's main package, relative to the repository root.
const gatewayPackage = "./services/gateway/cmd/gateway"

// buildProfiledGateway builds the gateway with the pprof listener into dir and returns
// the binary's path. It must run at the repository root, as `make bench` does.
func buildProfiledGateway(ctx context.Context, dir string) (string, error) {
	pkgDir, err := filepath.Abs(gatewayPackage)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(pkgDir); err != nil {
		return "", fmt.Errorf("profiling needs the sources: run from the repository root: %w", err)
	}
	src := filepath.Join(dir, "bench_pprof.go")
	if err := os.WriteFile(src, []byte(pprofListener), 0o600); err != nil {
		return "", fmt.Errorf("writing the pprof listener: %w", err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(pkgDir, "zz_bench_pprof.go"): src},
	})
	if err != nil {
		return "", err
	}
	overlayPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayPath, overlay, 0o600); err != nil {
		return "", fmt.Errorf("writing the build overlay: %w", err)
	}
	bin := filepath.Join(dir, "gateway-pprof")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-overlay", overlayPath, "-o", bin, gatewayPackage) //nolint:gosec // paths of the run's own folder
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the profiled gateway: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// profileHit loads the hit path again, unmeasured, while it records a CPU profile of
// the gateway, and returns the raw profile and its top entries.
func (b *bench) profileHit(ctx context.Context, token string) (raw []byte, top string, err error) {
	seconds := max(int(b.cfg.duration/time.Second)-1, 1)
	fmt.Fprintf(os.Stderr, "bench: gateway CPU profile of the cache-hit path, %ds\n", seconds)

	type result struct {
		raw []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		url := "http://" + b.svc.pprofAddr + "/debug/pprof/profile?seconds=" + strconv.Itoa(seconds)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			got <- result{err: err}
			return
		}
		resp, err := (&http.Client{Timeout: time.Duration(seconds+30) * time.Second}).Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer func() { _ = resp.Body.Close() }()
		raw, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("the pprof endpoint answered %d: %s", resp.StatusCode, brief(raw))
		}
		got <- result{raw: raw, err: err}
	}()
	opts := b.wrkOptions(scenario{base: b.svc.gatewayURL, path: hitPath, token: token, status: http.StatusOK}, b.cfg.duration)
	if _, err := wrk.Run(ctx, opts); err != nil {
		return nil, "", fmt.Errorf("loading the hit path: %w", err)
	}
	r := <-got
	if r.err != nil {
		return nil, "", fmt.Errorf("fetching the profile: %w", r.err)
	}
	path := filepath.Join(b.svc.dir, "gateway-hit.pprof")
	if err := os.WriteFile(path, r.raw, 0o600); err != nil {
		return nil, "", fmt.Errorf("writing the profile: %w", err)
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=25", path).CombinedOutput() //nolint:gosec // the profile this run wrote
	if err != nil {
		return r.raw, "", fmt.Errorf("go tool pprof: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return r.raw, strings.TrimSpace(string(out)), nil
}
