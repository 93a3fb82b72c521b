package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/leagues"
	"github.com/football-tracker/backend/pkg/redisclient"
	"github.com/football-tracker/backend/pkg/service"
	"github.com/football-tracker/backend/pkg/telemetry"

	"github.com/football-tracker/backend/services/gateway/internal/auth"
	"github.com/football-tracker/backend/services/gateway/internal/clientip"
	settings "github.com/football-tracker/backend/services/gateway/internal/config"
	"github.com/football-tracker/backend/services/gateway/internal/policy"
	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
	"github.com/football-tracker/backend/services/gateway/internal/reload"
	"github.com/football-tracker/backend/services/gateway/internal/respcache"
	"github.com/football-tracker/backend/services/gateway/internal/token"
	"github.com/football-tracker/backend/services/gateway/internal/upstream"
)

// Build assembles the gateway from its settings: every dependency, the health
// components and the routes. The returned function runs the background work (file
// watching) until ctx ends. Errors name the variable at fault.
func Build(ctx context.Context, rt *service.Runtime, s settings.Settings, started time.Time) (*fiber.App, func(context.Context), error) {
	reg, err := leagues.Load(s.LeaguesConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("LEAGUES_CONFIG: %w", err)
	}
	trusted, err := clientip.ParseTrusted(s.TrustedProxies)
	if err != nil {
		return nil, nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	// go-redis logs every failed dial on its own, unstructured, on stderr; route it to
	// the JSON log at debug level: the breaker's state change is the operator's signal.
	redis.SetLogger(redisLogger{rt.Logger})
	rdb, err := redisclient.New(s.Redis)
	if err != nil {
		return nil, nil, err
	}
	rt.OnShutdown(func(context.Context) error { return rdb.Close() })

	pol := policy.New(s.AdminUser)
	watcher, err := reload.New(rt.Logger, reload.NewMetrics(rt.Registry),
		reload.File{Name: "RATE_LIMIT_CONFIG", Path: s.RateLimitConfig, Apply: pol.LoadLimits},
		reload.File{Name: "CLIENT_CREDENTIALS", Path: s.ClientCredentials, Apply: pol.LoadCredentials},
	)
	if err != nil {
		return nil, nil, err
	}

	tokens, err := token.NewManager(token.Options{
		Secret:    []byte(s.JWTSecret),
		Issuer:    s.JWTIssuer,
		Audience:  s.JWTAudience,
		TTL:       s.JWTTTL,
		CacheSize: s.TokenCacheSize,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("JWT_SECRET: %w", err)
	}
	sessions := token.NewSessions(rdb, s.KeyPrefix, s.RefreshTTL).WithBudget(4 * s.ReadTimeout)
	m := NewMetrics(rt.Registry)
	limiter, err := ratelimit.NewLimiter(rdb, ratelimit.Options{
		FailMode: ratelimit.FailMode(s.RateLimitFailMode),
		Budget:   s.ReadTimeout,
		OnStateChange: func(from, to gobreaker.State) {
			m.BreakerChanged(from, to)
			rt.Logger.Warn("redis breaker changed state", slog.String("from", from.String()), slog.String("to", to.String()),
				slog.String("fail_mode", s.RateLimitFailMode))
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("RATE_LIMIT_FAIL_MODE: %w", err)
	}
	// Registered after the Redis client, so it runs before the client closes.
	rt.OnShutdown(func(context.Context) error { limiter.Close(); return nil })
	up := upstream.New(upstream.Options{
		CacheURL:   s.CacheURL,
		AdapterURL: s.AdapterURL,
		HTTP:       telemetry.NewHTTPClient(telemetry.ClientOptions{Timeout: s.UpstreamTimeout, MaxConnsPerHost: 256}),
		Logger:     rt.Logger,
		Registry:   rt.Registry,
		Local: respcache.New(respcache.Options{
			Size: s.ResponseCacheSize, TTL: s.ResponseCacheTTL, MaxBytes: s.ResponseCacheMaxBytes,
		}),
	})
	handlers, err := auth.NewHandlers(tokens, sessions, pol, limiter, auth.HandlerOptions{
		AdminPass:    s.AdminPass,
		KeyPrefix:    s.KeyPrefix,
		LoginPerIP:   ratelimit.Plan{Windows: []ratelimit.Window{{Rate: s.LoginPerIPPerMinute, Burst: s.LoginPerIPPerMinute, Period: time.Minute}}},
		LoginPerUser: ratelimit.Plan{Windows: []ratelimit.Window{{Rate: s.LoginPerUserPerMinute, Burst: s.LoginPerUserPerMinute, Period: time.Minute}}},
		ClientIP:     trusted.Of,
		OnFailure:    m.AuthFailure,
		Logger:       rt.Logger,
	})
	if err != nil {
		return nil, nil, err
	}

	// Redis gates readiness only in fail-closed mode: in fail-open mode every replica
	// keeps serving (local limits, cached verification) while Redis is away, and
	// pulling them all out of the load balancer would turn a Redis blip into an outage.
	var redisOpts []health.Option
	if s.RateLimitFailMode == string(ratelimit.FailOpen) {
		redisOpts = append(redisOpts, health.Optional())
	}
	ping := redisclient.Ping(rdb)
	rt.Health.Register("redis", func(ctx context.Context) error {
		// While the limiter's breaker is open Redis is known to be down: answer at once
		// instead of dialling, and never take longer than REDIS_TIMEOUT, so probes with
		// short timeouts still get an answer.
		if limiter.BreakerState() == gobreaker.StateOpen {
			return errors.New("redis breaker open")
		}
		ctx, cancel := context.WithTimeout(ctx, s.ReadTimeout)
		defer cancel()
		return ping(ctx)
	}, redisOpts...)
	rt.Health.Register("cache", up.Check("cache"), health.Optional())
	rt.Health.Register("adapter", up.Check("adapter"), health.Optional())

	app := rt.NewApp(httpserver.Config{BodyLimit: s.MaxBodyBytes, ClientIP: trusted.Of})
	// fasthttp's default 4 KiB write buffer splits every answer larger than that (most
	// data answers: a matchday is ~7 KiB) into two write syscalls, the costliest step
	// of the hit path after the Redis round trip. One buffer per connection being
	// written to, so 64 busy connections cost 1 MiB.
	app.Server().WriteBufferSize = WriteBufferSize
	err = Mount(app, Deps{
		Logger:    rt.Logger,
		Health:    rt.Health,
		Version:   s.Version,
		Started:   started,
		Leagues:   reg,
		Tokens:    tokens,
		Sessions:  sessions,
		Policy:    pol,
		Limiter:   limiter,
		Upstream:  up,
		Auth:      handlers,
		Trusted:   trusted,
		Origins:   s.CORSAllowedOrigins,
		KeyPrefix: s.KeyPrefix,
		Metrics:   m,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("CORS_ALLOWED_ORIGINS: %w", err)
	}
	return app, watcher.Run, nil
}

// WriteBufferSize is the gateway's per-connection response buffer.
const WriteBufferSize = 16 << 10

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), slog.String("component", "go-redis"))
}
