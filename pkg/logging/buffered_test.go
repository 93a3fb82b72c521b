package logging

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder counts the writes that reach it.
type recorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes++
	return r.buf.Write(p)
}

func (r *recorder) snapshot() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String(), r.writes
}

func TestBufferedWriter(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	w := NewBufferedWriter(rec, 256, time.Hour)
	line := strings.Repeat("x", 99) + "\n"
	for range 5 {
		_, err := w.Write([]byte(line))
		require.NoError(t, err)
	}
	out, writes := rec.snapshot()
	assert.Equal(t, 2, writes, "two flushes of two whole lines each, the fifth still buffered")
	assert.Equal(t, strings.Repeat(line, 4), out, "records are never split")
	require.NoError(t, w.Close())
	out, _ = rec.snapshot()
	assert.Equal(t, strings.Repeat(line, 5), out, "Close flushes the rest")
}

func TestBufferedWriterFlushesOnItsOwn(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	w := NewBufferedWriter(rec, 4096, 10*time.Millisecond)
	defer func() { _ = w.Close() }()
	_, err := w.Write([]byte("line\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { out, _ := rec.snapshot(); return out == "line\n" }, 5*time.Second, 5*time.Millisecond)
}
