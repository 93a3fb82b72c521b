// Package server holds the cache's HTTP routes: the four read-through resources and
// invalidation.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/cache/internal/query"
	"github.com/football-tracker/backend/services/cache/internal/readthrough"
	"github.com/football-tracker/backend/services/cache/internal/store"
)

// Cache is the read-through cache as the routes use it.
type Cache interface {
	Get(ctx context.Context, q query.Query) (readthrough.Result, error)
	Invalidate(ctx context.Context, resource, league string) ([]string, error)
}

// Handler serves the cache's API.
type Handler struct {
	cache    Cache
	parser   *query.Parser
	registry *leagues.Registry
	log      *slog.Logger
}

// New returns the handler.
func New(cache Cache, registry *leagues.Registry, defaultLeague string, log *slog.Logger) *Handler {
	return &Handler{cache: cache, parser: query.NewParser(registry, defaultLeague), registry: registry, log: log}
}

// Mount adds the routes to app.
func (h *Handler) Mount(app *fiber.App) {
	app.Get("/v1/matches", h.get(query.Matches))
	app.Get("/v1/matches/:id", h.get(query.Match))
	app.Get("/v1/leagues", h.get(query.Leagues))
	app.Get("/v1/teams", h.get(query.Teams))
	app.Post("/v1/invalidate", h.invalidate)
}

func (h *Handler) get(r query.Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Every answer but a fresh entry (errors included, which the app's error
		// handler writes) tells callers not to keep it.
		c.Set(fiber.HeaderCacheControl, noStore)
		q, verr := h.parser.Parse(r, c.Params("id"), c.Context().QueryArgs())
		if verr != nil {
			return verr
		}
		res, err := h.cache.Get(c.UserContext(), q)
		if err != nil {
			return err
		}
		httpserver.AddLogAttrs(c, slog.String("cache", string(res.Outcome)))
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		c.Set("X-Cache", string(res.Outcome))
		c.Set(fiber.HeaderAge, strconv.FormatInt(int64(res.Age.Seconds()), 10))
		if res.Provider != "" {
			c.Set("X-Provider", res.Provider)
		}
		if s := maxAgeSeconds(res); s > 0 {
			c.Set(fiber.HeaderCacheControl, "max-age="+strconv.FormatInt(s, 10))
		}
		return c.Status(res.Status).Send(res.Body)
	}
}

const noStore = "no-store"

// maxAgeSeconds is the whole seconds a caller may keep res: rounded down, so a caller
// never serves an answer past the entry's TTL here.
func maxAgeSeconds(res readthrough.Result) int64 {
	if res.Status != fiber.StatusOK || (res.Outcome != readthrough.Hit && res.Outcome != readthrough.Miss) {
		return 0
	}
	return int64(res.MaxAge / time.Second)
}

// invalidateRequest is the body of POST /v1/invalidate.
type invalidateRequest struct {
	Resource string `json:"resource"`
	League   string `json:"league,omitempty"`
}

func (h *Handler) invalidate(c *fiber.Ctx) error {
	if !c.Is("json") {
		return envelope.New(envelope.CodeUnsupportedMedia, "")
	}
	var req invalidateRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return envelope.Validation(envelope.FieldError{Field: "body", Message: "must be {\"resource\": ..., \"league\"?: ...}"})
	}
	var details []envelope.FieldError
	if req.Resource != readthrough.All && !query.Resource(req.Resource).Valid() {
		details = append(details, envelope.FieldError{Field: "resource", Message: "must be one of matches, match, leagues, teams, all"})
	}
	if req.League != "" && !h.registry.Has(req.League) {
		details = append(details, envelope.FieldError{Field: "league", Message: "unknown league"})
	}
	if len(details) > 0 {
		return envelope.Validation(details...)
	}
	tags, err := h.cache.Invalidate(c.UserContext(), req.Resource, req.League)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return envelope.New(envelope.CodeServiceUnavailable, "The cache store is unavailable; nothing was invalidated.")
		}
		return err
	}
	h.log.InfoContext(c.UserContext(), "cache invalidated", slog.String("resource", req.Resource), slog.String("league", req.League), slog.Any("namespaces", tags))
	return c.JSON(fiber.Map{"invalidated": tags})
}
