// Package readthrough is the cache's policy: read the entry, serve it fresh or stale,
// and otherwise fetch it from the adapter once — once per instance (singleflight) and,
// through a short Redis lock, about once across replicas.
package readthrough

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/football-tracker/backend/pkg/envelope"

	"github.com/football-tracker/backend/services/cache/internal/query"
	"github.com/football-tracker/backend/services/cache/internal/store"
	"github.com/football-tracker/backend/services/cache/internal/upstream"
)

// Store is the Redis side, as the policy uses it.
type Store interface {
	KeyFor(tag, canonical string) store.Key
	Get(ctx context.Context, k store.Key) (store.Lookup, error)
	Peek(ctx context.Context, k store.Key) (store.Lookup, bool, error)
	Put(ctx context.Context, k store.Key, e store.Entry, ttl time.Duration) error
	Delete(ctx context.Context, k store.Key) error
	Lock(ctx context.Context, k store.Key, ttl time.Duration) (string, error)
	Unlock(ctx context.Context, k store.Key, token string) error
	Invalidate(ctx context.Context, tags []string) error
}

// Fetcher calls the adapter.
type Fetcher interface {
	Get(ctx context.Context, path, rawQuery string) (upstream.Response, error)
}

// Outcome is the X-Cache value of an answer.
type Outcome string

// The X-Cache values.
const (
	Hit   Outcome = "HIT"
	Miss  Outcome = "MISS"
	Stale Outcome = "STALE"
)

// Result is what the cache answers: an entry (Status 200) or the adapter's own failure
// passed through.
type Result struct {
	Status   int
	Body     []byte
	Provider string
	Outcome  Outcome
	Age      time.Duration
	// MaxAge is how much longer the answer stays fresh here: the entry's remaining TTL
	// on HIT and MISS, zero on STALE and on answers that are not an entry. The route
	// sends it as Cache-Control so a caller (the gateway) may keep the answer as long.
	MaxAge time.Duration
}

// Policy is the cache's timing and size policy.
type Policy struct {
	// TTL is how long an entry of each resource is fresh.
	TTL map[query.Resource]time.Duration
	// StaleWhileRevalidate: an entry this far past its TTL is served at once while one
	// background refresh runs.
	StaleWhileRevalidate time.Duration
	// StaleIfError: an entry this far past its TTL is served when the adapter fails.
	StaleIfError time.Duration
	// MaxEntryBytes: larger bodies are served but not cached.
	MaxEntryBytes int
	// UpstreamTimeout bounds one adapter call.
	UpstreamTimeout time.Duration
	// Wait bounds how long a request waits for a fetch it did not start (another
	// replica's, or a slow adapter while a stale copy is at hand).
	Wait time.Duration
	// PollInterval is how often a replica waiting on another's lock looks for the
	// entry.
	PollInterval time.Duration
}

// retention is how long past its TTL an entry stays in Redis.
func (p Policy) retention() time.Duration { return max(p.StaleWhileRevalidate, p.StaleIfError) }

// RedisTTL is the Redis expiry of an entry of r.
func (p Policy) RedisTTL(r query.Resource) time.Duration { return p.TTL[r] + p.retention() }

// MaxRedisTTL is the longest any entry lives in Redis.
func (p Policy) MaxRedisTTL() time.Duration {
	var m time.Duration
	for r := range p.TTL {
		m = max(m, p.RedisTTL(r))
	}
	return m
}

// Options configure a Cache.
type Options struct {
	Store   Store
	Fetcher Fetcher
	Policy  Policy
	Metrics *Metrics
	Logger  *slog.Logger
	// Leagues lists every league shortcut, to invalidate a per-league resource as a
	// whole.
	Leagues []string
	// Now is the clock (tests inject one to age entries without sleeping).
	Now func() time.Time
}

// Cache is the read-through cache.
type Cache struct {
	store   Store
	fetch   Fetcher
	pol     Policy
	m       *Metrics
	log     *slog.Logger
	leagues []string
	now     func() time.Time

	flight     singleflight.Group
	refreshing sync.Map
	background sync.WaitGroup
}

