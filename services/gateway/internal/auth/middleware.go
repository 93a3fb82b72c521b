// Package auth authenticates requests with the gateway's bearer tokens and serves
// login, refresh and logout.
package auth

import (
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"

	"github.com/football-tracker/backend/services/gateway/internal/policy"
	"github.com/football-tracker/backend/services/gateway/internal/token"
)

// Verifier checks an access token; *token.Manager is the implementation.
type Verifier interface {
	Verify(raw string) (token.Claims, error)
}

// Directory says what the live config holds about a subject; *policy.Policy is the
// implementation.
type Directory interface {
	Lookup(sub string) policy.Subject
}

// Principal is the authenticated caller of a request.
type Principal struct {
	Claims token.Claims
	// Role is the effective role: admin only if the token says admin and the live
	// config still grants it, so a downgrade takes effect before the token expires.
	Role    string
	Subject policy.Subject
}

const principalKey = "auth.principal"

// PrincipalOf returns the caller authenticated by New, if any.
func PrincipalOf(c *fiber.Ctx) (*Principal, bool) {
	p, ok := c.Locals(principalKey).(*Principal)
	return p, ok
}

// Config configures New.
type Config struct {
	// Next skips the middleware when it returns true.
	Next      func(c *fiber.Ctx) bool
	Verifier  Verifier
	Directory Directory
	// OnFailure counts a refused request by reason.
	OnFailure func(reason string)
	// Reject answers a refused request. The gateway counts it against the caller's
	// anonymous budget, so that requests without a valid token are limited too.
	Reject func(c *fiber.Ctx, e *envelope.Error) error
}

// ConfigDefault fills what a Config leaves out.
var ConfigDefault = Config{
	OnFailure: func(string) {},
	Reject:    func(_ *fiber.Ctx, e *envelope.Error) error { return e },
}

// New returns the authenticate middleware: a valid bearer token of a known, not
// suspended subject, or 401 UNAUTHORIZED (403 FORBIDDEN for a suspended client).
// Revocation is checked by the rate limiter in the same Redis round trip.
func New(cfg Config) fiber.Handler {
	if cfg.Verifier == nil || cfg.Directory == nil {
		panic("auth: Config.Verifier and Config.Directory are required")
	}
	if cfg.OnFailure == nil {
		cfg.OnFailure = ConfigDefault.OnFailure
	}
	if cfg.Reject == nil {
		cfg.Reject = ConfigDefault.Reject
	}
	return func(c *fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		raw, ok := bearer(c.Get(fiber.HeaderAuthorization))
		if !ok {
			cfg.OnFailure("missing")
			return cfg.Reject(c, envelope.New(envelope.CodeUnauthorized, ""))
		}
		claims, err := cfg.Verifier.Verify(raw)
		if err != nil {
			cfg.OnFailure(token.Reason(err))
			return cfg.Reject(c, envelope.New(envelope.CodeUnauthorized, ""))
		}
		subj := cfg.Directory.Lookup(claims.Subject)
		if !subj.Known {
			cfg.OnFailure("unknown_subject")
			return cfg.Reject(c, envelope.New(envelope.CodeUnauthorized, ""))
		}
		httpserver.AddLogAttrs(c, slog.String("sub", claims.Subject))
		if subj.Suspended {
			cfg.OnFailure("suspended")
			return cfg.Reject(c, envelope.New(envelope.CodeForbidden, "This client is suspended."))
		}
		role := token.RoleUser
		if claims.Role == token.RoleAdmin && subj.Role == token.RoleAdmin {
			role = token.RoleAdmin
		}
		c.Locals(principalKey, &Principal{Claims: claims, Role: role, Subject: subj})
		return c.Next()
	}
}

// RequireRole answers 403 FORBIDDEN unless the authenticated caller has role.
func RequireRole(role string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, ok := PrincipalOf(c)
		if !ok {
			return envelope.New(envelope.CodeUnauthorized, "")
		}
		if p.Role != role {
			return envelope.New(envelope.CodeForbidden, "")
		}
		return c.Next()
	}
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	t := strings.TrimSpace(h[len(scheme):])
	if t == "" || len(t) > token.MaxLen || strings.ContainsAny(t, " \t,") {
		return "", false
	}
	return t, true
}
