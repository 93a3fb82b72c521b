package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/redistest"
)

// gate holds every pipeline of decisions until it is opened and counts pipelines and the
// decisions (EVALSHA/EVAL) they carry.
type gate struct {
	open      chan struct{}
	pipelines atomic.Int64
	held      atomic.Int64 // decisions inside held pipelines
	waiting   atomic.Int64 // pipelines held
}

func (g *gate) DialHook(next redis.DialHook) redis.DialHook { return next }

func (g *gate) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (g *gate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var n int64
		for _, c := range cmds {
			if name := c.Name(); name == "evalsha" || name == "eval" {
				n++
			}
		}
		if n == 0 { // the connection's own set-up (HELLO, CLIENT SETINFO)
			return next(ctx, cmds)
		}
		g.pipelines.Add(1)
		g.held.Add(n)
		g.waiting.Add(1)
		<-g.open
		return next(ctx, cmds)
	}
}

// Concurrent decisions share pipelines, and each is still its own atomic script: a
// hundred requests of one subject against a limit of 40 get exactly 40 allowed.
func TestConcurrentDecisionsShareRoundTrips(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	g := &gate{open: make(chan struct{})}
	rdb.AddHook(g)
	l, err := NewLimiter(rdb, Options{FailMode: FailClosed, Budget: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(l.Close)

	const n = 100
	ws := Windows(40, 1000)
	var allowed, revoked atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			revokedKey := ""
			if i%10 == 0 {
				revokedKey = "ft:jwt:revoked:" + strconv.Itoa(i)
			}
			d, err := l.Allow(t.Context(), "ft:rl:user:one", ws, revokedKey)
			assert.NoError(t, err)
			if d.Allowed {
				allowed.Add(1)
			}
			if d.Revoked {
				revoked.Add(1)
			}
		})
	}
	require.NoError(t, rdb.Set(t.Context(), "ft:jwt:revoked:0", "1", time.Minute).Err())
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(g.open) }) })
	// Every decision is either in a held pipeline or queued behind busy workers.
	settled := func() bool {
		queued := int64(len(l.batch.calls))
		return g.held.Load()+queued == n && (queued == 0 || g.waiting.Load() == batchWorkers)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !settled() {
		require.True(t, time.Now().Before(deadline), "waiting %d, held %d, queued %d", g.waiting.Load(), g.held.Load(), len(l.batch.calls))
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("settled: waiting %d, held %d, queued %d", g.waiting.Load(), g.held.Load(), len(l.batch.calls))
	release.Do(func() { close(g.open) })
	wg.Wait()

	assert.EqualValues(t, 40, allowed.Load(), "the limit holds across batches")
	assert.EqualValues(t, 1, revoked.Load(), "each decision reads its own revocation key")
	assert.LessOrEqual(t, g.pipelines.Load(), int64(batchWorkers+(n+batchMax-1)/batchMax+batchWorkers),
		"queued decisions go in a few pipelines, not one each")
}

// A decision alone is sent at once: batching adds no wait when there is no load.
func TestLoneDecisionIsNotDelayed(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l, err := NewLimiter(srv.Client(), Options{FailMode: FailClosed, Budget: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(l.Close)
	for i := range 20 {
		d, err := l.Allow(t.Context(), "ft:rl:user:lone", Windows(100, 1000), "")
		require.NoError(t, err)
		assert.Equal(t, 99-i, d.Binding().Remaining)
	}
}

// After SCRIPT FLUSH, a whole batch is refused NOSCRIPT: it is sent again with the
// script's body, and no decision is counted twice.
func TestBatchAfterScriptFlush(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	l, err := NewLimiter(rdb, Options{FailMode: FailClosed, Budget: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(l.Close)
	_, err = l.Allow(t.Context(), "ft:rl:user:f", Windows(1000, 100000), "")
	require.NoError(t, err)
	require.NoError(t, rdb.ScriptFlush(t.Context()).Err())

	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			_, err := l.Allow(t.Context(), "ft:rl:user:f", Windows(1000, 100000), "")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	d, err := l.Allow(t.Context(), "ft:rl:user:f", Windows(1000, 100000), "")
	require.NoError(t, err)
	assert.Equal(t, 1000-32, d.Binding().Remaining, "31 earlier decisions and this one, each counted once")
}

// A closed limiter refuses new decisions instead of hanging; fail-open falls back.
func TestClosedLimiterFallsBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l, err := NewLimiter(srv.Client(), Options{FailMode: FailOpen, Budget: time.Second})
	require.NoError(t, err)
	l.Close()
	d, err := l.Allow(t.Context(), "ft:rl:user:c", Windows(10, 10), "")
	require.NoError(t, err)
	assert.Equal(t, "local", d.Source)
}
