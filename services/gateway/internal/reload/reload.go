// Package reload keeps files in force while they change on disk. It watches each
// file's directory rather than the file, because Kubernetes updates a mounted
// ConfigMap or Secret by swapping the "..data" symlink in that directory: the file's
// own inode never changes, so a watch on it would see nothing. Every change is loaded,
// validated and applied atomically; a file that fails is logged and counted and the
// last good content stays in force.
package reload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
)

// File is one watched file.
type File struct {
	// Name labels the file in errors, logs and metrics: the variable naming it.
	Name string
	Path string
	// Apply validates and installs the content; an error leaves the old one in force.
	Apply func(raw []byte) error
}

// Metrics counts reloads by file and result.
type Metrics struct {
	reloads *prometheus.CounterVec
}

// NewMetrics registers gateway_config_reloads_total.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_config_reloads_total",
		Help: "Reloads of hot-reloaded files, by file and result (success|failure).",
	}, []string{"file", "result"})}
	reg.MustRegister(m.reloads)
	return m
}

// Watcher reloads files on change.
type Watcher struct {
	files   []*watched
	log     *slog.Logger
	metrics *Metrics
	// Resync re-reads every file at this interval as a safety net for missed events.
	resync time.Duration
	fsw    *fsnotify.Watcher
}

type watched struct {
	File
	last []byte
}

// ErrMissing is returned by Load when a file does not exist.
var ErrMissing = errors.New("file does not exist")

// New loads every file once and returns a watcher. A file that exists but fails to
// load is an error (the process must not start on a bad config); a missing file is
// logged and picked up when it appears.
func New(log *slog.Logger, m *Metrics, files ...File) (*Watcher, error) {
	w := &Watcher{log: log, metrics: m, resync: 30 * time.Second}
	for _, f := range files {
		if f.Path == "" {
			continue
		}
		wf := &watched{File: f}
		raw, err := os.ReadFile(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			log.Warn("config file missing, using defaults until it appears", slog.String("file", f.Path))
		case err != nil:
			return nil, fmt.Errorf("%s: reading %s: %w", f.Name, f.Path, err)
		default:
			if err := f.Apply(raw); err != nil {
				return nil, fmt.Errorf("%s: loading %s: %w", f.Name, f.Path, err)
			}
			wf.last = raw
			log.Info("config loaded", slog.String("file", f.Path), slog.String("config", f.Name))
		}
		w.files = append(w.files, wf)
	}
	if len(w.files) == 0 {
		return w, nil
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("creating file watcher: %w", err)
	}
	dirs := map[string]bool{}
	for _, f := range w.files {
		dir := filepath.Dir(f.Path)
		if dirs[dir] {
			continue
		}
		if err := fsw.Add(dir); err != nil {
			_ = fsw.Close()
			return nil, fmt.Errorf("watching %s: %w", dir, err)
		}
		dirs[dir] = true
	}
	w.fsw = fsw
	return w, nil
}

// Run reloads on changes until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	if w.fsw == nil {
		return
	}
	defer func() { _ = w.fsw.Close() }()
	tick := time.NewTicker(w.resync)
	defer tick.Stop()
	// Events come in bursts (the kubelet creates, renames and removes several entries);
	// a short quiet period folds a burst into one reload.
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			debounce = time.After(50 * time.Millisecond)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			w.log.Warn("file watcher error", slog.Any("error", err))
		case <-debounce:
			debounce = nil
			w.checkAll()
		case <-tick.C:
			w.checkAll()
		}
	}
}

func (w *Watcher) checkAll() {
	for _, f := range w.files {
		w.check(f)
	}
}

func (w *Watcher) check(f *watched) {
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		if f.last != nil {
			// A removed file keeps the last good content: deleting a ConfigMap must not
			// silently reset every client to the tier defaults.
			w.fail(f, fmt.Errorf("reading: %w", err))
			f.last = nil
		}
		return
	}
	if f.last != nil && bytes.Equal(raw, f.last) {
		return
	}
	if err := f.Apply(raw); err != nil {
		f.last = raw
		w.fail(f, err)
		return
	}
	f.last = raw
	w.metrics.reloads.WithLabelValues(f.Name, "success").Inc()
	w.log.Info("config reloaded", slog.String("file", f.Path), slog.String("config", f.Name))
}

func (w *Watcher) fail(f *watched, err error) {
	w.metrics.reloads.WithLabelValues(f.Name, "failure").Inc()
	w.log.Error("config reload failed, keeping the last good config", slog.String("file", f.Path), slog.String("config", f.Name), slog.Any("error", err))
}

// Counter exposes one series, for tests and for callers that report reloads elsewhere.
func (m *Metrics) Counter(file, result string) prometheus.Counter {
	return m.reloads.WithLabelValues(file, result)
}
