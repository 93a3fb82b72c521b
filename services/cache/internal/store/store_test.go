package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/redisclient"
	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/cache/internal/store"
)

func newStore(t *testing.T, srv *redistest.Server) *store.Store {
	t.Helper()
	client, err := redisclient.New(config.Redis{URL: srv.URL(), DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	return store.New(client, store.Options{Prefix: "ft:", GenTTL: time.Hour, BreakerCooldown: 50 * time.Millisecond})
}

func TestPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := t.Context()
	k := s.KeyFor("matches:bl1", "league=bl1")
	assert.Equal(t, "ft:cache:v1:{matches:bl1}:league=bl1", k.String())

	l, err := s.Get(ctx, k)
	require.NoError(t, err)
	assert.Nil(t, l.Entry)
	assert.Zero(t, l.Gen)

	fetched := time.UnixMilli(time.Now().UnixMilli())
	require.NoError(t, s.Put(ctx, k, store.Entry{Body: []byte(`[{"id":"ol-1"}]`), Provider: "openligadb", FetchedAt: fetched}, time.Minute))
	l, err = s.Get(ctx, k)
	require.NoError(t, err)
	require.NotNil(t, l.Entry)
	assert.Equal(t, `[{"id":"ol-1"}]`, string(l.Entry.Body))
	assert.Equal(t, "openligadb", l.Entry.Provider)
	assert.True(t, fetched.Equal(l.Entry.FetchedAt))

	ttl, err := srv.Client().PTTL(ctx, k.String()).Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Minute.Seconds(), ttl.Seconds(), 1)
}

func TestCorruptValueIsAMiss(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv)
	k := s.KeyFor("leagues", "all")
	for _, v := range []string{"", "x", "\x01short", "\x02" + string(make([]byte, 40))} {
		require.NoError(t, srv.Client().Set(t.Context(), k.String(), v, time.Minute).Err())
		l, err := s.Get(t.Context(), k)
		require.NoError(t, err)
		assert.Nil(t, l.Entry, "value %q", v)
	}
}

// A fetch that read the generation before an invalidation stores its answer under the
// old generation: it must not be served afterwards.
func TestInvalidationBeatsInFlightFetch(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := t.Context()
	k := s.KeyFor("teams:bl1", "league=bl1")
	other := s.KeyFor("teams:bl2", "league=bl2")
	require.NoError(t, s.Put(ctx, other, store.Entry{Body: []byte("b"), FetchedAt: time.Now()}, time.Minute))

	before, err := s.Get(ctx, k)
	require.NoError(t, err)
	require.NoError(t, s.Invalidate(ctx, []string{"teams:bl1"}))
	require.NoError(t, s.Put(ctx, k, store.Entry{Body: []byte("old"), FetchedAt: time.Now(), Gen: before.Gen}, time.Minute))

	after, err := s.Get(ctx, k)
	require.NoError(t, err)
	assert.Nil(t, after.Entry, "the pre-invalidation answer is invisible")
	assert.Equal(t, before.Gen+1, after.Gen)

	require.NoError(t, s.Put(ctx, k, store.Entry{Body: []byte("new"), FetchedAt: time.Now(), Gen: after.Gen}, time.Minute))
	fresh, err := s.Get(ctx, k)
	require.NoError(t, err)
	require.NotNil(t, fresh.Entry)
	assert.Equal(t, "new", string(fresh.Entry.Body))

	untouched, err := s.Get(ctx, other)
	require.NoError(t, err)
	assert.NotNil(t, untouched.Entry, "another league's namespace is untouched")

	genTTL, err := srv.Client().PTTL(ctx, "ft:cache:v1:{teams:bl1}:gen").Result()
	require.NoError(t, err)
	assert.Positive(t, genTTL, "the generation key expires")
}

func TestLock(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := t.Context()
	k := s.KeyFor("match", "id=ol-1")

	tok, err := s.Lock(ctx, k, time.Second)
	require.NoError(t, err)
	require.NotEmpty(t, tok)
	second, err := s.Lock(ctx, k, time.Second)
	require.NoError(t, err)
	assert.Empty(t, second, "held by the first")

	_, locked, err := s.Peek(ctx, k)
	require.NoError(t, err)
	assert.True(t, locked)

	require.NoError(t, s.Unlock(ctx, k, "not-the-token"))
	_, locked, err = s.Peek(ctx, k)
	require.NoError(t, err)
	assert.True(t, locked, "a stranger's token does not release the lock")

	require.NoError(t, s.Unlock(ctx, k, tok))
	_, locked, err = s.Peek(ctx, k)
	require.NoError(t, err)
	assert.False(t, locked)

	ttl, err := srv.Client().PTTL(ctx, "ft:cache:v1:{match}:lock:id=ol-1").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-2), ttl, "gone")
	tok, err = s.Lock(ctx, k, time.Second)
	require.NoError(t, err)
	ttl, err = srv.Client().PTTL(ctx, "ft:cache:v1:{match}:lock:id=ol-1").Result()
	require.NoError(t, err)
	assert.Positive(t, ttl, "a lock always expires")
	require.NoError(t, s.Unlock(ctx, k, tok))
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv)
	ctx := t.Context()
	k := s.KeyFor("leagues", "all")
	_, err := s.Get(ctx, k)
	require.NoError(t, err)
	assert.True(t, s.Up())

	srv.Stop()
	for range 3 {
		_, err = s.Get(ctx, k)
		require.ErrorIs(t, err, store.ErrUnavailable)
	}
	assert.False(t, s.Up())
	assert.Equal(t, "open", s.BreakerState().String())
	start := time.Now()
	_, err = s.Get(ctx, k)
	require.ErrorIs(t, err, store.ErrUnavailable)
	assert.Less(t, time.Since(start), 5*time.Millisecond, "an open breaker answers without touching Redis")

	srv.Restart()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, err = s.Get(ctx, k); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "store did not recover: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
	assert.True(t, s.Up())
	assert.Equal(t, "closed", s.BreakerState().String())
}
