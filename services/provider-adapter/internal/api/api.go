// Package api serves the adapter's internal HTTP API: /v1/matches, /v1/matches/:id,
// /v1/leagues and /v1/teams. It validates every parameter itself (defence in depth:
// the gateway validated too), answers raw domain JSON with X-Provider, and maps
// provider failures onto the documented envelope codes without naming a host.
package api

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/provider-adapter/internal/providers"
	"github.com/football-tracker/backend/services/provider-adapter/internal/query"
	"github.com/football-tracker/backend/services/provider-adapter/internal/season"
)

// HeaderProvider names the provider that answered.
const HeaderProvider = "X-Provider"

// Providers is what the handlers need from the failover set.
type Providers interface {
	Matches(ctx context.Context, q query.Matches) ([]domain.Match, string, error)
	Match(ctx context.Context, id string) (domain.Match, string, error)
	Teams(ctx context.Context, q query.Teams) ([]domain.Team, string, error)
	CurrentSeasons(ctx context.Context) (map[string]int, string, error)
}

// Config configures the handlers.
type Config struct {
	Providers     Providers
	Registry      *leagues.Registry
	DefaultLeague string
	Logger        *slog.Logger
	Now           func() time.Time
}

type handlers struct {
	cfg Config
}

// Register mounts the routes on app.
func Register(app *fiber.App, cfg Config) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &handlers{cfg: cfg}
	v1 := app.Group("/v1")
	v1.Get("/matches", h.matches)
	v1.Get("/matches/:id", h.match)
	v1.Get("/leagues", h.leagues)
	v1.Get("/teams", h.teams)
}

var (
	yearPattern     = regexp.MustCompile(`^[0-9]{4}$`)
	datePattern     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	matchdayPattern = regexp.MustCompile(`^[1-9][0-9]?$`)
)

// params reads the query, refusing unknown and repeated parameters.
func params(c *fiber.Ctx, allowed ...string) (map[string]string, []envelope.FieldError) {
	out := map[string]string{}
	var bad []envelope.FieldError
	seen := map[string]bool{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		switch {
		case !slices.Contains(allowed, key):
			if len(key) > 32 {
				key = key[:32]
			}
			bad = append(bad, envelope.FieldError{Field: key, Message: "unknown parameter"})
		case seen[key]:
			bad = append(bad, envelope.FieldError{Field: key, Message: "given more than once"})
		default:
			seen[key] = true
			out[key] = string(v)
		}
	})
	return out, bad
}

func (h *handlers) league(p map[string]string, bad *[]envelope.FieldError) leagues.Entry {
	sc, ok := p["league"]
	if !ok || sc == "" {
		sc = h.cfg.DefaultLeague
	}
	e, err := h.cfg.Registry.Lookup(sc)
	if err != nil {
		*bad = append(*bad, envelope.FieldError{Field: "league", Message: "must be one of the supported leagues"})
	}
	return e
}

func (h *handlers) season(p map[string]string, date time.Time, bad *[]envelope.FieldError) int {
	v, ok := p["season"]
	if !ok || v == "" {
		if !date.IsZero() {
			return season.Of(date)
		}
		return season.Of(h.cfg.Now())
	}
	n, err := strconv.Atoi(v)
	if !yearPattern.MatchString(v) || err != nil || !season.Valid(n, h.cfg.Now()) {
		*bad = append(*bad, envelope.FieldError{Field: "season", Message: "must be a season start year from " + strconv.Itoa(season.Min) + " to next season"})
	}
	return n
}

