// Package providers asks the data providers in order of preference and fails over:
// each provider has a per-attempt timeout and a circuit breaker, the whole request an
// overall budget, and only idempotent GETs that failed transiently are retried, with
// backoff and jitter, inside that budget.
package providers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/provider-adapter/internal/query"
	"github.com/football-tracker/backend/services/provider-adapter/internal/upstream"
)

// Provider is one data source, already mapping onto the domain model.
type Provider interface {
	Name() string
	Supports(leagues.Entry) bool
	Matches(ctx context.Context, q query.Matches) ([]domain.Match, error)
	Match(ctx context.Context, id int64) (domain.Match, error)
	Teams(ctx context.Context, q query.Teams) ([]domain.Team, error)
	CurrentSeasons(ctx context.Context) (map[string]int, error)
}

// The outcomes a failed request ends in; the API maps each onto one envelope code.
var (
	// ErrNotFound: the owning provider does not know the resource (404).
	ErrNotFound = errors.New("not found at the provider")
	// ErrUnavailable: no provider could be asked (disabled, breaker open, quota
	// spent, league not carried) (503).
	ErrUnavailable = errors.New("no provider available")
	// ErrTimeout: the last provider asked did not answer in time (504).
	ErrTimeout = errors.New("provider timed out")
	// ErrUpstream: the last provider asked answered with an error (502).
	ErrUpstream = errors.New("provider failed")
)

// Config tunes the failover.
type Config struct {
	// Timeout bounds one attempt at one provider (UPSTREAM_TIMEOUT).
	Timeout time.Duration
	// Budget bounds the whole request across providers and retries (UPSTREAM_BUDGET).
	Budget time.Duration
	// Retries is how many times a transient failure is retried per provider: 0 means
	// the default (1), a negative value none.
	Retries int
	// Backoff is the first retry's base delay; it doubles per retry, plus jitter.
	Backoff time.Duration
	// BreakerFailures consecutive failures open a provider's breaker (default 5).
	BreakerFailures uint32
	// BreakerOpen is how long a breaker stays open before one probe may pass (default 30s).
	BreakerOpen time.Duration
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	Metrics     *upstream.Metrics
}

type member struct {
	p  Provider
	cb *gobreaker.CircuitBreaker[struct{}]
}

// Set is the ordered providers with their breakers.
type Set struct {
	cfg       Config
	members   []*member
	failovers *prometheus.CounterVec
	breaker   *prometheus.GaugeVec
}

// New builds the set; nil providers (SportMonks without a token) are left out.
func New(cfg Config, ps ...Provider) *Set {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Budget < cfg.Timeout {
		cfg.Budget = cfg.Timeout
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 1
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.BreakerFailures == 0 {
		cfg.BreakerFailures = 5
	}
	if cfg.BreakerOpen <= 0 {
		cfg.BreakerOpen = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Set{
		cfg: cfg,
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provider_failovers_total",
			Help: "Requests passed on from one provider to the next, by provider left, provider tried next and reason.",
		}, []string{"from", "to", "reason"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provider_breaker_state",
			Help: "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.",
		}, []string{"provider"}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(s.failovers, s.breaker)
	}
	for _, p := range ps {
		if p == nil {
			continue
		}
		name := p.Name()
		m := &member{p: p}
		m.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        name,
			MaxRequests: 1,
			Timeout:     cfg.BreakerOpen,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= cfg.BreakerFailures },
			// An answer, even "not found" or "empty", proves the provider works.
			IsSuccessful: func(err error) bool {
				k := upstream.KindOf(err)
				return err == nil || k == upstream.KindNotFound || k == upstream.KindEmpty
			},
			// Neither the caller leaving nor our own quota guard says anything about
			// the provider's health.
			IsExcluded: func(err error) bool {
				k := upstream.KindOf(err)
				return k == upstream.KindCanceled || k == upstream.KindRateLimited
			},
			OnStateChange: func(name string, from, to gobreaker.State) {
				s.breaker.WithLabelValues(name).Set(stateValue(to))
				cfg.Logger.Warn("provider circuit breaker changed state",
					slog.String("provider", name), slog.String("from", from.String()), slog.String("to", to.String()))
			},
		})
		s.breaker.WithLabelValues(name).Set(0)
		s.members = append(s.members, m)
	}
	return s
}

