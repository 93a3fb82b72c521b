// Package openligadb is the OpenLigaDB client (no key) and its mapping onto the
// domain model.
package openligadb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	// lastUpdateDateTime is German local time; the zone database must be in the binary
	// because the distroless image has none.
	_ "time/tzdata"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/provider-adapter/internal/query"
	"github.com/football-tracker/backend/services/provider-adapter/internal/upstream"
)

// Config configures a Client.
type Config struct {
	BaseURL  string
	HTTP     *upstream.Client
	Registry *leagues.Registry
	Logger   *slog.Logger
	Now      func() time.Time
}

// Client talks to OpenLigaDB.
type Client struct {
	cfg    Config
	base   *url.URL
	mapper Mapper
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, errors.New("openligadb base URL is invalid")
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
	byShortcut := map[string]string{}
	for _, e := range cfg.Registry.Entries() {
		if e.OpenLigaDB != "" {
			byShortcut[e.OpenLigaDB] = e.Shortcut
		}
	}
	return &Client{cfg: cfg, base: base, mapper: Mapper{
		League: func(s string) string { return byShortcut[s] },
		Now:    cfg.Now,
	}}, nil
}

// Name is the provider's name.
func (c *Client) Name() string { return domain.ProviderOpenLigaDB }

// Supports reports whether OpenLigaDB carries the league.
func (c *Client) Supports(e leagues.Entry) bool { return e.OpenLigaDB != "" }

func (c *Client) get(ctx context.Context, endpoint string, segments ...string) ([]byte, error) {
	u := *c.base
	esc := make([]string, len(segments))
	for i, s := range segments {
		esc[i] = url.PathEscape(s)
	}
	u.Path = c.base.Path + "/" + strings.Join(segments, "/")
	u.RawPath = c.base.EscapedPath() + "/" + strings.Join(esc, "/")
	resp, err := c.cfg.HTTP.Get(ctx, upstream.Request{Endpoint: endpoint, URL: u.String()})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func (c *Client) decodeList(endpoint string, body []byte) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindDecode, Err: err}
	}
	return items, nil
}

// Matches lists a league's matches of a season or one match day; a date or status
// filter is applied to the answer (the API cannot filter by either).
func (c *Client) Matches(ctx context.Context, q query.Matches) ([]domain.Match, error) {
	endpoint := "/getmatchdata/{league}/{season}"
	segs := []string{"getmatchdata", q.League.OpenLigaDB, strconv.Itoa(q.Season)}
	if q.Matchday != 0 {
		endpoint += "/{matchday}"
		segs = append(segs, strconv.Itoa(q.Matchday))
	}
	body, err := c.get(ctx, endpoint, segs...)
	if err != nil {
		return nil, err
	}
	raw, err := c.decodeList(endpoint, body)
	if err != nil {
		return nil, err
	}
	return q.Collect(raw, c.mapper.ParseMatch, func(err error) {
		c.cfg.Logger.WarnContext(ctx, "openligadb match skipped", slog.Any("error", err))
	}), nil
}

// Match fetches one match by OpenLigaDB id; the API answers an object (not an
// array) and an empty body for an unknown id.
func (c *Client) Match(ctx context.Context, id int64) (domain.Match, error) {
	const endpoint = "/getmatchdata/{id}"
	body, err := c.get(ctx, endpoint, "getmatchdata", strconv.FormatInt(id, 10))
	if err != nil {
		return domain.Match{}, err
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" || trimmed == "null" || trimmed == "[]" {
		return domain.Match{}, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindNotFound}
	}
	m, err := c.mapper.ParseMatch(body)
	if err != nil {
		return domain.Match{}, &upstream.Error{Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindDecode, Err: err}
	}
	if m.League == "" {
		return domain.Match{}, &upstream.Error{
			Provider: c.Name(), Endpoint: endpoint, Kind: upstream.KindNotFound,
			Err: fmt.Errorf("match %d belongs to a league outside the registry", id),
		}
	}
	return m, nil
}

// Teams lists the teams of a league's season.
func (c *Client) Teams(ctx context.Context, q query.Teams) ([]domain.Team, error) {
	const endpoint = "/getavailableteams/{league}/{season}"
	body, err := c.get(ctx, endpoint, "getavailableteams", q.League.OpenLigaDB, strconv.Itoa(q.Season))
	if err != nil {
		return nil, err
	}
	raw, err := c.decodeList(endpoint, body)
	if err != nil {
		return nil, err
	}
	return query.Each(raw, c.mapper.Team), nil
}

// CurrentSeasons returns the newest season OpenLigaDB lists for every registry
// league it carries, keyed by registry shortcut.
func (c *Client) CurrentSeasons(ctx context.Context) (map[string]int, error) {
	const endpoint = "/getavailableleagues"
	body, err := c.get(ctx, endpoint, "getavailableleagues")
	if err != nil {
		return nil, err
	}
	raw, err := c.decodeList(endpoint, body)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range raw {
		var lg struct {
			Shortcut string `json:"leagueShortcut"`
			Season   any    `json:"leagueSeason"`
		}
		if json.Unmarshal(r, &lg) != nil {
			continue
		}
		sc := c.mapper.League(strings.ToLower(lg.Shortcut))
		if y := seasonOf(lg.Season); sc != "" && y > out[sc] {
			out[sc] = y
		}
	}
	return out, nil
}
