// Package store keeps cache entries in Redis behind a circuit breaker.
//
// Layout (see docs/adr/0200): every key of one namespace shares a Redis Cluster hash tag,
//
//	<prefix>cache:v1:{<tag>}:<canonical query>   the entry
//	<prefix>cache:v1:{<tag>}:gen                 the namespace generation
//	<prefix>cache:v1:{<tag>}:lock:<canonical>    the short refresh lock
//
// An entry records the generation it was fetched under; invalidation increments the
// generation, which makes every older entry of the namespace invisible at once without
// scanning or deleting anything, and an in-flight fetch that started before the
// invalidation cannot resurrect old data. Entry and generation are read together with
// one MGET (same slot, so it works on Redis Cluster).
package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// ErrUnavailable is returned when Redis is down, slow or the breaker is open; the
// caller serves uncached.
var ErrUnavailable = errors.New("redis unavailable")

// errCorrupt marks a value that is not an entry this version wrote; it is treated as
// absent.
var errCorrupt = errors.New("corrupt cache entry")

// Entry is one cached answer.
type Entry struct {
	Body      []byte
	Provider  string
	FetchedAt time.Time
	// Gen is the namespace generation the entry was fetched under.
	Gen int64
}

// Key names one entry and its namespace.
type Key struct {
	entry string
	gen   string
	// base and canonical build the lock key, which only a miss needs.
	base      string
	canonical string
}

func (k Key) lock() string { return k.base + "lock:" + k.canonical }

// String is the Redis key of the entry, for logs and singleflight.
func (k Key) String() string { return k.entry }

// Options configure a Store.
type Options struct {
	// Prefix is REDIS_KEY_PREFIX.
	Prefix string
	// OpTimeout bounds each Redis round trip, whatever the client's own timeouts.
	OpTimeout time.Duration
	// GenTTL is how long a namespace generation lives after its last use; it must
	// outlive every entry written under it (see Invalidate).
	GenTTL time.Duration
	// BreakerCooldown is how long the breaker stays open before one probe request.
	BreakerCooldown time.Duration
	// BreakerFailures is how many consecutive failures open the breaker.
	BreakerFailures uint32
	// OnStateChange is told about breaker transitions (metrics, logs).
	OnStateChange func(from, to gobreaker.State)
	// OnError is told about every failed Redis call, by operation.
	OnError func(op string, err error)
}

// Store is the Redis side of the cache.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	opt     Options
	breaker *gobreaker.CircuitBreaker[struct{}]
	up      atomic.Bool
}

// New returns a store over client.
func New(client redis.UniversalClient, opt Options) *Store {
	if opt.OpTimeout <= 0 {
		opt.OpTimeout = 500 * time.Millisecond
	}
	if opt.BreakerCooldown <= 0 {
		opt.BreakerCooldown = 5 * time.Second
	}
	if opt.BreakerFailures == 0 {
		opt.BreakerFailures = 3
	}
	if opt.GenTTL <= 0 {
		opt.GenTTL = 24 * time.Hour
	}
	s := &Store{client: client, prefix: opt.Prefix + "cache:v1:{", opt: opt}
	s.up.Store(true)
	s.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "redis",
		MaxRequests: 1,
		Timeout:     opt.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= opt.BreakerFailures },
		IsSuccessful: func(err error) bool {
			// A missing key is an answer, and a caller that went away says nothing
			// about Redis.
			return err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled)
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if opt.OnStateChange != nil {
				opt.OnStateChange(from, to)
			}
		},
	})
	return s
}

// KeyFor returns the keys of the entry named by a namespace tag and canonical query.
// Both come from query.Query and hold only validated bytes.
func (s *Store) KeyFor(tag, canonical string) Key {
	base := s.prefix + tag + "}:"
	return Key{entry: base + canonical, gen: base + "gen", base: base, canonical: canonical}
}

func (s *Store) genKey(tag string) string { return s.prefix + tag + "}:gen" }

// Up reports whether the last Redis call succeeded.
func (s *Store) Up() bool { return s.up.Load() }

// BreakerState is the breaker's state.
func (s *Store) BreakerState() gobreaker.State { return s.breaker.State() }