func stateValue(s gobreaker.State) float64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	default:
		return 0
	}
}

// Names lists the configured providers in order.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, m.p.Name())
	}
	return out
}

// Check reports a provider's health: an error while its breaker is open.
func (s *Set) Check(name string) func(context.Context) error {
	return func(context.Context) error {
		for _, m := range s.members {
			if m.p.Name() == name {
				if m.cb.State() == gobreaker.StateOpen {
					return errors.New("circuit breaker open")
				}
				return nil
			}
		}
		return errors.New("not configured")
	}
}

// Ready is nil while at least one provider's breaker is not open.
func (s *Set) Ready(context.Context) error {
	for _, m := range s.members {
		if m.cb.State() != gobreaker.StateOpen {
			return nil
		}
	}
	return errors.New("every provider's circuit breaker is open")
}

// Matches lists matches from the first provider that carries the league and answers.
func (s *Set) Matches(ctx context.Context, q query.Matches) ([]domain.Match, string, error) {
	return run(ctx, s, s.carrying(q.League), true, func(ctx context.Context, p Provider) ([]domain.Match, error) {
		return p.Matches(ctx, q)
	})
}

// Teams lists teams from the first provider that carries the league and answers.
func (s *Set) Teams(ctx context.Context, q query.Teams) ([]domain.Team, string, error) {
	return run(ctx, s, s.carrying(q.League), true, func(ctx context.Context, p Provider) ([]domain.Team, error) {
		return p.Teams(ctx, q)
	})
}

// CurrentSeasons asks the providers in order for every league's current season.
func (s *Set) CurrentSeasons(ctx context.Context) (map[string]int, string, error) {
	return run(ctx, s, s.members, true, func(ctx context.Context, p Provider) (map[string]int, error) {
		return p.CurrentSeasons(ctx)
	})
}

