// Package sportmonks is the SportMonks Football API v3 client and its mapping onto
// the domain model. The token travels only in the Authorization header; the
// per-entity rate_limit of every answer is tracked so the adapter fails over before
// the provider starts answering 429.
package sportmonks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/provider-adapter/internal/query"
	"github.com/football-tracker/backend/services/provider-adapter/internal/upstream"
)

// Entities as SportMonks names them in rate_limit.requested_entity.
const (
	entityFixture = "Fixture"
	entityLeague  = "League"
	entityTeam    = "Team"
)

const (
	apiPrefix      = "/v3/football"
	matchIncludes  = "participants;scores;state;league;season;round;events"
	listIncludes   = "participants;scores;state;season;round;events"
	maxPerPage     = 50
	seasonCacheTTL = 6 * time.Hour
)

// Config configures a Client.
type Config struct {
	BaseURL string
	Token   string
	HTTP    *upstream.Client
	// Registry names leagues in mapped matches.
	Registry *leagues.Registry
	Logger   *slog.Logger
	// MaxPages caps how many pages one listing follows (default 20 = 1000 items).
	MaxPages int
	// PerPage is the page size asked for (default and provider maximum 50).
	PerPage int
	// QuotaReserve is the remaining allowance at which the adapter stops calling an
	// entity (default 5), so interactive requests are never the ones to hit 429.
	QuotaReserve int
	Metrics      prometheus.Registerer
	Now          func() time.Time
}

// Client talks to SportMonks.
type Client struct {
	cfg    Config
	base   *url.URL
	quota  *quota
	mapper Mapper

	mu      sync.Mutex
	seasons map[int]seasonIndex // by league id
}

type seasonIndex struct {
	byYear  map[int]int
	current int
	fetched time.Time
}

// ErrSeasonUnknown is returned when SportMonks lists no season for the year asked.
var ErrSeasonUnknown = errors.New("season not carried by sportmonks")

// New returns a client; it never logs or returns the token.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, errors.New("sportmonks base URL is invalid")
	}
	if cfg.Token == "" {
		return nil, errors.New("sportmonks token is empty")
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 20
	}
	if cfg.PerPage <= 0 || cfg.PerPage > maxPerPage {
		cfg.PerPage = maxPerPage
	}
	if cfg.QuotaReserve <= 0 {
		cfg.QuotaReserve = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = leagues.Builtin()
	}
	byID := map[int]string{}
	for _, e := range cfg.Registry.Entries() {
		if e.SportMonksID != 0 {
			byID[e.SportMonksID] = e.Shortcut
		}
	}
	c := &Client{cfg: cfg, base: base, quota: newQuota(cfg.QuotaReserve, cfg.Now, cfg.Metrics), seasons: map[int]seasonIndex{}}
	c.mapper = Mapper{
		League: func(id int) string { return byID[id] },
		Now:    cfg.Now,
		UnknownState: func(name string, id int) {
			cfg.Logger.Warn("unknown sportmonks state mapped to a safe status", slog.String("state", name), slog.Int("state_id", id))
		},
	}
	return c, nil
}

// Name is the provider's name.
func (c *Client) Name() string { return domain.ProviderSportMonks }

// Supports reports whether SportMonks carries the league.
func (c *Client) Supports(e leagues.Entry) bool { return e.SportMonksID != 0 }

// envelope is the v3 response wrapper; subscription and timezone are read past.
type envelope struct {
	Data json.RawMessage `json:"data"`
	// Message without data is the 200 "No result(s) found" answer.
	Message    string `json:"message"`
	Pagination *struct {
		CurrentPage int  `json:"current_page"`
		HasMore     bool `json:"has_more"`
	} `json:"pagination"`
	RateLimit *struct {
		ResetsInSeconds int    `json:"resets_in_seconds"`
		Remaining       int    `json:"remaining"`
		RequestedEntity string `json:"requested_entity"`
	} `json:"rate_limit"`
}

