// Package server wires the gateway's public API: middleware order, routes and the
// data handlers that wrap upstream answers in the envelope.
package server

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/leagues"
	"github.com/football-tracker/backend/pkg/query"

	"github.com/football-tracker/backend/services/gateway/api"
	"github.com/football-tracker/backend/services/gateway/internal/auth"
	"github.com/football-tracker/backend/services/gateway/internal/clientip"
	"github.com/football-tracker/backend/services/gateway/internal/cors"
	"github.com/football-tracker/backend/services/gateway/internal/policy"
	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
	"github.com/football-tracker/backend/services/gateway/internal/token"
	"github.com/football-tracker/backend/services/gateway/internal/upstream"
	"github.com/football-tracker/backend/services/gateway/internal/validate"
)

// Deps is everything the routes need.
type Deps struct {
	Logger    *slog.Logger
	Health    *health.Checker
	Version   string
	Started   time.Time
	Leagues   *leagues.Registry
	Tokens    *token.Manager
	Sessions  *token.Sessions
	Policy    *policy.Policy
	Limiter   *ratelimit.Limiter
	Upstream  *upstream.Client
	Auth      *auth.Handlers
	Trusted   clientip.Trusted
	Origins   []string
	KeyPrefix string
	Metrics   *Metrics
	// Now is the clock of the season validator.
	Now func() time.Time
}

// Mount adds the public API to app.
func Mount(app *fiber.App, d Deps) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	corsMW, err := cors.New(cors.Config{AllowOrigins: d.Origins})
	if err != nil {
		return err
	}
	app.Use(corsMW)
	// OPTIONS is answered for every path (preflights already were, by CORS); a route
	// for it would turn every unknown path's 404 into a 405.
	app.Use(func(c *fiber.Ctx) error {
		if c.Method() == fiber.MethodOptions {
			c.Set(fiber.HeaderAllow, "GET, POST, OPTIONS")
			return c.SendStatus(fiber.StatusNoContent)
		}
		return c.Next()
	})

	anonymousSubject := func(c *fiber.Ctx) ratelimit.Subject {
		return ratelimit.Subject{Tier: "anonymous", ID: d.Trusted.Of(c), Plan: d.Policy.Anonymous()}
	}
	anonymous := ratelimit.New(ratelimit.Config{
		Limiter:   d.Limiter,
		KeyPrefix: d.KeyPrefix,
		Logger:    d.Logger,
		Observe:   d.Metrics.Decision,
		Subject:   anonymousSubject,
	})
	authn := auth.New(auth.Config{
		Verifier:  d.Tokens,
		Directory: d.Policy,
		OnFailure: d.Metrics.AuthFailure,
		// A request without a valid token spends the caller's anonymous budget, so
		// guessing or replaying tokens is limited like any anonymous traffic; past the
		// budget it gets 429 instead of 401.
		Reject: func(c *fiber.Ctx, e *envelope.Error) error {
			s := anonymousSubject(c)
			dec, err := d.Limiter.Allow(c.UserContext(), d.KeyPrefix+"rl:anonymous:"+s.ID, s.Plan.Windows, "")
			if err == nil && !dec.Allowed {
				d.Metrics.Decision(s.Tier, "limited", dec.Source)
				return envelope.RateLimited(dec.RetryAfter)
			}
			return e
		},
	})
	limited := ratelimit.New(ratelimit.Config{
		Limiter:   d.Limiter,
		KeyPrefix: d.KeyPrefix,
		Logger:    d.Logger,
		Observe:   d.Metrics.Decision,
		Subject: func(c *fiber.Ctx) ratelimit.Subject {
			p, _ := auth.PrincipalOf(c)
			return ratelimit.Subject{
				Tier:       string(p.Subject.Tier),
				ID:         p.Claims.Subject,
				Plan:       p.Subject.Plan,
				RevokedKey: d.Sessions.RevokedKey(p.Claims.JTI),
			}
		},
		OnRevoked: func(*fiber.Ctx) error {
			d.Metrics.AuthFailure("revoked")
			return envelope.New(envelope.CodeUnauthorized, "")
		},
	})
	noQuery := validate.Query(query.None)
	matches := validate.Query(query.Matches(d.Leagues, d.Now))
	teams := validate.Query(query.Teams(d.Leagues, d.Now))

	v1 := app.Group("/api/v1")
	v1.Get("/health", noQuery, anonymous, Health(d.Health, d.Version, d.Started))
	v1.Get("/openapi.json", noQuery, anonymous, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(api.OpenAPI)
	})
	v1.Post("/auth/login", noQuery, anonymous, d.Auth.Login)
	v1.Post("/auth/refresh", noQuery, anonymous, d.Auth.Refresh)
	v1.Post("/auth/logout", noQuery, authn, limited, d.Auth.Logout)
	v1.Get("/matches", matches, authn, limited, d.list("/v1/matches"))
	v1.Get("/matches/:id", noQuery, validate.Param("id", query.MatchID), authn, limited, d.match)
	v1.Get("/leagues", noQuery, authn, limited, d.list("/v1/leagues"))
	v1.Get("/teams", teams, authn, limited, d.list("/v1/teams"))
	v1.Post("/admin/cache/invalidate", noQuery, authn, limited, auth.RequireRole(token.RoleAdmin), d.invalidate)
	return nil
}

func (d Deps) list(path string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := d.Upstream.Get(c.UserContext(), path, validate.CanonicalQuery(c))
		if err != nil {
			return err
		}
		return writeData(c, r)
	}
}

func (d Deps) match(c *fiber.Ctx) error {
	// The id passed query.MatchID: letters, a dash and digits only.
	r, err := d.Upstream.Get(c.UserContext(), "/v1/matches/"+c.Params("id"), "")
	if err != nil {
		return err
	}
	return writeData(c, r)
}

// writeData wraps the upstream's raw JSON in the success envelope without decoding it.
func writeData(c *fiber.Ctx, r upstream.Response) error {
	httpserver.AddLogAttrs(c, slog.String("upstream", r.Source), slog.Bool("cached", r.Cached))
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	resp := c.Response()
	resp.AppendBodyString(`{"success":true,"data":`)
	resp.AppendBody(r.Body)
	var buf [48]byte
	b := append(buf[:0], `,"cached":`...)
	b = strconv.AppendBool(b, r.Cached)
	b = append(b, `,"timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `"}`...)
	resp.AppendBody(b)
	return nil
}

// InvalidateRequest is the body of POST /api/v1/admin/cache/invalidate.
type InvalidateRequest struct {
	Resource string `json:"resource"`
	League   string `json:"league,omitempty"`

	registry *leagues.Registry
}

var resources = map[string]bool{"matches": true, "match": true, "leagues": true, "teams": true, "all": true}

// Validate implements validate.Body.
func (r *InvalidateRequest) Validate() []envelope.FieldError {
	var d []envelope.FieldError
	if !resources[r.Resource] {
		d = append(d, envelope.FieldError{Field: "resource", Message: "must be one of matches, match, leagues, teams, all"})
	}
	if r.League != "" && !r.registry.Has(r.League) {
		d = append(d, envelope.FieldError{Field: "league", Message: "must be one of the supported leagues"})
	}
	return d
}

func (d Deps) invalidate(c *fiber.Ctx) error {
	req := InvalidateRequest{registry: d.Leagues}
	if err := validate.JSON(c, &req); err != nil {
		return err
	}
	// Re-encoded from the validated struct: the client's bytes never go upstream.
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	r, err := d.Upstream.Invalidate(c.UserContext(), body)
	if err != nil {
		return err
	}
	r.Cached = false
	return writeData(c, r)
}