func (h *handlers) matches(c *fiber.Ctx) error {
	p, bad := params(c, "league", "season", "date", "status", "matchday")
	q := query.Matches{League: h.league(p, &bad)}
	if v, ok := p["date"]; ok {
		t, err := time.Parse(time.DateOnly, v)
		if !datePattern.MatchString(v) || err != nil {
			bad = append(bad, envelope.FieldError{Field: "date", Message: "must be a date YYYY-MM-DD"})
		} else {
			q.Date = t
		}
	}
	q.Season = h.season(p, q.Date, &bad)
	if v, ok := p["status"]; ok {
		if !domain.Status(v).Valid() {
			bad = append(bad, envelope.FieldError{Field: "status", Message: "must be one of the match states"})
		}
		q.Status = domain.Status(v)
	}
	if v, ok := p["matchday"]; ok {
		if !matchdayPattern.MatchString(v) {
			bad = append(bad, envelope.FieldError{Field: "matchday", Message: "must be a number from 1 to 99"})
		}
		q.Matchday, _ = strconv.Atoi(v)
	}
	if len(bad) > 0 {
		return envelope.Validation(bad...)
	}
	ms, provider, err := h.cfg.Providers.Matches(c.UserContext(), q)
	if err != nil {
		return h.fail(c, err)
	}
	if ms == nil {
		ms = []domain.Match{}
	}
	return h.answer(c, provider, ms)
}

func (h *handlers) match(c *fiber.Ctx) error {
	_, bad := params(c)
	id := c.Params("id")
	if !domain.IDPattern.MatchString(id) {
		bad = append(bad, envelope.FieldError{Field: "id", Message: "must be a match id such as sm-19134453 or ol-66640"})
	}
	if len(bad) > 0 {
		return envelope.Validation(bad...)
	}
	m, provider, err := h.cfg.Providers.Match(c.UserContext(), id)
	if err != nil {
		return h.fail(c, err)
	}
	return h.answer(c, provider, m)
}

func (h *handlers) teams(c *fiber.Ctx) error {
	p, bad := params(c, "league", "season")
	q := query.Teams{League: h.league(p, &bad)}
	q.Season = h.season(p, time.Time{}, &bad)
	if len(bad) > 0 {
		return envelope.Validation(bad...)
	}
	ts, provider, err := h.cfg.Providers.Teams(c.UserContext(), q)
	if err != nil {
		return h.fail(c, err)
	}
	if ts == nil {
		ts = []domain.Team{}
	}
	return h.answer(c, provider, ts)
}

// leagues lists the registry; the providers only contribute each league's current
// season, so a league no provider lists still appears (with the calendar's season).
func (h *handlers) leagues(c *fiber.Ctx) error {
	if _, bad := params(c); len(bad) > 0 {
		return envelope.Validation(bad...)
	}
	current, provider, err := h.cfg.Providers.CurrentSeasons(c.UserContext())
	if err != nil {
		return h.fail(c, err)
	}
	entries := h.cfg.Registry.Entries()
	out := make([]domain.League, 0, len(entries))
	for _, e := range entries {
		l := e.League()
		l.CurrentSeason = current[e.Shortcut]
		if l.CurrentSeason == 0 {
			l.CurrentSeason = season.Of(h.cfg.Now())
		}
		out = append(out, l)
	}
	return h.answer(c, provider, out)
}

func (h *handlers) answer(c *fiber.Ctx, provider string, v any) error {
	c.Set(HeaderProvider, provider)
	httpserver.AddLogAttrs(c, slog.String("provider", provider))
	return c.Status(fiber.StatusOK).JSON(v)
}

// fail logs the detail (provider, endpoint template, kind: never a host or token)
// and answers the documented code with a plain message.
func (h *handlers) fail(c *fiber.Ctx, err error) error {
	var e *envelope.Error
	switch {
	case errors.Is(err, providers.ErrNotFound):
		e = envelope.New(envelope.CodeNotFound, "The match was not found.")
	case errors.Is(err, providers.ErrUnavailable):
		e = envelope.New(envelope.CodeServiceUnavailable, "No data provider is available right now.")
	case errors.Is(err, providers.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		e = envelope.New(envelope.CodeUpstreamTimeout, "")
	case errors.Is(err, providers.ErrUpstream):
		e = envelope.New(envelope.CodeUpstream, "")
	default:
		e = envelope.New(envelope.CodeServiceUnavailable, "")
	}
	level := slog.LevelWarn
	if e.Code == envelope.CodeNotFound {
		level = slog.LevelInfo
	}
	h.cfg.Logger.Log(c.UserContext(), level, "provider request failed",
		slog.String("route", c.Route().Path), slog.String("code", string(e.Code)), slog.Any("error", err))
	return e
}
