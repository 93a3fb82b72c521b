package health

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestReadiness(t *testing.T) {
	t.Parallel()
	down := func(context.Context) error { return errors.New("dial tcp 10.0.0.1:6379: refused") }
	up := func(context.Context) error { return nil }
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

	tests := []struct {
		name      string
		register  func(h *Checker)
		ready     bool
		degraded  bool
		component map[string]string
	}{
		{"all up", func(h *Checker) { h.Register("redis", up) }, true, false, map[string]string{"redis": "up"}},
		{"required down", func(h *Checker) { h.Register("redis", down) }, false, true, map[string]string{"redis": "down"}},
		{"optional down stays ready", func(h *Checker) {
			h.Register("redis", up)
			h.Register("cache", down, Optional())
		}, true, true, map[string]string{"redis": "up", "cache": "down"}},
		{"hanging check is bounded", func(h *Checker) { h.Register("upstream", hang) }, false, true, map[string]string{"upstream": "down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := New(50 * time.Millisecond)
			tt.register(h)
			rep := h.Check(t.Context())
			assert.Equal(t, tt.ready, rep.Ready)
			assert.Equal(t, tt.degraded, rep.Degraded())
			assert.Equal(t, tt.component, rep.Components, "names only, never the error or address")
		})
	}
}

func TestShuttingDownFailsReadiness(t *testing.T) {
	t.Parallel()
	h := New(time.Second)
	h.Register("redis", func(context.Context) error { return nil })
	assert.True(t, h.Check(t.Context()).Ready)
	h.SetShuttingDown()
	assert.False(t, h.Check(t.Context()).Ready)
}