// get calls one page. path is already escaped; endpoint is its template.
func (c *Client) get(ctx context.Context, endpoint, path string, q url.Values, entity string) (*envelope, error) {
	if ok, wait := c.quota.allows(entity); !ok {
		return nil, &upstream.Error{
			Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindRateLimited, RetryAfter: wait,
			Err: errors.New("quota reserve reached, not calling"),
		}
	}
	u := *c.base
	u.Path = c.base.Path + apiPrefix + path
	u.RawQuery = q.Encode()
	resp, err := c.cfg.HTTP.Get(ctx, upstream.Request{
		Endpoint: endpoint,
		URL:      u.String(),
		Header:   http.Header{"Authorization": {c.cfg.Token}},
	})
	var env envelope
	decodeErr := errors.New("no body")
	if resp != nil {
		decodeErr = json.Unmarshal(resp.Body, &env)
		if decodeErr == nil && env.RateLimit != nil {
			ent := env.RateLimit.RequestedEntity
			if ent == "" {
				ent = entity
			}
			c.quota.update(ent, env.RateLimit.Remaining, env.RateLimit.ResetsInSeconds)
		}
	}
	if err != nil {
		var ue *upstream.Error
		if errors.As(err, &ue) && ue.Kind == upstream.KindRateLimited {
			wait := ue.RetryAfter
			if wait == 0 && env.RateLimit != nil {
				wait = time.Duration(env.RateLimit.ResetsInSeconds) * time.Second
			}
			c.quota.exhaust(entity, wait)
		}
		return nil, err
	}
	if decodeErr == nil && (len(env.Data) == 0 || string(env.Data) == "null") && env.Message != "" {
		return nil, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindEmpty, Status: resp.Status, Err: errors.New("no results")}
	}
	if decodeErr != nil || len(env.Data) == 0 || string(env.Data) == "null" {
		if decodeErr == nil {
			decodeErr = errors.New("answer has no data member")
		}
		return nil, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindDecode, Status: resp.Status, Err: decodeErr}
	}
	return &env, nil
}

// list follows has_more page by page up to MaxPages and returns every item.
func (c *Client) list(ctx context.Context, endpoint, path string, q url.Values, entity string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	if q == nil {
		q = url.Values{}
	}
	q.Set("per_page", strconv.Itoa(c.cfg.PerPage))
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		env, err := c.get(ctx, endpoint, path, q, entity)
		if err != nil {
			return nil, err
		}
		var items []json.RawMessage
		if err := json.Unmarshal(env.Data, &items); err != nil {
			return nil, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindDecode, Err: fmt.Errorf("data is not a list: %w", err)}
		}
		all = append(all, items...)
		if env.Pagination == nil || !env.Pagination.HasMore || len(items) == 0 {
			return all, nil
		}
		if page >= c.cfg.MaxPages {
			c.cfg.Logger.WarnContext(ctx, "sportmonks listing truncated at the page cap",
				slog.String("endpoint", endpoint), slog.Int("pages", page))
			return all, nil
		}
	}
}

// seasonID resolves a start year to SportMonks' season id for the league, from a
// per-league index fetched once and refreshed every few hours.
func (c *Client) seasonID(ctx context.Context, leagueID, year int) (int, error) {
	c.mu.Lock()
	idx, ok := c.seasons[leagueID]
	c.mu.Unlock()
	if !ok || c.cfg.Now().Sub(idx.fetched) > seasonCacheTTL {
		const endpoint = "/v3/football/leagues/{id}"
		env, err := c.get(ctx, endpoint, "/leagues/"+strconv.Itoa(leagueID), url.Values{"include": {"seasons"}}, entityLeague)
		if err != nil {
			return 0, err
		}
		var lg struct {
			Seasons []seasonItem `json:"seasons"`
		}
		if err := json.Unmarshal(env.Data, &lg); err != nil {
			return 0, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindDecode, Err: err}
		}
		idx = seasonIndex{byYear: map[int]int{}, fetched: c.cfg.Now()}
		for _, s := range lg.Seasons {
			if y := yearOfSeasonName(s.Name); y != 0 && s.ID > 0 {
				idx.byYear[y] = s.ID
				if s.IsCurrent {
					idx.current = y
				}
			}
		}
		// An empty index is cached too: a league outside the plan must not cost a
		// call on every request.
		c.mu.Lock()
		c.seasons[leagueID] = idx
		c.mu.Unlock()
	}
	id, ok := idx.byYear[year]
	if !ok {
		return 0, &upstream.Error{Provider: c.Name(), Endpoint: "/v3/football/leagues/{id}", Kind: upstream.KindEmpty, Err: ErrSeasonUnknown}
	}
	return id, nil
}