// Match looks a match up at the provider its id names, and only there.
func (s *Set) Match(ctx context.Context, id string) (domain.Match, string, error) {
	provider, n, err := domain.ParseID(id)
	if err != nil {
		return domain.Match{}, "", fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var owner []*member
	for _, m := range s.members {
		if m.p.Name() == provider {
			owner = append(owner, m)
		}
	}
	return run(ctx, s, owner, false, func(ctx context.Context, p Provider) (domain.Match, error) {
		return p.Match(ctx, n)
	})
}

func (s *Set) carrying(l leagues.Entry) []*member {
	var out []*member
	for _, m := range s.members {
		if m.p.Supports(l) {
			out = append(out, m)
		}
	}
	return out
}

// run tries the candidates in order within the budget. An empty answer is passed on
// to the next provider (a primary that lost a league's data must not hide the
// fallback's) but is returned when nobody has more.
func run[T any](ctx context.Context, s *Set, candidates []*member, emptyFallsThrough bool, call func(context.Context, Provider) (T, error)) (T, string, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Budget)
	defer cancel()

	var (
		errs       []error
		lastCalled error
		empty      *T
		emptyFrom  string
	)
	for i, m := range candidates {
		if ctx.Err() != nil {
			break
		}
		v, err := attempt(ctx, s, m, call)
		if err == nil {
			if emptyFallsThrough && isEmpty(v) && i < len(candidates)-1 {
				if empty == nil {
					empty, emptyFrom = &v, m.p.Name()
				}
				s.failedOver(ctx, m, candidates[i+1], "empty", nil)
				continue
			}
			return v, m.p.Name(), nil
		}
		kind := upstream.KindOf(err)
		if kind == upstream.KindCanceled {
			return zero, "", err
		}
		if (kind == upstream.KindEmpty || kind == upstream.KindNotFound) && emptyFallsThrough {
			// The provider answered but has nothing for this (e.g. no such season).
			if empty == nil {
				empty, emptyFrom = &zero, m.p.Name()
			}
			if i < len(candidates)-1 {
				s.failedOver(ctx, m, candidates[i+1], "empty", nil)
			}
			continue
		}
		if kind == upstream.KindNotFound && !emptyFallsThrough {
			return zero, m.p.Name(), fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		errs = append(errs, err)
		if kind != upstream.KindUnavailable && kind != upstream.KindRateLimited {
			lastCalled = err
		}
		if i < len(candidates)-1 {
			s.failedOver(ctx, m, candidates[i+1], string(kind), err)
		} else {
			s.cfg.Logger.WarnContext(ctx, "provider failed, none left to ask",
				slog.String("provider", m.p.Name()), slog.String("kind", string(kind)), slog.Any("error", err))
		}
	}
	if empty != nil {
		return *empty, emptyFrom, nil
	}
	detail := errors.Join(errs...)
	switch {
	case len(candidates) == 0:
		return zero, "", ErrUnavailable
	case lastCalled == nil && ctx.Err() != nil:
		return zero, "", fmt.Errorf("%w: budget spent: %w", ErrTimeout, detail)
	case lastCalled == nil:
		return zero, "", fmt.Errorf("%w: %w", ErrUnavailable, detail)
	case upstream.KindOf(lastCalled) == upstream.KindTimeout:
		return zero, "", fmt.Errorf("%w: %w", ErrTimeout, detail)
	default:
		return zero, "", fmt.Errorf("%w: %w", ErrUpstream, detail)
	}
}

func (s *Set) failedOver(ctx context.Context, from, to *member, reason string, err error) {
	s.failovers.WithLabelValues(from.p.Name(), to.p.Name(), reason).Inc()
	attrs := []slog.Attr{slog.String("from", from.p.Name()), slog.String("to", to.p.Name()), slog.String("reason", reason)}
	level := slog.LevelWarn
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	} else {
		// An empty answer is routine (a league or season the primary's plan lacks).
		level = slog.LevelDebug
	}
	s.cfg.Logger.LogAttrs(ctx, level, "failing over to the next provider", attrs...)
}

// attempt calls one provider through its breaker, retrying a transient failure
// with exponential backoff and full jitter while the budget allows.
func attempt[T any](ctx context.Context, s *Set, m *member, call func(context.Context, Provider) (T, error)) (T, error) {
	var (
		zero    T
		lastErr error
	)
	for try := 0; ; try++ {
		var v T
		_, err := m.cb.Execute(func() (struct{}, error) {
			actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
			defer cancel()
			var err error
			v, err = call(actx, m.p)
			return struct{}{}, err
		})
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			if lastErr != nil {
				// Our own failure just opened the breaker: report what the provider did.
				return zero, lastErr
			}
			s.cfg.Metrics.CountUnavailable(m.p.Name(), "breaker_open")
			return zero, &upstream.Error{Provider: m.p.Name(), Endpoint: "-", Kind: upstream.KindUnavailable, Err: err}
		}
		if err == nil {
			return v, nil
		}
		if !upstream.Retryable(err) || try >= s.cfg.Retries {
			return zero, err
		}
		lastErr = err
		base := s.cfg.Backoff << try
		wait := base/2 + rand.N(base/2+1) //nolint:gosec // jitter needs no cryptographic randomness
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+s.cfg.Timeout/4 {
			// Not enough budget left for a useful retry; leave it to the next provider.
			return zero, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, err
		case <-t.C:
		}
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case []domain.Match:
		return len(x) == 0
	case []domain.Team:
		return len(x) == 0
	case map[string]int:
		return len(x) == 0
	default:
		return false
	}
}
