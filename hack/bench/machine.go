package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/football-tracker/backend/hack/bench/internal/report"
	"github.com/football-tracker/backend/hack/bench/internal/wrk"
)

// loadWarningPrefix starts the busy-machine warning.
const loadWarningPrefix = "the machine was busy"

func describeMachine(ctx context.Context, cfg config) report.Machine {
	m := report.Machine{
		Date:         time.Now().UTC(),
		Cores:        runtime.NumCPU(),
		CPUModel:     cpuModel(),
		LoadAvg:      loadAvg(),
		GoVersion:    goVersion(filepath.Join(cfg.binDir, "gateway")),
		WrkVersion:   wrk.Version(ctx, ""),
		RedisVersion: redisVersion(ctx),
		Warmup:       cfg.warmup,
		Connections:  cfg.connections,
		Load:         fmt.Sprintf("wrk -t%d -c%d -d%s --latency", cfg.threads, cfg.connections, cfg.duration),
	}
	m.GitSHA, m.GitDirty = gitState(ctx)
	m.GatewayDeps = gatewayDeps(filepath.Join(cfg.binDir, "gateway"))
	return m
}

// hotPathModules are the gateway dependencies whose version moves its cost per request.
var hotPathModules = []string{
	"github.com/gofiber/fiber/v2",
	"github.com/valyala/fasthttp",
	"github.com/lestrrat-go/jwx/v2",
	"github.com/redis/go-redis/v9",
	"github.com/go-redis/redis_rate/v10",
}

// gatewayDeps reads the versions of the hot-path modules from the gateway binary's
// build information: what was measured, not what a go.mod says.
func gatewayDeps(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return ""
	}
	var parts []string
	for _, want := range hotPathModules {
		for _, d := range info.Deps {
			if d.Path == want {
				parts = append(parts, d.Path+" "+d.Version)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// loadWarning flags a run that started on a machine already doing other work: its
// figures, ratios included, are not worth keeping.
func loadWarning(m report.Machine) string {
	first, _, _ := strings.Cut(m.LoadAvg, " ")
	l, err := strconv.ParseFloat(first, 64)
	if err != nil || l <= 0.5*float64(m.Cores) {
		return ""
	}
	return fmt.Sprintf("%s: load average %.2f on %d cores before the run; do not keep these figures", loadWarningPrefix, l, m.Cores)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// goVersion is the toolchain that built the gateway, read from the binary, falling back
// to the one that built this program.
func goVersion(gatewayBin string) string {
	if info, err := buildinfo.ReadFile(gatewayBin); err == nil {
		return info.GoVersion
	}
	return runtime.Version()
}

func redisVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "redis-server", "--version").Output()
	if err != nil {
		return "unknown"
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	return strings.TrimSpace(string(out))
}

// gitState is the short commit and whether the tree has uncommitted changes.
func gitState(ctx context.Context) (string, bool) {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "", false
	}
	status, _ := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), len(strings.TrimSpace(string(status))) > 0
}
