package reload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/internal/reload"
)

type target struct {
	mu  sync.Mutex
	val string
}

func (t *target) apply(raw []byte) error {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, "bad") {
		return errors.New("refused")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.val = s
	return nil
}

func (t *target) get() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.val
}

// kubelet mimics the ConfigMap volume: name → ..data/name, ..data → ..gen.
func kubeletSwap(t *testing.T, dir string, gen int, content string) {
	g := fmt.Sprintf("..gen%d", gen)
	require.NoError(t, os.Mkdir(filepath.Join(dir, g), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, g, "f.yaml"), []byte(content), 0o644))
	require.NoError(t, os.Symlink(g, filepath.Join(dir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
}

func TestKubeletSwap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kubeletSwap(t, dir, 1, "one")
	require.NoError(t, os.Symlink("..data/f.yaml", filepath.Join(dir, "f.yaml")))

	var logs bytes.Buffer
	var lmu sync.Mutex
	log := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		lmu.Lock()
		defer lmu.Unlock()
		return logs.Write(p)
	}), nil))
	reg := prometheus.NewRegistry()
	m := reload.NewMetrics(reg)
	var tg target
	w, err := reload.New(log, m, reload.File{Name: "RATE_LIMIT_CONFIG", Path: filepath.Join(dir, "f.yaml"), Apply: tg.apply})
	require.NoError(t, err)
	assert.Equal(t, "one", tg.get())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.Run(ctx)

	kubeletSwap(t, dir, 2, "two")
	require.Eventually(t, func() bool { return tg.get() == "two" }, 5*time.Second, 10*time.Millisecond)

	kubeletSwap(t, dir, 3, "bad file")
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(m.Counter("RATE_LIMIT_CONFIG", "failure")) == 1
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "two", tg.get(), "the last good content stays")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Counter("RATE_LIMIT_CONFIG", "success")))
	lmu.Lock()
	assert.Contains(t, logs.String(), `"msg":"config reloaded"`)
	lmu.Unlock()
}

func TestStartup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("bad"), 0o600))
	var tg target
	log := slog.New(slog.DiscardHandler)
	_, err := reload.New(log, reload.NewMetrics(prometheus.NewRegistry()), reload.File{Name: "CLIENT_CREDENTIALS", Path: bad, Apply: tg.apply})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CLIENT_CREDENTIALS", "the error names the variable")

	missing := filepath.Join(dir, "later.yaml")
	w, err := reload.New(log, reload.NewMetrics(prometheus.NewRegistry()), reload.File{Name: "X", Path: missing, Apply: tg.apply})
	require.NoError(t, err, "a missing file starts with defaults")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.Run(ctx)
	require.NoError(t, os.WriteFile(missing, []byte("late"), 0o600))
	require.Eventually(t, func() bool { return tg.get() == "late" }, 5*time.Second, 10*time.Millisecond)
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
