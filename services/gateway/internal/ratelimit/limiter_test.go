package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
)

// newLimiter gives Redis a generous budget: the tests share two cores with others, and
// a slow answer must not be mistaken for an outage. TestRedisDown sets its own.
func newLimiter(t testing.TB, rdb redis.UniversalClient, mode ratelimit.FailMode) *ratelimit.Limiter {
	t.Helper()
	return newLimiterBudget(t, rdb, mode, 2*time.Second)
}

func newLimiterBudget(t testing.TB, rdb redis.UniversalClient, mode ratelimit.FailMode, budget time.Duration) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.NewLimiter(rdb, ratelimit.Options{FailMode: mode, Budget: budget})
	require.NoError(t, err)
	return l
}

// TestScriptMatchesRedisRate drives the two-window script with a single window and
// redis_rate's own AllowN side by side: same decisions, same remaining counts.
func TestScriptMatchesRedisRate(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	l := newLimiter(t, rdb, ratelimit.FailClosed)
	ref := redis_rate.NewLimiter(rdb)
	for _, lim := range []redis_rate.Limit{redis_rate.PerSecond(5), redis_rate.PerMinute(10), {Rate: 3, Burst: 3, Period: time.Hour}} {
		t.Run(lim.String(), func(t *testing.T) {
			ctx := t.Context()
			var first time.Duration
			for i := range lim.Burst + 3 {
				start := time.Now()
				got, err := l.Allow(ctx, "ft:test:ours:"+lim.String(), []ratelimit.Window{lim}, "")
				require.NoError(t, err)
				want, err := ref.Allow(ctx, "theirs:"+lim.String(), lim)
				require.NoError(t, err)
				// The two keys see Redis' clock this far apart now, and started this far
				// apart: the arrival times, hence retry-after, differ by at most both.
				between := time.Since(start)
				if i == 0 {
					first = between
				}
				assert.Equal(t, want.Allowed > 0, got.Allowed, "request %d", i+1)
				// redis_rate truncates a float that may sit a hair under the integer.
				assert.InDelta(t, want.Remaining, got.Windows[0].Remaining, 1, "request %d", i+1)
				if !got.Allowed {
					assert.InDelta(t, want.RetryAfter.Seconds(), got.RetryAfter.Seconds(), (first+between).Seconds()+0.01)
				}
			}
		})
	}
}

func TestBothWindowsAtTheBoundary(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	l := newLimiter(t, rdb, ratelimit.FailClosed)
	cases := []struct {
		name      string
		perMinute int
		perDay    int
		limit     int
		binding   time.Duration
		// refill is the emission interval of the binding window: requests that take
		// longer than that to send earn one more.
		refill time.Duration
	}{
		{"minute binds: the 101st is refused", 100, 10_000, 100, time.Minute, 600 * time.Millisecond},
		{"day binds: the 6th is refused", 100, 5, 5, 24 * time.Hour, 24 * time.Hour / 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := ratelimit.Windows(tc.perMinute, tc.perDay)
			key := "ft:rl:user:" + tc.name
			start := time.Now()
			allowed := 0
			var d ratelimit.Decision
			for {
				var err error
				d, err = l.Allow(t.Context(), key, ws, "")
				require.NoError(t, err)
				if !d.Allowed {
					break
				}
				allowed++
				require.LessOrEqual(t, allowed, 2*tc.limit)
			}
			extra := int(time.Since(start) / tc.refill)
			assert.GreaterOrEqual(t, allowed, tc.limit)
			assert.LessOrEqual(t, allowed, tc.limit+extra)
			assert.Equal(t, 0, d.Binding().Remaining)
			assert.Equal(t, tc.binding, d.Binding().Window.Period)
			assert.Positive(t, d.RetryAfter)
			assert.LessOrEqual(t, d.RetryAfter, tc.refill)
			ttl, err := rdb.PTTL(t.Context(), key).Result()
			require.NoError(t, err)
			assert.Positive(t, ttl, "every key has a TTL")
		})
	}
}

