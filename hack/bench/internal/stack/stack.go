// Package stack starts and stops the processes of a benchmark run: each with its own
// log file (services write one access-log line per request, so their output goes to a
// file, never to a pipe the harness would have to drain), in its own process group, and
// killed with the harness even if the harness itself is killed hard.
package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrExited means a process ended while it was still needed.
var ErrExited = errors.New("process exited")

// Stack is the set of processes a run started.
type Stack struct {
	logDir string

	mu    sync.Mutex
	procs []*Proc
}

// New returns a stack writing its logs under logDir.
func New(logDir string) *Stack { return &Stack{logDir: logDir} }

// Proc is one started process.
type Proc struct {
	Name    string
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Spec describes a process to start.
type Spec struct {
	Name string
	Bin  string
	Args []string
	// Env is the whole environment besides PATH and HOME: the harness's own environment
	// is not passed on, so a stray OTEL_EXPORTER_OTLP_ENDPOINT or REDIS_URL in the shell
	// cannot change what is measured.
	Env map[string]string
}

// Start starts a process. Its standard output and error go to <logDir>/<name>.log
// (appended: a restarted process keeps its earlier lines).
func (s *Stack) Start(spec Spec) (*Proc, error) {
	logPath := filepath.Join(s.logDir, spec.Name+".log")
	logFile, err := os.OpenFile(logPath, //nolint:gosec // the run's own log folder
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the log of %s: %w", spec.Name, err)
	}
	// Not tied to a context: Stop ends the process in order (SIGTERM, then SIGKILL).
	cmd := exec.CommandContext(context.Background(), spec.Bin, spec.Args...) //nolint:gosec // the binaries the harness was built to run
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		cmd.Env = append(cmd.Env, k+"="+spec.Env[k])
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Own process group (Ctrl-C in the terminal reaches only the harness, which then
	// stops everything in order) and SIGKILL when the harness dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", spec.Name, spec.Bin, err)
	}
	p := &Proc{Name: spec.Name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p, nil
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// errCleanExit stands for the exit of a process that ended with status 0, which
// os/exec reports as no error.
var errCleanExit = errors.New("exit status 0")

// Exited reports whether the process has ended, and how: once it has, the error is
// never nil.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		if p.err == nil {
			return true, errCleanExit
		}
		return true, p.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM, waits up to grace for the process to end, then kills its whole
// process group.
func (p *Proc) Stop(grace time.Duration) {
	if done, _ := p.Exited(); done {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	raw, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return TailLines(raw, n)
}

// TailLines returns the last n lines of text.
func TailLines(text []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StopAll stops every process still running, the newest first (the gateway before the
// services it calls, Redis last).
func (s *Stack) StopAll(grace time.Duration) {
	s.mu.Lock()
	procs := slices.Clone(s.procs)
	s.mu.Unlock()
	for _, p := range slices.Backward(procs) {
		p.Stop(grace)
	}
}

// FreePort asks the kernel for a free loopback port. Another process could take it
// before it is used; on a benchmark machine that risk is accepted.
func FreePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// WaitHTTP polls url until it answers 200, the process exits or timeout passes.
func WaitHTTP(ctx context.Context, p *Proc, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	return poll(ctx, p, timeout, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", url, resp.StatusCode)
		}
		return nil
	})
}

// WaitRedis polls a Redis server with PING until it answers PONG.
func WaitRedis(ctx context.Context, p *Proc, addr string, timeout time.Duration) error {
	dialer := net.Dialer{Timeout: time.Second}
	return poll(ctx, p, timeout, func() error {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
		_ = conn.SetDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		buf := make([]byte, 7)
		if _, err := io.ReadFull(conn, buf); err != nil {
			return err
		}
		if !bytes.Equal(buf, []byte("+PONG\r\n")) {
			return fmt.Errorf("redis answered %q", buf)
		}
		return nil
	})
}

func poll(ctx context.Context, p *Proc, timeout time.Duration, try func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := try()
		if err == nil {
			return nil
		}
		if done, exitErr := p.Exited(); done {
			return fmt.Errorf("%w: %s: %w", ErrExited, p.Name, exitErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w", p.Name, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Addr is host:port on loopback.
func Addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
