package respcache_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/internal/respcache"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newCache(t *testing.T, size, maxBytes int, ttl time.Duration) (*respcache.Cache, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := respcache.New(respcache.Options{Size: size, MaxBytes: maxBytes, TTL: ttl, Now: clk.Now})
	require.NotNil(t, c)
	return c, clk
}

func entry(body string) respcache.Entry {
	return respcache.Entry{Body: []byte(body), Provider: "openligadb"}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		maxAge time.Duration
		cap    time.Duration
		kept   time.Duration
	}{
		{name: "max-age shorter than the cap", maxAge: 3 * time.Second, cap: 10 * time.Second, kept: 3 * time.Second},
		{name: "the cap shorter than max-age", maxAge: 60 * time.Second, cap: 2 * time.Second, kept: 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, clk := newCache(t, 8, 1<<20, tc.cap)
			require.True(t, c.Put("/v1/leagues", entry(`[1]`), tc.maxAge, c.Generation()))

			clk.Advance(tc.kept - time.Millisecond)
			got, ok := c.Get("/v1/leagues")
			require.True(t, ok, "served until it expires")
			assert.Equal(t, `[1]`, string(got.Body))
			assert.Equal(t, "openligadb", got.Provider)

			clk.Advance(time.Millisecond)
			_, ok = c.Get("/v1/leagues")
			assert.False(t, ok, "gone at min(max-age, cap)")
			assert.Zero(t, c.Len(), "an expired entry is dropped when touched")
		})
	}
}

func TestNotKept(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t, 8, 8*1024, time.Minute)
	assert.False(t, c.Put("a", entry(`[]`), 0, c.Generation()), "no max-age: not kept")
	assert.False(t, c.Put("b", entry(`[]`), -time.Second, c.Generation()))
	big := make([]byte, 1024+1)
	assert.False(t, c.Put("c", respcache.Entry{Body: big}, time.Minute, c.Generation()), "larger than an eighth of the byte budget")
	assert.Zero(t, c.Len())
}

func TestSizeBound(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t, 3, 1<<20, time.Minute)
	for i := range 3 {
		require.True(t, c.Put(strconv.Itoa(i), entry(`[]`), time.Minute, c.Generation()))
	}
	_, ok := c.Get("0") // 0 is now the most recently used; 1 the least
	require.True(t, ok)
	require.True(t, c.Put("3", entry(`[]`), time.Minute, c.Generation()))
	assert.Equal(t, 3, c.Len())
	_, ok = c.Get("1")
	assert.False(t, ok, "the least recently used entry makes room")
	for _, k := range []string{"0", "2", "3"} {
		_, ok := c.Get(k)
		assert.True(t, ok, k)
	}
}

func TestByteBound(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t, 100, 8*100, time.Minute) // entries up to 100 bytes, 800 in all
	body := string(make([]byte, 100))
	for i := range 9 {
		require.True(t, c.Put(strconv.Itoa(i), entry(body), time.Minute, c.Generation()))
	}
	assert.Equal(t, 8, c.Len(), "the byte budget bounds the entries too")
	_, ok := c.Get("0")
	assert.False(t, ok)
}

func TestReplaceKeepsAccounting(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t, 100, 8*100, time.Minute)
	body := string(make([]byte, 100))
	for range 20 {
		require.True(t, c.Put("same", entry(body), time.Minute, c.Generation()))
	}
	assert.Equal(t, 1, c.Len())
	for i := range 7 {
		require.True(t, c.Put(strconv.Itoa(i), entry(body), time.Minute, c.Generation()))
	}
	assert.Equal(t, 8, c.Len(), "a replaced entry's bytes are not counted twice")
}

func TestPurge(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t, 8, 1<<20, time.Minute)
	require.True(t, c.Put("a", entry(`[]`), time.Minute, c.Generation()))
	inFlight := c.Generation() // a fetch that started before the invalidation
	c.Purge()
	_, ok := c.Get("a")
	assert.False(t, ok, "purged")
	assert.False(t, c.Put("b", entry(`[]`), time.Minute, inFlight), "an answer fetched before the purge may predate the invalidation")
	assert.True(t, c.Put("b", entry(`[]`), time.Minute, c.Generation()), "answers fetched after it are kept")
}

func TestDisabled(t *testing.T) {
	t.Parallel()
	for _, o := range []respcache.Options{
		{Size: 0, MaxBytes: 1 << 20, TTL: time.Second},
		{Size: 8, MaxBytes: 0, TTL: time.Second},
		{Size: 8, MaxBytes: 1 << 20, TTL: 0},
	} {
		c := respcache.New(o)
		assert.Nil(t, c)
		assert.False(t, c.Put("a", entry(`[]`), time.Minute, c.Generation()), "a nil cache keeps nothing")
		_, ok := c.Get("a")
		assert.False(t, ok)
		c.Purge()
		assert.Zero(t, c.Len())
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t, 16, 1<<20, time.Minute)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := strconv.Itoa((g + i) % 32)
				c.Put(k, entry(`[]`), time.Minute, c.Generation())
				c.Get(k)
				if i%50 == 0 {
					c.Purge()
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, c.Len(), 16)
}

func BenchmarkGet(b *testing.B) {
	c := respcache.New(respcache.Options{Size: 1024, MaxBytes: 16 << 20, TTL: time.Minute})
	c.Put("/v1/matches?league=bl1&season=2023", entry(`[]`), time.Minute, c.Generation())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Get("/v1/matches?league=bl1&season=2023"); !ok {
				b.Fatal("miss")
			}
		}
	})
}
