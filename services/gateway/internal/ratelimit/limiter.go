package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// ErrUnavailable is returned in fail-closed mode when Redis cannot decide.
var ErrUnavailable = errors.New("rate limiter unavailable")

// FailMode is what happens when Redis is unreachable.
type FailMode string

// The modes of RATE_LIMIT_FAIL_MODE.
const (
	FailOpen   FailMode = "open"
	FailClosed FailMode = "closed"
)

// Options configure a Limiter.
type Options struct {
	FailMode FailMode
	// BreakerTimeout is how long the breaker stays open before one trial request.
	BreakerTimeout time.Duration
	// BreakerFailures is how many consecutive Redis failures open the breaker.
	BreakerFailures uint32
	// Budget bounds one Redis decision, dial retries included, so a request never waits
	// longer than this for Redis even before the breaker opens.
	Budget time.Duration
	// LocalKeys bounds the fallback limiter's memory.
	LocalKeys int
	// OnStateChange observes the breaker (metrics, logs).
	OnStateChange func(from, to gobreaker.State)
	Now           func() time.Time
}

// Limiter decides requests against Redis, falling back per FailMode.
type Limiter struct {
	cb     *gobreaker.CircuitBreaker[Decision]
	local  *Local
	mode   FailMode
	budget time.Duration
	batch  *batcher
}

// NewLimiter returns a Limiter. rdb is used for every decision; the breaker opens after
// consecutive failures so that, while Redis is down, requests stop paying its timeout.
func NewLimiter(rdb redis.UniversalClient, opts Options) (*Limiter, error) {
	if opts.FailMode != FailOpen && opts.FailMode != FailClosed {
		return nil, fmt.Errorf("ratelimit: unknown fail mode %q", opts.FailMode)
	}
	if opts.BreakerTimeout <= 0 {
		opts.BreakerTimeout = 2 * time.Second
	}
	if opts.BreakerFailures == 0 {
		opts.BreakerFailures = 3
	}
	if opts.Budget <= 0 {
		opts.Budget = 250 * time.Millisecond
	}
	if opts.LocalKeys <= 0 {
		opts.LocalKeys = 20_000
	}
	local, err := NewLocal(opts.LocalKeys, opts.Now)
	if err != nil {
		return nil, err
	}
	st := gobreaker.Settings{
		Name:        "redis",
		MaxRequests: 1,
		Timeout:     opts.BreakerTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= opts.BreakerFailures },
		// A client hanging up is not a Redis failure.
		IsSuccessful: func(err error) bool { return err == nil || errors.Is(err, context.Canceled) },
	}
	if opts.OnStateChange != nil {
		st.OnStateChange = func(_ string, from, to gobreaker.State) { opts.OnStateChange(from, to) }
	}
	return &Limiter{
		cb: gobreaker.NewCircuitBreaker[Decision](st), local: local, mode: opts.FailMode, budget: opts.Budget,
		batch: newBatcher(rdb),
	}, nil
}

// Close stops the workers that send decisions to Redis; decisions asked for afterwards
// fail (and fall back per the fail mode). Call it once the server has drained.
func (l *Limiter) Close() { l.batch.close() }

// BreakerState reports the breaker's state for health and metrics.
func (l *Limiter) BreakerState() gobreaker.State { return l.cb.State() }

// Allow spends one request of key against every window. When revokedKey is not empty
// its existence is checked in the same round trip and reported as Decision.Revoked.
func (l *Limiter) Allow(ctx context.Context, key string, ws []Window, revokedKey string) (Decision, error) {
	d, err := l.cb.Execute(func() (Decision, error) {
		ctx, cancel := context.WithTimeout(ctx, l.budget)
		defer cancel()
		return l.batch.decide(ctx, key, ws, revokedKey)
	})
	if err == nil {
		return d, nil
	}
	if errors.Is(err, context.Canceled) {
		return Decision{}, err
	}
	if l.mode == FailClosed {
		return Decision{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// Fail open: this replica limits on its own until Redis is back. Revocation cannot
	// be checked meanwhile; ADR 0301 explains why that is the chosen trade.
	return l.local.Allow(key, ws), nil
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// Local is an in-process GCRA with the same arithmetic as the Redis script, used while
// Redis is unreachable. It limits per replica, so N replicas allow up to N times the
// limit: a degraded mode, not a substitute.
type Local struct {
	mu   sync.Mutex
	tats *lru.Cache[string, []float64]
	now  func() time.Time
}

// NewLocal returns a fallback limiter remembering at most size keys.
func NewLocal(size int, now func() time.Time) (*Local, error) {
	c, err := lru.New[string, []float64](size)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: local cache: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Local{tats: c, now: now}, nil
}

// Allow decides one request locally.
func (l *Local) Allow(key string, ws []Window) Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := float64(l.now().UnixNano()) / 1e9
	tats, ok := l.tats.Get(key)
	if !ok || len(tats) != len(ws) {
		tats = make([]float64, len(ws))
	}
	d := Decision{Allowed: true, Source: "local", Windows: make([]WindowResult, len(ws))}
	next := make([]float64, len(ws))
	retry := -1.0
	for i, w := range ws {
		ei := w.Period.Seconds() / float64(w.Rate)
		tat := math.Max(tats[i], now)
		newTat := tat + ei
		diff := now - (newTat - ei*float64(w.Burst))
		rem := diff / ei
		next[i] = newTat
		if rem < 0 {
			d.Allowed = false
			retry = math.Max(retry, -diff)
			d.Windows[i] = WindowResult{Window: w, ResetAfter: dur(tat - now), Refused: true}
			continue
		}
		d.Windows[i] = WindowResult{Window: w, Remaining: int(rem + 1e-6), ResetAfter: dur(newTat - now)}
	}
	if d.Allowed {
		l.tats.Add(key, next)
	} else {
		d.RetryAfter = dur(retry)
	}
	return d
}

func dur(s float64) time.Duration {
	if s < 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
