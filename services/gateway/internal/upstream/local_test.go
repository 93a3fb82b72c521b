package upstream_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/internal/respcache"
	"github.com/football-tracker/backend/services/gateway/internal/upstream"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// cacheService answers like the cache service: X-Cache, X-Provider and Cache-Control
// taken from the query (xc, cc), and counts the calls per path and query.
type cacheService struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int
	posts atomic.Int64
}

func newCacheService(t *testing.T) *cacheService {
	t.Helper()
	s := &cacheService{calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			s.posts.Add(1)
			_, _ = w.Write([]byte(`{"invalidated":["matches"]}`))
			return
		}
		s.mu.Lock()
		s.calls[r.URL.RequestURI()]++
		n := s.calls[r.URL.RequestURI()]
		s.mu.Unlock()
		q := r.URL.Query()
		w.Header().Set("X-Cache", q.Get("xc"))
		w.Header().Set("X-Provider", "openligadb")
		if cc := q.Get("cc"); cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		if q.Get("fail") != "" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"success":false,"error":{"code":"NOT_FOUND","message":"x"},"timestamp":"x"}`))
			return
		}
		_, _ = w.Write([]byte(`[` + string(rune('0'+n)) + `]`))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *cacheService) count(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[uri]
}

func newLocalClient(t *testing.T, cacheURL string, ttl time.Duration) (*upstream.Client, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return upstream.New(upstream.Options{
		CacheURL: cacheURL, AdapterURL: "http://127.0.0.1:1",
		HTTP:   &http.Client{Timeout: time.Second},
		Logger: slog.New(slog.DiscardHandler),
		Local:  respcache.New(respcache.Options{Size: 16, MaxBytes: 1 << 20, TTL: ttl, Now: clk.Now}),
	}), clk
}

func TestResponseCacheKeeps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		query string
		fail  bool
		kept  bool
	}{
		{name: "a HIT with max-age", query: "xc=HIT&cc=max-age%3D30", kept: true},
		{name: "a HIT with max-age among other directives", query: "xc=HIT&cc=public,+max-age%3D30", kept: true},
		{name: "a HIT without max-age", query: "xc=HIT"},
		{name: "a HIT with max-age=0", query: "xc=HIT&cc=max-age%3D0"},
		{name: "a HIT with no-store", query: "xc=HIT&cc=no-store"},
		{name: "a MISS: asked once, not hot yet", query: "xc=MISS&cc=max-age%3D30"},
		{name: "a STALE answer", query: "xc=STALE&cc=max-age%3D30"},
		{name: "an upstream failure", query: "xc=HIT&cc=max-age%3D30&fail=1", fail: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := newCacheService(t)
			up, _ := newLocalClient(t, svc.URL, time.Minute)
			first, err := up.Get(t.Context(), "/v1/matches", tc.query)
			if tc.fail {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				assert.False(t, first.Local)
			}
			second, err := up.Get(t.Context(), "/v1/matches", tc.query)
			if tc.fail {
				require.Error(t, err)
				assert.Equal(t, 2, svc.count("/v1/matches?"+tc.query), "a failure is asked again")
				return
			}
			require.NoError(t, err)
			if !tc.kept {
				assert.Equal(t, 2, svc.count("/v1/matches?"+tc.query), "not kept: the cache service is asked again")
				assert.False(t, second.Local)
				return
			}
			assert.Equal(t, 1, svc.count("/v1/matches?"+tc.query), "kept: the cache service is not called")
			assert.True(t, second.Local)
			assert.True(t, second.Cached, "the envelope says cached")
			assert.Equal(t, "cache", second.Source)
			assert.Equal(t, "openligadb", second.Provider)
			assert.Equal(t, string(first.Body), string(second.Body))
		})
	}
}

func TestResponseCacheExpiry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cc   string
		cap  time.Duration
		kept time.Duration
	}{
		{name: "expires at max-age", cc: "max-age%3D3", cap: time.Minute, kept: 3 * time.Second},
		{name: "expires at the cap", cc: "max-age%3D60", cap: 2 * time.Second, kept: 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := newCacheService(t)
			up, clk := newLocalClient(t, svc.URL, tc.cap)
			q := "xc=HIT&cc=" + tc.cc
			_, err := up.Get(t.Context(), "/v1/leagues", q)
			require.NoError(t, err)
			clk.Advance(tc.kept - time.Millisecond)
			r, err := up.Get(t.Context(), "/v1/leagues", q)
			require.NoError(t, err)
			assert.True(t, r.Local, "still fresh")
			clk.Advance(time.Millisecond)
			r, err = up.Get(t.Context(), "/v1/leagues", q)
			require.NoError(t, err)
			assert.False(t, r.Local, "expired: asked again")
			assert.Equal(t, 2, svc.count("/v1/leagues?"+q))
		})
	}
}

func TestResponseCacheKeyIsPathAndQuery(t *testing.T) {
	t.Parallel()
	svc := newCacheService(t)
	up, _ := newLocalClient(t, svc.URL, time.Minute)
	for _, path := range []string{"/v1/matches", "/v1/teams"} {
		for _, q := range []string{"xc=HIT&cc=max-age%3D30&league=bl1", "xc=HIT&cc=max-age%3D30&league=bl2"} {
			_, err := up.Get(t.Context(), path, q)
			require.NoError(t, err)
			r, err := up.Get(t.Context(), path, q)
			require.NoError(t, err)
			assert.True(t, r.Local)
			assert.Equal(t, 1, svc.count(path+"?"+q), "each path and query is its own entry")
		}
	}
}

func TestInvalidatePurgesResponseCache(t *testing.T) {
	t.Parallel()
	svc := newCacheService(t)
	up, _ := newLocalClient(t, svc.URL, time.Minute)
	const q = "xc=HIT&cc=max-age%3D30"
	_, err := up.Get(t.Context(), "/v1/matches", q)
	require.NoError(t, err)
	r, err := up.Get(t.Context(), "/v1/matches", q)
	require.NoError(t, err)
	require.True(t, r.Local)

	_, err = up.Invalidate(t.Context(), []byte(`{"resource":"matches"}`))
	require.NoError(t, err)
	assert.EqualValues(t, 1, svc.posts.Load())

	r, err = up.Get(t.Context(), "/v1/matches", q)
	require.NoError(t, err)
	assert.False(t, r.Local, "after an invalidation the cache service is asked again")
	assert.Equal(t, `[2]`, string(r.Body))
}

func TestInvalidatePurgesEvenWhenTheCacheFails(t *testing.T) {
	t.Parallel()
	svc := newCacheService(t)
	up, _ := newLocalClient(t, svc.URL, time.Minute)
	const q = "xc=HIT&cc=max-age%3D30"
	_, err := up.Get(t.Context(), "/v1/matches", q)
	require.NoError(t, err)
	svc.Close() // the cache service goes away
	_, err = up.Invalidate(t.Context(), []byte(`{"resource":"matches"}`))
	require.Error(t, err)
	_, err = up.Get(t.Context(), "/v1/matches", q)
	require.Error(t, err, "not answered from the purged copy (and the adapter is down too)")
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cc   string
		want time.Duration
	}{
		{name: "absent", cc: "", want: 0},
		{name: "max-age", cc: "max-age=30", want: 30 * time.Second},
		{name: "with others", cc: "public, max-age=5", want: 5 * time.Second},
		{name: "upper case", cc: "Max-Age=5", want: 5 * time.Second},
		{name: "no-store wins", cc: "max-age=5, no-store", want: 0},
		{name: "no-cache", cc: "no-cache, max-age=5", want: 0},
		{name: "private", cc: "private, max-age=5", want: 0},
		{name: "negative", cc: "max-age=-1", want: 0},
		{name: "not a number", cc: "max-age=soon", want: 0},
		{name: "quoted", cc: `max-age="5"`, want: 0},
		{name: "absurd", cc: "max-age=99999999999", want: 0},
		{name: "no value", cc: "max-age", want: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, upstream.MaxAge(tc.cc))
		})
	}
}

func FuzzMaxAge(f *testing.F) {
	for _, s := range []string{"", "max-age=30", "public, max-age=5", "no-store", "max-age=-1", ",,,=", "max-age=1,max-age=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cc string) {
		d := upstream.MaxAge(cc)
		if d < 0 || d > 365*24*time.Hour {
			t.Fatalf("MaxAge(%q) = %s", cc, d)
		}
	})
}
