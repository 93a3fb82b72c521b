package readthrough_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/cache/internal/query"
	"github.com/football-tracker/backend/services/cache/internal/readthrough"
	"github.com/football-tracker/backend/services/cache/internal/store"
	"github.com/football-tracker/backend/services/cache/internal/upstream"
)

// scriptedStore is a Store whose answers each test scripts; it stands in for Redis
// only where real Redis cannot be made to fail at one exact step.
type scriptedStore struct {
	keys   *store.Store
	get    func() (store.Lookup, error)
	lock   func() (string, error)
	peek   func() (store.Lookup, bool, error)
	puts   atomic.Int64
	unlock atomic.Int64
}

func (s *scriptedStore) KeyFor(tag, canonical string) store.Key               { return s.keys.KeyFor(tag, canonical) }
func (s *scriptedStore) Get(context.Context, store.Key) (store.Lookup, error) { return s.get() }
func (s *scriptedStore) Peek(context.Context, store.Key) (store.Lookup, bool, error) {
	return s.peek()
}

func (s *scriptedStore) Put(context.Context, store.Key, store.Entry, time.Duration) error {
	s.puts.Add(1)
	return nil
}
func (s *scriptedStore) Delete(context.Context, store.Key) error { return nil }
func (s *scriptedStore) Lock(context.Context, store.Key, time.Duration) (string, error) {
	return s.lock()
}

func (s *scriptedStore) Unlock(context.Context, store.Key, string) error {
	s.unlock.Add(1)
	return nil
}
func (s *scriptedStore) Invalidate(context.Context, []string) error { return nil }

type countingFetcher struct{ calls atomic.Int64 }

func (f *countingFetcher) Get(context.Context, string, string) (upstream.Response, error) {
	f.calls.Add(1)
	return upstream.Response{Status: http.StatusOK, Body: []byte(`[]`), Provider: "openligadb"}, nil
}

var now = time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)

func newCache(st readthrough.Store, f readthrough.Fetcher) *readthrough.Cache {
	return readthrough.New(readthrough.Options{
		Store: st, Fetcher: f,
		Policy: readthrough.Policy{
			TTL:                  map[query.Resource]time.Duration{query.Leagues: time.Minute},
			StaleWhileRevalidate: time.Minute, StaleIfError: time.Hour,
			MaxEntryBytes: 1 << 20, UpstreamTimeout: time.Second, Wait: time.Second,
			PollInterval: time.Millisecond,
		},
		Metrics: readthrough.NewMetrics(prometheus.NewRegistry()),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     func() time.Time { return now },
	})
}

var leagues = query.Query{Resource: query.Leagues, Canonical: "all"}

func TestRedisFailsBetweenReadAndLock(t *testing.T) {
	t.Parallel()
	st := &scriptedStore{
		keys: store.New(nil, store.Options{Prefix: "ft:"}),
		get:  func() (store.Lookup, error) { return store.Lookup{}, nil },
		lock: func() (string, error) { return "", store.ErrUnavailable },
	}
	f := &countingFetcher{}
	res, err := newCache(st, f).Get(t.Context(), leagues)
	require.NoError(t, err)
	assert.Equal(t, readthrough.Miss, res.Outcome)
	assert.Equal(t, http.StatusOK, res.Status)
	assert.EqualValues(t, 1, f.calls.Load())
	assert.Zero(t, st.puts.Load(), "no write to a Redis that just failed")
	assert.Zero(t, st.unlock.Load())
}

// A request with nothing to serve that joins a background refresh which left the work
// to another replica still gets an answer.
func TestMissJoiningSkippedRefreshFetches(t *testing.T) {
	t.Parallel()
	stale := &store.Entry{Body: []byte(`["old"]`), FetchedAt: now.Add(-90 * time.Second)}
	var gets atomic.Int64
	lockAsked := make(chan struct{})
	releaseLock := make(chan struct{})
	var once sync.Once
	st := &scriptedStore{
		keys: store.New(nil, store.Options{Prefix: "ft:"}),
		get: func() (store.Lookup, error) {
			if gets.Add(1) == 1 {
				return store.Lookup{Entry: stale}, nil // stale: starts the background refresh
			}
			return store.Lookup{}, nil // the next request finds nothing
		},
		lock: func() (string, error) {
			once.Do(func() {
				close(lockAsked)
				<-releaseLock
			})
			return "", nil // another replica holds it
		},
		peek: func() (store.Lookup, bool, error) { return store.Lookup{}, false, nil },
	}
	f := &countingFetcher{}
	c := newCache(st, f)

	res, err := c.Get(t.Context(), leagues)
	require.NoError(t, err)
	assert.Equal(t, readthrough.Stale, res.Outcome)
	<-lockAsked

	done := make(chan readthrough.Result)
	go func() {
		r, err := c.Get(context.WithoutCancel(t.Context()), leagues)
		assert.NoError(t, err)
		done <- r
	}()
	// Bias the interleaving so the second request joins the refresh's flight before
	// the refresh gives up. Every interleaving must give the same answer (joined or
	// not), so this is no synchronisation the assertions depend on.
	for gets.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(releaseLock)
	r := <-done
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, readthrough.Miss, r.Outcome)
	assert.EqualValues(t, 1, f.calls.Load(), "fetched once, for the request that had nothing")
	require.NoError(t, c.Drain(t.Context()))
}

func TestInvalidateNamespaces(t *testing.T) {
	t.Parallel()
	st := &scriptedStore{keys: store.New(nil, store.Options{Prefix: "ft:"})}
	c := readthrough.New(readthrough.Options{
		Store: st, Metrics: readthrough.NewMetrics(prometheus.NewRegistry()),
		Leagues: []string{"bl1", "pl"},
	})
	tests := []struct {
		name, resource, league string
		want                   []string
		err                    error
	}{
		{name: "matches of one league", resource: "matches", league: "bl1", want: []string{"matches:bl1"}},
		{name: "teams of every league", resource: "teams", want: []string{"teams:bl1", "teams:pl"}},
		{name: "match ignores league", resource: "match", league: "bl1", want: []string{"match"}},
		{name: "all of one league", resource: "all", league: "pl", want: []string{"matches:pl", "match", "leagues", "teams:pl"}},
		{name: "unknown", resource: "players", err: readthrough.ErrUnknownResource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Invalidate(t.Context(), tc.resource, tc.league)
			if tc.err != nil {
				assert.True(t, errors.Is(err, tc.err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