func TestRefusalSpendsNothing(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l := newLimiter(t, srv.Client(), ratelimit.FailClosed)
	// The day window refuses: the minute window must not be charged for it.
	ws := ratelimit.Windows(10, 2)
	for range 2 {
		_, err := l.Allow(t.Context(), "ft:rl:user:x", ws, "")
		require.NoError(t, err)
	}
	var d ratelimit.Decision
	for range 5 {
		var err error
		d, err = l.Allow(t.Context(), "ft:rl:user:x", ws, "")
		require.NoError(t, err)
		require.False(t, d.Allowed)
	}
	assert.True(t, d.Windows[1].Refused)
	assert.False(t, d.Windows[0].Refused)
	// 10 - 2 charged - this one: refusals were not charged to the minute window.
	assert.Equal(t, 7, d.Windows[0].Remaining)
}

func TestRevocationCheckedInTheSameRoundTrip(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	require.NoError(t, rdb.Set(t.Context(), "ft:jwt:revoked:abc", "1", time.Minute).Err())
	l := newLimiter(t, rdb, ratelimit.FailClosed)
	for _, tc := range []struct {
		name, key string
		revoked   bool
	}{{"revoked", "ft:jwt:revoked:abc", true}, {"not revoked", "ft:jwt:revoked:def", false}, {"none", "", false}} {
		d, err := l.Allow(t.Context(), "ft:rl:user:r", ratelimit.Windows(10, 10), tc.key)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.revoked, d.Revoked, tc.name)
	}
}

func TestScriptReloadedAfterFlush(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	l := newLimiter(t, rdb, ratelimit.FailClosed)
	_, err := l.Allow(t.Context(), "ft:rl:a", ratelimit.Windows(10, 10), "")
	require.NoError(t, err)
	require.NoError(t, rdb.ScriptFlush(t.Context()).Err())
	d, err := l.Allow(t.Context(), "ft:rl:a", ratelimit.Windows(10, 10), "")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
}

func TestRedisDown(t *testing.T) {
	t.Parallel()
	for _, mode := range []ratelimit.FailMode{ratelimit.FailOpen, ratelimit.FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t)
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, MaxRetries: 1})
			t.Cleanup(func() { _ = rdb.Close() })
			l := newLimiterBudget(t, rdb, mode, 100*time.Millisecond)
			ws := ratelimit.Windows(3, 100)
			_, err := l.Allow(t.Context(), "k", ws, "")
			require.NoError(t, err)
			srv.Stop()

			start := time.Now()
			allowed := 0
			for i := range 10 {
				d, err := l.Allow(t.Context(), "k", ws, "ft:jwt:revoked:x")
				if mode == ratelimit.FailClosed {
					require.ErrorIs(t, err, ratelimit.ErrUnavailable, "request %d", i)
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, "local", d.Source)
				if d.Allowed {
					allowed++
				}
			}
			assert.Less(t, time.Since(start), time.Second, "ten requests must not each wait for Redis")
			if mode == ratelimit.FailOpen {
				assert.Equal(t, 3, allowed, "the local limiter enforces the same windows")
			}
		})
	}
}

func TestLocalLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	l, err := ratelimit.NewLocal(10, func() time.Time { return now })
	require.NoError(t, err)
	ws := ratelimit.Windows(2, 3)
	for i, want := range []bool{true, true, false} {
		assert.Equal(t, want, l.Allow("a", ws).Allowed, "request %d", i+1)
	}
	now = now.Add(time.Minute)
	assert.True(t, l.Allow("a", ws).Allowed, "the minute window refilled")
	assert.False(t, l.Allow("a", ws).Allowed, "the day window is spent")
	assert.True(t, l.Allow("b", ws).Allowed, "keys are independent")
}

func BenchmarkAllow(b *testing.B) {
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { _ = rdb.Close() })
	l := newLimiter(b, rdb, ratelimit.FailOpen)
	ws := ratelimit.Windows(1_000_000, 100_000_000)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := l.Allow(ctx, fmt.Sprintf("ft:rl:user:u%d", i%64), ws, "ft:jwt:revoked:x"); err != nil {
			b.Fatal(err)
		}
	}
}