// Matches lists a league's matches: one day when q.Date is set, else the season.
func (c *Client) Matches(ctx context.Context, q query.Matches) ([]domain.Match, error) {
	var (
		raw []json.RawMessage
		err error
	)
	if !q.Date.IsZero() {
		raw, err = c.list(ctx, "/v3/football/fixtures/date/{date}", "/fixtures/date/"+q.Date.UTC().Format(time.DateOnly),
			url.Values{"include": {listIncludes}, "filters": {"fixtureLeagues:" + strconv.Itoa(q.League.SportMonksID)}}, entityFixture)
	} else {
		var sid int
		sid, err = c.seasonID(ctx, q.League.SportMonksID, q.Season)
		if err != nil {
			return nil, err
		}
		raw, err = c.list(ctx, "/v3/football/fixtures", "/fixtures",
			url.Values{"include": {listIncludes}, "filters": {"fixtureSeasons:" + strconv.Itoa(sid)}}, entityFixture)
	}
	if err != nil {
		return nil, err
	}
	return q.Collect(raw, func(r []byte) (domain.Match, error) { return c.mapper.ParseMatch(r, q.Season) }, func(err error) {
		c.cfg.Logger.WarnContext(ctx, "sportmonks fixture skipped", slog.Any("error", err))
	}), nil
}

// Match fetches one fixture by SportMonks id.
func (c *Client) Match(ctx context.Context, id int64) (domain.Match, error) {
	const endpoint = "/v3/football/fixtures/{id}"
	env, err := c.get(ctx, endpoint, "/fixtures/"+strconv.FormatInt(id, 10), url.Values{"include": {matchIncludes}}, entityFixture)
	if upstream.KindOf(err) == upstream.KindEmpty {
		return domain.Match{}, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindNotFound}
	}
	if err != nil {
		return domain.Match{}, err
	}
	if strings.HasPrefix(strings.TrimSpace(string(env.Data)), "[") {
		// An empty list where an object belongs: the provider has nothing for the id.
		return domain.Match{}, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindNotFound}
	}
	m, err := c.mapper.ParseMatch(env.Data, 0)
	if err != nil {
		return domain.Match{}, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindDecode, Err: err}
	}
	return m, nil
}

// Teams lists the teams of a league's season.
func (c *Client) Teams(ctx context.Context, q query.Teams) ([]domain.Team, error) {
	sid, err := c.seasonID(ctx, q.League.SportMonksID, q.Season)
	if err != nil {
		return nil, err
	}
	const endpoint = "/v3/football/teams/seasons/{id}"
	raw, err := c.list(ctx, endpoint, "/teams/seasons/"+strconv.Itoa(sid), nil, entityTeam)
	if err != nil {
		return nil, err
	}
	return query.Each(raw, c.mapper.Team), nil
}

// CurrentSeasons returns the current season of every registry league SportMonks
// carries, keyed by registry shortcut.
func (c *Client) CurrentSeasons(ctx context.Context) (map[string]int, error) {
	const endpoint = "/v3/football/leagues"
	raw, err := c.list(ctx, endpoint, "/leagues", url.Values{"include": {"currentSeason"}}, entityLeague)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range raw {
		var lg struct {
			ID            int         `json:"id"`
			CurrentSeason *seasonItem `json:"currentseason"`
		}
		if json.Unmarshal(r, &lg) != nil || lg.CurrentSeason == nil {
			continue
		}
		if sc := c.mapper.League(lg.ID); sc != "" {
			if y := yearOfSeasonName(lg.CurrentSeason.Name); y != 0 {
				out[sc] = y
			}
		}
	}
	return out, nil
}
