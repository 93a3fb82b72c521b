// Package app assembles the cache service from its settings: Redis store, adapter
// client, read-through policy, routes, readiness and metrics. main and the in-process
// tests build the service the same way.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/metrics"
	"github.com/football-tracker/backend/pkg/redisclient"

	settings "github.com/football-tracker/backend/services/cache/internal/config"
	"github.com/football-tracker/backend/services/cache/internal/query"
	"github.com/football-tracker/backend/services/cache/internal/readthrough"
	"github.com/football-tracker/backend/services/cache/internal/server"
	"github.com/football-tracker/backend/services/cache/internal/store"
	"github.com/football-tracker/backend/services/cache/internal/upstream"
)

// Deps are what the platform hands the service.
type Deps struct {
	Logger   *slog.Logger
	Health   *health.Checker
	Registry *prometheus.Registry
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// HTTPClient replaces the traced adapter client (tests).
	HTTPClient *http.Client
}

// App is the assembled service.
type App struct {
	Fiber *fiber.App
	Cache *readthrough.Cache
	Store *store.Store
	close func() error
}

// New builds the service. It does not dial Redis: the cache starts and serves
// uncached while Redis is away.
func New(s settings.Settings, d Deps) (*App, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Health == nil {
		d.Health = health.New(time.Second)
	}
	if d.Registry == nil {
		d.Registry = metrics.NewRegistry()
	}
	registry, err := s.Leagues()
	if err != nil {
		return nil, err
	}
	client, err := redisclient.New(s.Redis)
	if err != nil {
		return nil, fmt.Errorf("creating redis client: %w", err)
	}
	m := readthrough.NewMetrics(d.Registry)
	log := d.Logger
	pol := readthrough.Policy{
		TTL: map[query.Resource]time.Duration{
			query.Matches: s.TTLMatches.Duration(),
			query.Match:   s.TTLMatch.Duration(),
			query.Leagues: s.TTLLeagues.Duration(),
			query.Teams:   s.TTLTeams.Duration(),
		},
		StaleWhileRevalidate: s.StaleTTL.Duration(),
		StaleIfError:         s.StaleIfErrorTTL.Duration(),
		MaxEntryBytes:        s.MaxEntryBytes,
		UpstreamTimeout:      s.UpstreamTimeout,
		Wait:                 s.WaitTimeout.Duration(),
	}
	st := store.New(client, store.Options{
		Prefix: s.KeyPrefix,
		// A Redis call may cost one dial and one read; beyond that the request goes on
		// uncached.
		OpTimeout: s.DialTimeout + s.ReadTimeout,
		// A generation must outlive every entry written under it (see store.Invalidate).
		GenTTL:          pol.MaxRedisTTL() + time.Hour,
		BreakerCooldown: s.RedisBreakerCooldown.Duration(),
		OnError:         m.RedisError,
		OnStateChange: func(from, to gobreaker.State) {
			log.Warn("redis circuit breaker", slog.String("from", from.String()), slog.String("to", to.String()))
		},
	})
	readthrough.RegisterRedisState(d.Registry, st.Up, st.BreakerState)
	adapter := upstream.New(upstream.Options{
		BaseURL:    s.AdapterURL,
		Timeout:    s.UpstreamTimeout,
		HTTPClient: d.HTTPClient,
	})
	cache := readthrough.New(readthrough.Options{
		Store:   st,
		Fetcher: adapter,
		Policy:  pol,
		Metrics: m,
		Logger:  log,
		Leagues: registry.Shortcuts(),
		Now:     d.Now,
	})
	// Both dependencies are optional: without Redis the cache passes requests through,
	// without the adapter it still serves what it holds.
	d.Health.Register("redis", st.Ping, health.Optional())
	d.Health.Register("adapter", adapter.Ping, health.Optional())

	app := httpserver.New(httpserver.Config{
		Service:  "cache",
		Logger:   log,
		Health:   d.Health,
		Registry: d.Registry,
	})
	server.New(cache, registry, s.DefaultLeague, log).Mount(app)
	return &App{Fiber: app, Cache: cache, Store: st, close: client.Close}, nil
}

// Close waits (bounded by ctx) for background refreshes and closes the Redis client.
func (a *App) Close(ctx context.Context) error {
	drainErr := a.Cache.Drain(ctx)
	if err := a.close(); err != nil {
		return fmt.Errorf("closing redis client: %w", err)
	}
	if drainErr != nil {
		return fmt.Errorf("waiting for background refreshes: %w", drainErr)
	}
	return nil
}

// RedisLogger routes go-redis's own messages (a failed dial per pool attempt while
// Redis is away) to the service log at debug level: the breaker's transitions and
// the metrics already say that Redis is down, once, in JSON.
type RedisLogger struct{ Logger *slog.Logger }

// Printf implements go-redis's internal logger.
func (l RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.Logger.DebugContext(ctx, "redis client", slog.String("message", fmt.Sprintf(format, v...)))
}
