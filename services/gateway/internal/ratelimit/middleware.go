package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
)

// Plan is what a subject is limited by: its windows and their RateLimit-Policy value,
// rendered once when the config loads rather than on every request.
type Plan struct {
	Windows []Window
	Policy  string
}

// NewPlan builds a plan of per-minute and per-day windows.
func NewPlan(perMinute, perDay int) Plan {
	ws := Windows(perMinute, perDay)
	return Plan{Windows: ws, Policy: Policy(ws)}
}

// Subject is who a request is counted against.
type Subject struct {
	Tier string
	// ID is the client IP (anonymous) or the JWT sub.
	ID   string
	Plan Plan
	// RevokedKey, when set, is checked for existence in the same Redis round trip.
	RevokedKey string
}

// Config configures New.
type Config struct {
	// Next skips the middleware when it returns true.
	Next    func(c *fiber.Ctx) bool
	Limiter *Limiter
	// KeyPrefix is REDIS_KEY_PREFIX.
	KeyPrefix string
	// Subject names who the request counts against.
	Subject func(c *fiber.Ctx) Subject
	// OnRevoked builds the answer for a request whose token is on the denylist.
	OnRevoked func(c *fiber.Ctx) error
	// Observe records each decision: tier, decision (allowed|limited|unavailable), source.
	Observe func(tier, decision, source string)
	Logger  *slog.Logger
}

// ConfigDefault fills what a Config leaves out.
var ConfigDefault = Config{
	OnRevoked: func(*fiber.Ctx) error { return envelope.New(envelope.CodeUnauthorized, "") },
	Observe:   func(string, string, string) {},
}

// The response headers of draft-ietf-httpapi-ratelimit-headers.
const (
	HeaderLimit     = "RateLimit-Limit"
	HeaderRemaining = "RateLimit-Remaining"
	HeaderReset     = "RateLimit-Reset"
	HeaderPolicy    = "RateLimit-Policy"
)

// New returns the rate-limit middleware. It panics on a Config without Limiter or
// Subject: that is a wiring mistake found at start, never per request.
func New(cfg Config) fiber.Handler {
	if cfg.Limiter == nil || cfg.Subject == nil {
		panic("ratelimit: Config.Limiter and Config.Subject are required")
	}
	if cfg.OnRevoked == nil {
		cfg.OnRevoked = ConfigDefault.OnRevoked
	}
	if cfg.Observe == nil {
		cfg.Observe = ConfigDefault.Observe
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return func(c *fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		s := cfg.Subject(c)
		key := cfg.KeyPrefix + "rl:" + s.Tier + ":" + s.ID
		d, err := cfg.Limiter.Allow(c.UserContext(), key, s.Plan.Windows, s.RevokedKey)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return envelope.New(envelope.CodeServiceUnavailable, "")
			}
			cfg.Observe(s.Tier, "unavailable", "redis")
			httpserver.AddLogAttrs(c, slog.String("ratelimit", "unavailable"), slog.String("tier", s.Tier))
			cfg.Logger.WarnContext(c.UserContext(), "rate limiter unavailable, failing closed", slog.Any("error", err))
			return envelope.New(envelope.CodeServiceUnavailable, "")
		}
		if d.Revoked {
			return cfg.OnRevoked(c)
		}
		b := d.Binding()
		c.Set(HeaderLimit, strconv.Itoa(b.Window.Rate))
		c.Set(HeaderRemaining, strconv.Itoa(b.Remaining))
		c.Set(HeaderReset, strconv.FormatInt(ceilSeconds(b.ResetAfter), 10))
		c.Set(HeaderPolicy, s.Plan.Policy)
		decision := "allowed"
		if !d.Allowed {
			decision = "limited"
		}
		cfg.Observe(s.Tier, decision, d.Source)
		httpserver.AddLogAttrs(c, slog.String("ratelimit", decision), slog.String("tier", s.Tier), slog.String("ratelimit_source", d.Source))
		if !d.Allowed {
			return envelope.RateLimited(d.RetryAfter)
		}
		return c.Next()
	}
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