// New returns a cache.
func New(opt Options) *Cache {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Policy.PollInterval <= 0 {
		opt.Policy.PollInterval = 25 * time.Millisecond
	}
	if opt.Policy.Wait <= 0 {
		opt.Policy.Wait = 2 * time.Second
	}
	return &Cache{
		store: opt.Store, fetch: opt.Fetcher, pol: opt.Policy, m: opt.Metrics,
		log: opt.Logger, leagues: opt.Leagues, now: opt.Now,
	}
}

// loaded is the outcome of one shared fetch.
type loaded struct {
	entry *store.Entry
	resp  upstream.Response
	err   error
	// skipped: another replica holds the lock (background refresh only).
	skipped bool
	// remote: the entry came from another replica's fetch.
	remote bool
}

// failed reports whether the fetch is the kind of failure a stale copy may hide: no
// answer, or the adapter or its providers in trouble. A 4xx other than 408/429 is the
// adapter's verdict on the request and passes through.
func (l loaded) failed() bool {
	if l.err != nil {
		return true
	}
	s := l.resp.Status
	return l.entry == nil && (s >= 500 || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout)
}

// Get answers q from the cache or the adapter.
func (c *Cache) Get(ctx context.Context, q query.Query) (Result, error) {
	res := string(q.Resource)
	k := c.store.KeyFor(q.Tag(), q.Canonical)
	l, err := c.store.Get(ctx, k)
	redisOK := err == nil
	if err != nil {
		if !errors.Is(err, store.ErrUnavailable) {
			return Result{}, err
		}
		// Redis is down or slow: serve uncached, still coalesced on this instance.
		c.m.requests.WithLabelValues(res, "bypass").Inc()
	}
	ttl := c.pol.TTL[q.Resource]
	var stale *store.Entry
	if e := l.Entry; e != nil {
		age := max(c.now().Sub(e.FetchedAt), 0)
		switch {
		case age < ttl:
			c.m.requests.WithLabelValues(res, "hit").Inc()
			r := entryResult(e, Hit, age)
			r.MaxAge = ttl - age
			return r, nil
		case age < ttl+c.pol.StaleWhileRevalidate:
			c.m.requests.WithLabelValues(res, "stale").Inc()
			c.m.stale.WithLabelValues(res, "revalidate").Inc()
			c.revalidate(ctx, q, k, l)
			return entryResult(e, Stale, age), nil
		case age < ttl+c.pol.StaleIfError:
			stale = e
		}
	}
	if redisOK {
		c.m.requests.WithLabelValues(res, "miss").Inc()
	}

	leader := new(atomic.Bool)
	ch := c.flight.DoChan(k.String(), func() (any, error) {
		leader.Store(true)
		// The fetch serves every waiter: one client going away must not cancel it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.pol.Wait+c.pol.UpstreamTimeout)
		defer cancel()
		return c.load(fctx, q, k, l, redisOK, true), nil
	})
	var slow <-chan time.Time
	if stale != nil {
		t := time.NewTimer(c.pol.Wait)
		defer t.Stop()
		slow = t.C
	}
	select {
	case r := <-ch:
		if !leader.Load() {
			c.m.coalesced.WithLabelValues(res, "local").Inc()
		}
		ld := r.Val.(loaded)
		if ld.skipped {
			// Joined a background refresh that left the work to another replica, but
			// this request has nothing to serve: fetch for it alone.
			ld = c.load(ctx, q, k, l, redisOK, true)
		}
		if ld.failed() && stale != nil {
			c.log.DebugContext(ctx, "adapter failed, serving stale entry", slog.String("resource", res), slog.Any("error", ld.err), slog.Int("status", ld.resp.Status))
			c.m.stale.WithLabelValues(res, "error").Inc()
			return entryResult(stale, Stale, c.now().Sub(stale.FetchedAt)), nil
		}
		return c.answer(ld, ttl)
	case <-slow:
		// The fetch goes on and fills the cache; this client gets the stale copy now.
		c.m.stale.WithLabelValues(res, "slow").Inc()
		return entryResult(stale, Stale, c.now().Sub(stale.FetchedAt)), nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func entryResult(e *store.Entry, o Outcome, age time.Duration) Result {
	return Result{Status: http.StatusOK, Body: e.Body, Provider: e.Provider, Outcome: o, Age: max(age, 0)}
}

func (c *Cache) answer(ld loaded, ttl time.Duration) (Result, error) {
	switch {
	case ld.entry != nil:
		r := entryResult(ld.entry, Miss, c.now().Sub(ld.entry.FetchedAt))
		r.MaxAge = max(ttl-r.Age, 0)
		return r, nil
	case ld.err != nil:
		if errors.Is(ld.err, upstream.ErrTimeout) {
			return Result{}, envelope.New(envelope.CodeUpstreamTimeout, "")
		}
		return Result{}, envelope.New(envelope.CodeUpstream, "")
	}
	return Result{Status: ld.resp.Status, Body: ld.resp.Body, Provider: ld.resp.Provider, Outcome: Miss}, nil
}

// revalidate refreshes a stale entry in the background, at most one refresh per key
// per instance; the lock makes it about one across replicas.
func (c *Cache) revalidate(ctx context.Context, q query.Query, k store.Key, l store.Lookup) {
	if _, busy := c.refreshing.LoadOrStore(k.String(), struct{}{}); busy {
		return
	}
	res := string(q.Resource)
	// The refresh outlives the request but stays in its trace.
	bctx := context.WithoutCancel(ctx)
	c.background.Add(1)
	go func() {
		defer c.background.Done()
		defer c.refreshing.Delete(k.String())
		leader := new(atomic.Bool)
		r := <-c.flight.DoChan(k.String(), func() (any, error) {
			leader.Store(true)
			fctx, cancel := context.WithTimeout(bctx, c.pol.UpstreamTimeout)
			defer cancel()
			return c.load(fctx, q, k, l, true, false), nil
		})
		if !leader.Load() {
			return
		}
		ld := r.Val.(loaded)
		switch {
		case ld.skipped:
			c.m.refreshes.WithLabelValues(res, "skipped").Inc()
		case ld.entry != nil:
			c.m.refreshes.WithLabelValues(res, "ok").Inc()
		default:
			c.m.refreshes.WithLabelValues(res, "error").Inc()
			c.log.WarnContext(bctx, "background refresh failed", slog.String("resource", res), slog.Any("error", ld.err), slog.Int("status", ld.resp.Status))
		}
	}()
}

// Drain waits for background refreshes to finish, for shutdown and tests.
func (c *Cache) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		c.background.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// load fetches q from the adapter and stores a cacheable answer. With wait, a replica
// that finds another holding the lock waits (bounded) for its entry; without, it
// leaves the refresh to that replica.
func (c *Cache) load(ctx context.Context, q query.Query, k store.Key, l store.Lookup, redisOK, wait bool) loaded {
	res := string(q.Resource)
	if redisOK {
		token, err := c.store.Lock(ctx, k, c.pol.UpstreamTimeout+time.Second)
		switch {
		case err != nil:
			// Redis failed between the read and now: fetch uncoordinated.
			redisOK = false
		case token == "":
			if !wait {
				return loaded{skipped: true}
			}
			if e, ok := c.awaitOther(ctx, k, l.Entry); ok {
				c.m.coalesced.WithLabelValues(res, "remote").Inc()
				return loaded{entry: e, remote: true}
			}
		default:
			defer func() {
				if err := c.store.Unlock(context.WithoutCancel(ctx), k, token); err != nil {
					c.log.DebugContext(ctx, "releasing refresh lock", slog.Any("error", err))
				}
			}()
			// Between this request's read and the lock, another fetch (here or on
			// another replica) may have finished and released the lock: use its entry.
			if cur, err := c.store.Get(ctx, k); err == nil && newer(cur.Entry, l.Entry) {
				c.m.coalesced.WithLabelValues(res, "remote").Inc()
				return loaded{entry: cur.Entry, remote: true}
			}
		}
	}

	start := time.Now()
	resp, err := c.fetch.Get(ctx, q.Path(), q.RawQuery())
	c.m.upstream.WithLabelValues(res, fetchOutcome(resp, err)).Observe(time.Since(start).Seconds())
	if err != nil {
		return loaded{err: err}
	}
	switch {
	case resp.Status == http.StatusOK:
		e := &store.Entry{Body: resp.Body, Provider: resp.Provider, FetchedAt: c.now(), Gen: l.Gen}
		if len(resp.Body) > c.pol.MaxEntryBytes {
			c.m.uncacheable.WithLabelValues(res, "too_large").Inc()
			return loaded{entry: e}
		}
		if redisOK {
			if err := c.store.Put(ctx, k, *e, c.pol.RedisTTL(q.Resource)); err != nil {
				c.log.WarnContext(ctx, "storing cache entry", slog.String("resource", res), slog.Any("error", err))
			}
		}
		return loaded{entry: e}
	case resp.Status == http.StatusNotFound && redisOK && l.Entry != nil:
		// Gone at the provider: stop serving the old copy.
		if err := c.store.Delete(ctx, k); err != nil {
			c.log.WarnContext(ctx, "deleting cache entry", slog.String("resource", res), slog.Any("error", err))
		}
	}
	return loaded{resp: resp}
}

// awaitOther polls for the entry another replica is fetching, until it appears, the
// other gives up (lock gone, no new entry) or Wait passes.
func (c *Cache) awaitOther(ctx context.Context, k store.Key, prev *store.Entry) (*store.Entry, bool) {
	deadline := time.NewTimer(c.pol.Wait)
	defer deadline.Stop()
	tick := time.NewTicker(c.pol.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-deadline.C:
			return nil, false
		case <-tick.C:
		}
		l, locked, err := c.store.Peek(ctx, k)
		if err != nil {
			return nil, false
		}
		if newer(l.Entry, prev) {
			return l.Entry, true
		}
		if !locked {
			return nil, false
		}
	}
}

// newer reports whether cur is an entry fetched after prev (or prev is absent).
func newer(cur, prev *store.Entry) bool {
	return cur != nil && (prev == nil || cur.FetchedAt.After(prev.FetchedAt))
}

func fetchOutcome(resp upstream.Response, err error) string {
	switch {
	case errors.Is(err, upstream.ErrTimeout):
		return "timeout"
	case err != nil:
		return "unreachable"
	case resp.Status >= 500:
		return "server_error"
	case resp.Status >= 400:
		return "client_error"
	}
	return "ok"
}

// ErrUnknownResource is returned by Invalidate for a resource it does not know.
var ErrUnknownResource = errors.New("unknown resource")

// All names every resource in Invalidate.
const All = "all"

// Invalidate drops every entry of resource (or of all resources), optionally only of
// one league, and returns the namespaces it invalidated. A league narrows the
// per-league resources; the others have no league and are invalidated whole.
func (c *Cache) Invalidate(ctx context.Context, resource, league string) ([]string, error) {
	var resources []query.Resource
	switch r := query.Resource(resource); {
	case resource == All:
		resources = query.Resources
	case r.Valid():
		resources = []query.Resource{r}
	default:
		return nil, ErrUnknownResource
	}
	var tags []string
	for _, r := range resources {
		switch {
		case !r.PerLeague():
			tags = append(tags, query.Tag(r, ""))
		case league != "":
			tags = append(tags, query.Tag(r, league))
		default:
			for _, lg := range c.leagues {
				tags = append(tags, query.Tag(r, lg))
			}
		}
	}
	if err := c.store.Invalidate(ctx, tags); err != nil {
		return nil, err
	}
	for _, r := range resources {
		c.m.invalidations.WithLabelValues(string(r)).Inc()
	}
	return tags, nil
}
