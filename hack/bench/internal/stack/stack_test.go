package stack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTailLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		n    int
		want string
	}{
		{name: "fewer lines than asked", text: "a\nb\n", n: 5, want: "a\nb"},
		{name: "the last lines", text: "a\nb\nc\nd\n", n: 2, want: "c\nd"},
		{name: "no trailing newline", text: "a\nb\nc", n: 1, want: "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, TailLines([]byte(tt.text), tt.n))
		})
	}
}

// A real child process: its output lands in its log, the environment is only what the
// spec gives, and StopAll ends it.
func TestStartLogsAndStops(t *testing.T) { //nolint:paralleltest // t.Setenv
	dir := t.TempDir()
	s := New(dir)
	t.Setenv("BENCH_LEAK", "from-the-shell")
	p, err := s.Start(Spec{
		Name: "sleeper",
		Bin:  "/bin/sh",
		Args: []string{"-c", `echo "given=$GIVEN leak=$BENCH_LEAK"; exec sleep 60`},
		Env:  map[string]string{"GIVEN": "yes"},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(p.Tail(5), "given=yes") }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "given=yes leak=", p.Tail(1), "only the spec's environment reaches the child")
	assert.Equal(t, filepath.Join(dir, "sleeper.log"), p.LogPath)

	s.StopAll(2 * time.Second)
	done, _ := p.Exited()
	assert.True(t, done)
	assert.ErrorIs(t, syscall.Kill(p.Pid(), 0), syscall.ESRCH, "the process is gone")
}

func TestWaitHTTP(t *testing.T) {
	t.Parallel()
	ready := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-ready:
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)

	s := New(t.TempDir())
	t.Cleanup(func() { s.StopAll(time.Second) })
	p, err := s.Start(Spec{Name: "idle", Bin: "/bin/sleep", Args: []string{"60"}})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = WaitHTTP(ctx, p, srv.URL, 200*time.Millisecond)
	require.Error(t, err, "a 503 is not ready")
	assert.Contains(t, err.Error(), "503")

	close(ready)
	require.NoError(t, WaitHTTP(ctx, p, srv.URL, 5*time.Second))

	quitter, err := s.Start(Spec{Name: "quitter", Bin: "/bin/sh", Args: []string{"-c", "exit 3"}})
	require.NoError(t, err)
	<-quitter.Done()
	err = WaitHTTP(ctx, quitter, "http://127.0.0.1:1/", 5*time.Second)
	require.ErrorIs(t, err, ErrExited, "a process that died is reported at once, not after the timeout")
}
