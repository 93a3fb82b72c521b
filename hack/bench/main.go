// Command bench is `make bench`: it starts Redis, the provider stub, provider-adapter,
// cache, gateway and a bare-fiber baseline on loopback, drives each path with wrk in one
// run, charges CPU and memory to every process from /proc, prints a table of the
// results against the performance targets and keeps it under bench/results/. Every
// process it starts is stopped on every way out, Ctrl-C included.
//
// Settings come from flags, each with an environment default: BENCH_DURATION (10s per
// scenario), BENCH_WARMUP (2s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
// BENCH_LOG_LEVEL (info: the services log as in production, one access line per
// request, to files), BENCH_RESULTS (bench/results), BIN_DIR (bin), BENCH_PROFILE=1 (a
// gateway CPU profile of the cache-hit path, from an extra unmeasured run).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg)
	stop()
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "bench: interrupted; every process it started is stopped")
		os.Exit(130)
	case err != nil:
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// config is the run's settings.
type config struct {
	binDir      string
	resultsDir  string
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	logLevel    string
	keepLogs    bool
	write       bool
	profile     bool
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.binDir, "bin-dir", envOr("BIN_DIR", "bin"), "where `make build` put the binaries (BIN_DIR)")
	fs.StringVar(&c.resultsDir, "results", envOr("BENCH_RESULTS", "bench/results"), "folder of the results files (BENCH_RESULTS)")
	fs.StringVar(&c.logLevel, "log-level", envOr("BENCH_LOG_LEVEL", "info"), "LOG_LEVEL of the services (BENCH_LOG_LEVEL)")
	fs.BoolVar(&c.keepLogs, "keep-logs", false, "keep the services' logs even when the run succeeds")
	fs.BoolVar(&c.write, "write", true, "write the results file")
	fs.BoolVar(&c.profile, "profile", os.Getenv("BENCH_PROFILE") == "1",
		"build the gateway with a loopback pprof listener and add its CPU profile of the cache-hit path (BENCH_PROFILE=1)")
	duration := fs.String("duration", envOr("BENCH_DURATION", "10s"), "measured time per scenario (BENCH_DURATION)")
	warmup := fs.String("warmup", envOr("BENCH_WARMUP", "2s"), "unmeasured load before each scenario (BENCH_WARMUP)")
	conns := fs.String("connections", envOr("BENCH_CONNECTIONS", "64"), "concurrent connections (BENCH_CONNECTIONS)")
	threads := fs.String("threads", envOr("BENCH_THREADS", "2"), "wrk threads (BENCH_THREADS)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.duration, err = time.ParseDuration(*duration); err != nil || c.duration < time.Second || c.duration > 5*time.Minute {
		return c, fmt.Errorf("BENCH_DURATION/-duration must be a duration from 1s to 5m, got %q", *duration)
	}
	if c.warmup, err = time.ParseDuration(*warmup); err != nil || c.warmup < 0 || c.warmup > time.Minute {
		return c, fmt.Errorf("BENCH_WARMUP/-warmup must be a duration from 0 to 1m, got %q", *warmup)
	}
	if c.connections, err = strconv.Atoi(*conns); err != nil || c.connections < 1 || c.connections > 10_000 {
		return c, fmt.Errorf("BENCH_CONNECTIONS/-connections must be from 1 to 10000, got %q", *conns)
	}
	if c.threads, err = strconv.Atoi(*threads); err != nil || c.threads < 1 || c.threads > c.connections {
		return c, fmt.Errorf("BENCH_THREADS/-threads must be from 1 to the number of connections, got %q", *threads)
	}
	return c, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
