// Package respcache keeps hot upstream answers in the gateway's memory for as long as
// the cache service says they stay fresh (its Cache-Control max-age), capped so an
// invalidation made through another replica shows within the cap. It saves the
// upstream round trip only: authentication, revocation and rate limits run before it.
package respcache

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// Entry is one kept answer. Body is shared by every reader and must not be modified.
type Entry struct {
	Body     []byte
	Provider string
}

// Options configure a Cache.
type Options struct {
	// Size bounds the number of entries; 0 disables the cache.
	Size int
	// MaxBytes bounds the bodies kept, together; an answer larger than an eighth of it
	// is never kept, so one big answer cannot flush every hot one.
	MaxBytes int
	// TTL caps how long an answer is kept, whatever max-age says.
	TTL time.Duration
	// Now is the clock (tests inject one).
	Now func() time.Time
}

// Cache is a bounded LRU with a per-entry expiry. It is safe for concurrent use; a nil
// *Cache is a disabled cache.
type Cache struct {
	mu       sync.Mutex
	items    map[string]*list.Element
	order    *list.List // front = most recently used
	bytes    int
	size     int
	maxBytes int
	maxEntry int
	ttl      time.Duration
	now      func() time.Time
	// gen counts purges: an answer fetched before a purge must not be kept after it.
	gen atomic.Uint64
}

type item struct {
	key     string
	entry   Entry
	expires time.Time
}

// New returns a cache, or nil (disabled) when Size, MaxBytes or TTL is not positive.
func New(opts Options) *Cache {
	if opts.Size <= 0 || opts.MaxBytes <= 0 || opts.TTL <= 0 {
		return nil
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{
		items: make(map[string]*list.Element, min(opts.Size, 1024)), order: list.New(),
		size: opts.Size, maxBytes: opts.MaxBytes, maxEntry: opts.MaxBytes / 8, ttl: opts.TTL, now: opts.Now,
	}
}

// Get returns the fresh entry kept for key.
func (c *Cache) Get(key string) (Entry, bool) {
	if c == nil {
		return Entry{}, false
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Entry{}, false
	}
	it := el.Value.(*item)
	if !now.Before(it.expires) {
		c.remove(el)
		return Entry{}, false
	}
	c.order.MoveToFront(el)
	return it.entry, true
}

// Generation is the purge count to pass to Put for an answer fetched from now on.
func (c *Cache) Generation() uint64 {
	if c == nil {
		return 0
	}
	return c.gen.Load()
}

// Put keeps e for min(maxAge, the cap), unless the cache was purged since gen was read
// (the answer may predate the invalidation) or e is too large.
func (c *Cache) Put(key string, e Entry, maxAge time.Duration, gen uint64) bool {
	if c == nil || maxAge <= 0 || len(e.Body) > c.maxEntry {
		return false
	}
	expires := c.now().Add(min(maxAge, c.ttl))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return false
	}
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&item{key: key, entry: e, expires: expires})
	c.bytes += len(e.Body)
	for len(c.items) > c.size || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
	return true
}

// Purge drops every entry and refuses answers fetched before it.
func (c *Cache) Purge() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	clear(c.items)
	c.order.Init()
	c.bytes = 0
}

// Len is the number of entries held (expired ones included until they are touched).
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

func (c *Cache) remove(el *list.Element) {
	it := c.order.Remove(el).(*item)
	delete(c.items, it.key)
	c.bytes -= len(it.entry.Body)
}
