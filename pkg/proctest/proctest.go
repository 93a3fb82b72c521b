// Package proctest builds the project's binaries and runs them as real processes in
// tests: environment in, logs captured, readiness awaited with a bounded poll, SIGTERM
// or kill out, and every process stopped when the test ends, pass or fail.
package proctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RepoRoot finds the repository root (the folder holding go.work) from the test's
// working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.work above the test's directory")
		}
		dir = parent
	}
}

var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

// Binary returns the path of a service binary (gateway, cache, provider-adapter,
// controller, or a program under hack/). It uses BIN_DIR when the Makefile has built
// them there, and otherwise builds it once per test process.
func Binary(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv("BIN_DIR"); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	root := RepoRoot(t)
	pkg := "./services/" + name + "/cmd/" + name
	if _, err := os.Stat(filepath.Join(root, "services", name)); err != nil {
		pkg = "./hack/" + name
	}
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "ft-bin-")
		if err != nil {
			t.Fatalf("temp dir: %v", err)
		}
		buildDir = dir
	}
	out := filepath.Join(buildDir, name)
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	built[name] = out
	return out
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// Buffer is a bytes.Buffer safe for one goroutine writing (a process, a logger) while
// the test reads.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Process is one running binary.
type Process struct {
	Name   string
	Port   int
	cmd    *exec.Cmd
	stdout Buffer
	stderr Buffer
	done   chan struct{}
	err    error
	t      testing.TB
}

// Options configure Start.
type Options struct {
	Env  map[string]string
	Args []string
	// Port is passed as PORT; 0 picks a free one.
	Port int
	// NoPort leaves PORT unset (the controller).
	NoPort bool
}

// Start runs the binary with only the given environment (plus PATH and HOME), so the
// developer's own variables cannot change what a test sees.
func Start(t testing.TB, name string, opts Options) *Process {
	t.Helper()
	bin := Binary(t, name)
	p := &Process{Name: name, t: t, done: make(chan struct{})}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if !opts.NoPort {
		p.Port = opts.Port
		if p.Port == 0 {
			p.Port = FreePort(t)
		}
		env = append(env, "PORT="+strconv.Itoa(p.Port))
	}
	for k, v := range opts.Env {
		env = append(env, k+"="+v)
	}
	p.cmd = exec.CommandContext(context.Background(), bin, opts.Args...)
	p.cmd.Env = env
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- %s stdout ---\n%s\n--- %s stderr ---\n%s", name, p.Stdout(), name, p.Stderr())
		}
	})
	return p
}

// URL is the base URL of the process's HTTP server.
func (p *Process) URL() string { return "http://127.0.0.1:" + strconv.Itoa(p.Port) }

// Stdout is everything the process wrote to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr is everything the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// WaitReady polls path (usually /readyz) until it answers 200 or timeout passes.
func (p *Process) WaitReady(path string, timeout time.Duration) {
	p.t.Helper()
	p.WaitStatus(path, http.StatusOK, timeout)
}

// WaitStatus polls path until it answers the status or timeout passes.
func (p *Process) WaitStatus(path string, status int, timeout time.Duration) {
	p.t.Helper()
	client := &http.Client{Timeout: 500 * time.Millisecond}
	deadline := time.Now().Add(timeout)
	var last string
	for {
		select {
		case <-p.done:
			p.t.Fatalf("%s exited before %s answered %d: %v\nstderr:\n%s\nstdout:\n%s", p.Name, path, status, p.err, p.Stderr(), p.Stdout())
		default:
		}
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, p.URL()+path, nil)
		if err != nil {
			p.t.Fatalf("%s: building request: %v", p.Name, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s did not answer %d within %s (last: %s)\nstdout:\n%s", p.Name, path, status, timeout, last, p.Stdout())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Signal sends a signal to the process.
func (p *Process) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("signalling %s: %v", p.Name, err)
	}
}

// Wait waits up to timeout for the process to exit and returns its exit code.
func (p *Process) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return -1, fmt.Errorf("%s still running after %s", p.Name, timeout)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), nil
	}
	if p.err != nil {
		return -1, p.err
	}
	return 0, nil
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill stops the process at once and waits for it.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Context returns a context ending with the test or after timeout, whichever is first.
func Context(t testing.TB, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}