// do runs one Redis call through the breaker with a bounded time.
func (s *Store) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	_, err := s.breaker.Execute(func() (struct{}, error) {
		ctx, cancel := context.WithTimeout(ctx, s.opt.OpTimeout)
		defer cancel()
		return struct{}{}, f(ctx)
	})
	switch {
	case err == nil, errors.Is(err, redis.Nil):
		s.up.Store(true)
		return err
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return ErrUnavailable
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return err
	}
	s.up.Store(false)
	if s.opt.OnError != nil {
		s.opt.OnError(op, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// Lookup is what Get found.
type Lookup struct {
	// Entry is nil when nothing usable is cached (absent, corrupt or from an older
	// generation).
	Entry *Entry
	// Gen is the namespace's current generation; a fetch stores its answer under it.
	Gen int64
}

// Get reads the entry and the namespace generation in one round trip.
func (s *Store) Get(ctx context.Context, k Key) (Lookup, error) {
	var vals []any
	err := s.do(ctx, "get", func(ctx context.Context) error {
		var err error
		vals, err = s.client.MGet(ctx, k.gen, k.entry).Result()
		return err
	})
	if err != nil {
		return Lookup{}, err
	}
	return lookup(vals[0], vals[1]), nil
}

// Peek is Get plus whether the entry's refresh lock is held, for a replica waiting on
// another's fetch: a lock gone without a newer entry means that fetch failed.
func (s *Store) Peek(ctx context.Context, k Key) (Lookup, bool, error) {
	var vals []any
	err := s.do(ctx, "peek", func(ctx context.Context) error {
		var err error
		vals, err = s.client.MGet(ctx, k.gen, k.entry, k.lock()).Result()
		return err
	})
	if err != nil {
		return Lookup{}, false, err
	}
	l := lookup(vals[0], vals[1])
	return l, vals[2] != nil, nil
}

func lookup(gen, entry any) Lookup {
	var l Lookup
	if g, ok := gen.(string); ok {
		l.Gen, _ = strconv.ParseInt(g, 10, 64)
	}
	if raw, ok := entry.(string); ok {
		if e, err := decode(raw); err == nil && e.Gen == l.Gen {
			l.Entry = &e
		}
	}
	return l
}

// Put stores e for ttl and keeps the namespace generation alive at least as long.
func (s *Store) Put(ctx context.Context, k Key, e Entry, ttl time.Duration) error {
	val := encode(e)
	return s.do(ctx, "put", func(ctx context.Context) error {
		// One slot, one pipeline: both commands go to the same node.
		_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k.entry, val, ttl)
			// PEXPIRE on a missing key is a no-op: generation 0 needs no key.
			p.PExpire(ctx, k.gen, s.opt.GenTTL)
			return nil
		})
		return err
	})
}

// Delete removes the entry (the adapter said it no longer exists).
func (s *Store) Delete(ctx context.Context, k Key) error {
	return s.do(ctx, "delete", func(ctx context.Context) error {
		return s.client.Del(ctx, k.entry).Err()
	})
}

// Lock takes the namespace-wide short lock for refreshing k, so that one replica
// fetches while the others wait. It returns the token to unlock with, or "" when
// another replica holds it.
func (s *Store) Lock(ctx context.Context, k Key, ttl time.Duration) (string, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	var ok bool
	err := s.do(ctx, "lock", func(ctx context.Context) error {
		var err error
		ok, err = s.client.SetNX(ctx, k.lock(), token, ttl).Result()
		return err
	})
	if err != nil || !ok {
		return "", err
	}
	return token, nil
}

// unlock deletes the lock only if it is still ours: a slow holder whose lock expired
// must not release the next holder's.
var unlock = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Unlock releases a lock taken with Lock.
func (s *Store) Unlock(ctx context.Context, k Key, token string) error {
	return s.do(ctx, "unlock", func(ctx context.Context) error {
		return unlock.Run(ctx, s.client, []string{k.lock()}, token).Err()
	})
}

// Invalidate moves each namespace to a new generation. The generation key lives GenTTL
// and every Put renews it, so it outlives all entries written under it; should it
// expire, every entry that carried it has expired too, and counting restarts safely.
func (s *Store) Invalidate(ctx context.Context, tags []string) error {
	return s.do(ctx, "invalidate", func(ctx context.Context) error {
		// Different tags live in different slots: go-redis splits the pipeline per node.
		cmds, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, t := range tags {
				gk := s.genKey(t)
				p.Incr(ctx, gk)
				p.PExpire(ctx, gk, s.opt.GenTTL)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range cmds {
			if c.Err() != nil {
				return c.Err()
			}
		}
		return nil
	})
}

// Ping checks Redis outside the breaker, for readiness: the probe must see Redis come
// back even while the breaker is open.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.OpTimeout)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		s.up.Store(false)
		return fmt.Errorf("pinging redis: %w", err)
	}
	s.up.Store(true)
	return nil
}

// Value layout: version byte, generation, fetched-at in Unix milliseconds, provider
// length and provider, then the body. Binary so a hit decodes without parsing JSON.
const (
	version   = 1
	headerLen = 1 + 8 + 8 + 1
)

// encode and decode store int64s as their two's-complement bits and the provider length
// as one byte (capped at 255 above); the conversions are bit-preserving by design.
//
//nolint:gosec // G115: see above
func encode(e Entry) string {
	if len(e.Provider) > 255 {
		e.Provider = e.Provider[:255]
	}
	b := make([]byte, headerLen+len(e.Provider)+len(e.Body))
	b[0] = version
	binary.BigEndian.PutUint64(b[1:], uint64(e.Gen))
	binary.BigEndian.PutUint64(b[9:], uint64(e.FetchedAt.UnixMilli()))
	b[17] = byte(len(e.Provider))
	n := copy(b[headerLen:], e.Provider)
	copy(b[headerLen+n:], e.Body)
	return string(b)
}

//nolint:gosec // G115: the inverse of encode
func decode(raw string) (Entry, error) {
	if len(raw) < headerLen || raw[0] != version {
		return Entry{}, errCorrupt
	}
	pl := int(raw[17])
	if len(raw) < headerLen+pl {
		return Entry{}, errCorrupt
	}
	return Entry{
		Gen:       int64(binary.BigEndian.Uint64([]byte(raw[1:9]))),
		FetchedAt: time.UnixMilli(int64(binary.BigEndian.Uint64([]byte(raw[9:17])))),
		Provider:  raw[headerLen : headerLen+pl],
		Body:      []byte(raw[headerLen+pl:]),
	}, nil
}
