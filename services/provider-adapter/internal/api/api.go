// Package api serves the adapter's internal HTTP API: /v1/matches, /v1/matches/:id,
// /v1/leagues and /v1/teams. It validates every parameter itself with the rules every
// service shares (pkg/query; defence in depth: the gateway validated too), answers raw domain JSON with X-Provider, and maps
// provider failures onto the documented envelope codes without naming a host.
package api

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/leagues"
	rules "github.com/football-tracker/backend/pkg/query"

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
	cfg       Config
	matchSpec rules.Spec
	teamSpec  rules.Spec
}

// Register mounts the routes on app.
func Register(app *fiber.App, cfg Config) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &handlers{
		cfg:       cfg,
		matchSpec: rules.Matches(cfg.Registry, cfg.Now),
		teamSpec:  rules.Teams(cfg.Registry, cfg.Now),
	}
	v1 := app.Group("/v1")
	v1.Get("/matches", h.matches)
	v1.Get("/matches/:id", h.match)
	v1.Get("/leagues", h.leagues)
	v1.Get("/teams", h.teams)
}

// parse validates the query with the rules every service shares.
func parse(c *fiber.Ctx, spec rules.Spec) (rules.Values, *envelope.Error) {
	return spec.Parse(c.Context().QueryArgs().QueryString())
}

// league is the requested league, or the default one.
func (h *handlers) league(v rules.Values) leagues.Entry {
	sc := v["league"]
	if sc == "" {
		sc = h.cfg.DefaultLeague
	}
	// The rule accepted only registry shortcuts and DEFAULT_LEAGUE was checked at start.
	e, _ := h.cfg.Registry.Lookup(sc)
	return e
}

// season is the requested season, or the one the date (or today) falls in.
func (h *handlers) season(v rules.Values, date time.Time) int {
	if n, err := strconv.Atoi(v["season"]); err == nil {
		return n
	}
	if !date.IsZero() {
		return season.Of(date)
	}
	return season.Of(h.cfg.Now())
}

func (h *handlers) matches(c *fiber.Ctx) error {
	v, verr := parse(c, h.matchSpec)
	if verr != nil {
		return verr
	}
	q := query.Matches{League: h.league(v), Status: domain.Status(v["status"])}
	if d := v["date"]; d != "" {
		q.Date, _ = time.Parse(time.DateOnly, d)
	}
	q.Season = h.season(v, q.Date)
	q.Matchday, _ = strconv.Atoi(v["matchday"])
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
	_, verr := parse(c, rules.None)
	var bad []envelope.FieldError
	if verr != nil {
		bad = verr.Details
	}
	id := c.Params("id")
	if _, msg := rules.MatchID(id); msg != "" {
		bad = append(bad, envelope.FieldError{Field: "id", Message: msg})
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
	v, verr := parse(c, h.teamSpec)
	if verr != nil {
		return verr
	}
	q := query.Teams{League: h.league(v), Season: h.season(v, time.Time{})}
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
	if _, verr := parse(c, rules.None); verr != nil {
		return verr
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
