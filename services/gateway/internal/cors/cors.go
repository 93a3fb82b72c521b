// Package cors answers cross-origin requests for the origins the operator lists and for
// nobody else: an origin that is not listed gets no CORS header at all, so the browser
// blocks it, and the allowed origin is echoed, never "*", because credentials (the
// Authorization header) are allowed.
package cors

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Config configures New.
type Config struct {
	// Next skips the middleware when it returns true.
	Next func(c *fiber.Ctx) bool
	// AllowOrigins are exact origins (scheme://host[:port] or chrome-extension://id).
	AllowOrigins []string
	AllowMethods []string
	AllowHeaders []string
	// ExposeHeaders are the response headers a browser script may read.
	ExposeHeaders []string
	MaxAge        int
}

// ConfigDefault is the public API's policy without origins.
var ConfigDefault = Config{
	AllowMethods:  []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodOptions},
	AllowHeaders:  []string{fiber.HeaderAuthorization, fiber.HeaderContentType, "Traceparent", "Tracestate", "Baggage"},
	ExposeHeaders: []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", fiber.HeaderRetryAfter},
	MaxAge:        600,
}

// ErrWildcard is returned for a "*" origin.
var ErrWildcard = errors.New("cors: a wildcard origin cannot be combined with credentials")

// New returns the middleware. It refuses a wildcard origin at construction.
func New(cfg Config) (fiber.Handler, error) {
	if cfg.AllowMethods == nil {
		cfg.AllowMethods = ConfigDefault.AllowMethods
	}
	if cfg.AllowHeaders == nil {
		cfg.AllowHeaders = ConfigDefault.AllowHeaders
	}
	if cfg.ExposeHeaders == nil {
		cfg.ExposeHeaders = ConfigDefault.ExposeHeaders
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = ConfigDefault.MaxAge
	}
	allowed := make(map[string]struct{}, len(cfg.AllowOrigins))
	for _, o := range cfg.AllowOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			return nil, ErrWildcard
		}
		if o != "" {
			allowed[strings.ToLower(o)] = struct{}{}
		}
	}
	methods := strings.Join(cfg.AllowMethods, ", ")
	headers := strings.Join(cfg.AllowHeaders, ", ")
	expose := strings.Join(cfg.ExposeHeaders, ", ")
	maxAge := strconv.Itoa(cfg.MaxAge)

	return func(c *fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		// Every answer depends on Origin, allowed or not, so caches must key on it.
		c.Vary(fiber.HeaderOrigin)
		origin := c.Get(fiber.HeaderOrigin)
		preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
		_, ok := allowed[strings.ToLower(origin)]
		if origin == "" || !ok {
			if preflight {
				// No CORS headers: the browser refuses the cross-origin call.
				return c.SendStatus(fiber.StatusNoContent)
			}
			return c.Next()
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
		if preflight {
			c.Vary(fiber.HeaderAccessControlRequestMethod, fiber.HeaderAccessControlRequestHeaders)
			c.Set(fiber.HeaderAccessControlAllowMethods, methods)
			c.Set(fiber.HeaderAccessControlAllowHeaders, headers)
			c.Set(fiber.HeaderAccessControlMaxAge, maxAge)
			return c.SendStatus(fiber.StatusNoContent)
		}
		c.Set(fiber.HeaderAccessControlExposeHeaders, expose)
		return c.Next()
	}, nil
}
