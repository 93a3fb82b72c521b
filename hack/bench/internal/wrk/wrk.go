// Package wrk runs the wrk load generator and reads its results. A small Lua script
// makes wrk print its exact counters and percentiles on one machine-readable line, so
// nothing depends on the rounding of wrk's human-readable report.
package wrk

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	//go:embed summary.lua
	summaryScript string
	//go:embed statuses.lua
	statusesScript string
)

// ErrNoSummary means wrk ended without printing the summary line (it failed to start,
// could not connect at all, or was interrupted).
var ErrNoSummary = errors.New("wrk printed no summary")

// Options describe one run.
type Options struct {
	// Binary is the wrk executable; empty means "wrk" on PATH.
	Binary      string
	URL         string
	Threads     int
	Connections int
	Duration    time.Duration
	// Timeout is wrk's per-request timeout; a request slower than this is a timeout error.
	Timeout time.Duration
	// Headers are "Name: value" lines.
	Headers []string
	// CountStatuses makes wrk count answers by status (Result.Statuses), at some cost
	// to its own CPU.
	CountStatuses bool
	// ScriptDir is where the Lua script is written.
	ScriptDir string
}

// Errors are wrk's error counters.
type Errors struct {
	Connect, Read, Write, Timeout int64
	// Status counts answers that were not 2xx or 3xx.
	Status int64
}

// Socket is every error that is not an HTTP status.
func (e Errors) Socket() int64 { return e.Connect + e.Read + e.Write + e.Timeout }

// Result is one run's outcome.
type Result struct {
	Requests int64
	Duration time.Duration
	Bytes    int64
	Errors   Errors
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
	// Statuses counts answers by HTTP status; only with Options.CountStatuses.
	Statuses map[int]int64
	// CPU is the user+system time wrk itself used.
	CPU time.Duration
	// Output is wrk's whole standard output, for the log.
	Output string
}

// RPS is completed requests per second.
func (r Result) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// Args are the command-line arguments for o, given the script path.
func (o Options) Args(script string) []string {
	args := []string{
		"-t", strconv.Itoa(o.Threads),
		"-c", strconv.Itoa(o.Connections),
		"-d", durationArg(o.Duration),
		"--latency",
		"-s", script,
	}
	if o.Timeout > 0 {
		args = append(args, "--timeout", durationArg(o.Timeout))
	}
	for _, h := range o.Headers {
		args = append(args, "-H", h)
	}
	return append(args, o.URL)
}

// durationArg writes d the way wrk reads it: a number with an s/m/h suffix, whole
// seconds at least.
func durationArg(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return strconv.FormatInt(max(s, 1), 10) + "s"
}

// Run runs wrk once. Cancelling ctx kills it.
func Run(ctx context.Context, o Options) (Result, error) {
	script := summaryScript
	name := "summary.lua"
	if o.CountStatuses {
		script = statusesScript + "\n" + summaryScript
		name = "statuses.lua"
	}
	path := filepath.Join(o.ScriptDir, name)
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		return Result{}, fmt.Errorf("writing the wrk script: %w", err)
	}
	bin := o.Binary
	if bin == "" {
		bin = "wrk"
	}
	cmd := exec.CommandContext(ctx, bin, o.Args(path)...) //nolint:gosec // the harness runs the wrk it was given
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	res, err := Parse(stdout.String())
	if cmd.ProcessState != nil {
		res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if runErr != nil {
		return res, fmt.Errorf("running wrk: %w: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	return res, err
}

// Parse reads the lines summary.lua prints from wrk's output.
func Parse(out string) (Result, error) {
	res := Result{Output: out}
	found := false
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "bench-summary":
			if err := parseSummary(&res, f[1:]); err != nil {
				return res, err
			}
			found = true
		case "bench-status":
			if len(f) != 3 {
				return res, fmt.Errorf("malformed status line %q", strings.TrimSpace(line))
			}
			code, err1 := strconv.Atoi(f[1])
			n, err2 := strconv.ParseInt(f[2], 10, 64)
			if err := errors.Join(err1, err2); err != nil {
				return res, fmt.Errorf("malformed status line %q: %w", strings.TrimSpace(line), err)
			}
			if res.Statuses == nil {
				res.Statuses = map[int]int64{}
			}
			res.Statuses[code] += n
		}
	}
	if !found {
		return res, ErrNoSummary
	}
	return res, nil
}

func parseSummary(res *Result, fields []string) error {
	vals := make(map[string]int64, len(fields))
	for _, kv := range fields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("malformed summary field %q", kv)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("malformed summary field %q: %w", kv, err)
		}
		vals[k] = n
	}
	for _, k := range []string{"requests", "duration_us", "bytes", "connect", "read", "write", "status", "timeout", "p50_us", "p90_us", "p99_us", "max_us"} {
		if _, ok := vals[k]; !ok {
			return fmt.Errorf("summary line lacks %s", k)
		}
	}
	us := func(k string) time.Duration { return time.Duration(vals[k]) * time.Microsecond }
	res.Requests = vals["requests"]
	res.Duration = us("duration_us")
	res.Bytes = vals["bytes"]
	res.Errors = Errors{
		Connect: vals["connect"], Read: vals["read"], Write: vals["write"],
		Timeout: vals["timeout"], Status: vals["status"],
	}
	res.P50, res.P90, res.P99, res.Max = us("p50_us"), us("p90_us"), us("p99_us"), us("max_us")
	return nil
}

// Version is wrk's version line ("wrk 4.1.0 [epoll] …"); wrk prints it on -v and
// exits non-zero, so the status is ignored.
func Version(ctx context.Context, bin string) string {
	if bin == "" {
		bin = "wrk"
	}
	out, _ := exec.CommandContext(ctx, bin, "-v").CombinedOutput() //nolint:gosec // the wrk the harness runs
	first, _, _ := strings.Cut(string(out), "\n")
	first = strings.TrimSpace(first)
	if i := strings.Index(first, " Copyright"); i > 0 {
		first = first[:i]
	}
	if first == "" {
		return "unknown"
	}
	return first
}
