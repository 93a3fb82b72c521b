package sportmonks

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"
	"github.com/football-tracker/backend/pkg/providerstub"

	"github.com/football-tracker/backend/services/provider-adapter/internal/query"
	"github.com/football-tracker/backend/services/provider-adapter/internal/upstream"
)

const token = "client-test-token-31f0"

func newClient(t *testing.T, mod func(*Config)) (*Client, *providerstub.Stub, *bytes.Buffer) {
	t.Helper()
	stub := providerstub.New()
	stub.SportMonksToken = token
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	logs := &bytes.Buffer{}
	cfg := Config{
		BaseURL:  srv.URL,
		Token:    token,
		HTTP:     upstream.New(upstream.Config{Provider: domain.ProviderSportMonks, HTTP: srv.Client()}),
		Registry: leagues.Builtin(),
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
		Now:      func() time.Time { return fixedNow },
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c, stub, logs
}

func pl(t *testing.T) leagues.Entry {
	t.Helper()
	e, err := leagues.Builtin().Lookup("pl")
	require.NoError(t, err)
	return e
}

func TestListingFollowsEveryPage(t *testing.T) {
	t.Parallel()
	c, stub, _ := newClient(t, func(c *Config) { c.PerPage = 10 })
	ms, err := c.Matches(t.Context(), query.Matches{League: pl(t), Season: 2024})
	require.NoError(t, err)
	assert.Len(t, ms, 38)
	var pages []string
	for _, r := range stub.Requests() {
		u, err := url.Parse(r.URL)
		require.NoError(t, err)
		if u.Path == "/v3/football/fixtures" {
			pages = append(pages, u.Query().Get("page"))
			assert.Equal(t, "fixtureSeasons:23614", u.Query().Get("filters"), "season 2024 resolved to SportMonks' id")
		}
	}
	assert.Equal(t, []string{"1", "2", "3", "4"}, pages)
}

func TestListingStopsAtThePageCap(t *testing.T) {
	t.Parallel()
	c, _, logs := newClient(t, func(c *Config) { c.PerPage = 10; c.MaxPages = 2 })
	ms, err := c.Matches(t.Context(), query.Matches{League: pl(t), Season: 2024})
	require.NoError(t, err)
	assert.Len(t, ms, 20)
	assert.Contains(t, logs.String(), "truncated at the page cap")
}

func TestSeasonIDIsCached(t *testing.T) {
	t.Parallel()
	c, stub, _ := newClient(t, nil)
	for range 3 {
		_, err := c.Teams(t.Context(), query.Teams{League: pl(t), Season: 2024})
		require.NoError(t, err)
	}
	lookups := 0
	for _, r := range stub.Requests() {
		if strings.HasPrefix(r.URL, "/v3/football/leagues/8?") {
			lookups++
			assert.Contains(t, r.URL, "include=seasons")
		}
	}
	assert.Equal(t, 1, lookups)
}

func TestUnknownSeasonIsEmpty(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t, nil)
	_, err := c.Matches(t.Context(), query.Matches{League: pl(t), Season: 1999})
	assert.Equal(t, upstream.KindEmpty, upstream.KindOf(err))
	assert.ErrorIs(t, err, ErrSeasonUnknown)
}

func TestQuotaTracksRateLimitBlock(t *testing.T) {
	t.Parallel()
	c, stub, _ := newClient(t, func(c *Config) { c.QuotaReserve = 2 })
	stub.SetSportMonksRemaining("Fixture", 4)
	for range 2 {
		_, err := c.Match(t.Context(), 19135043)
		require.NoError(t, err)
	}
	// remaining is 2 now: at the reserve, the next call is refused locally.
	calls := stub.Calls(providerstub.SportMonks)
	_, err := c.Match(t.Context(), 19135043)
	assert.Equal(t, upstream.KindRateLimited, upstream.KindOf(err))
	assert.Equal(t, calls, stub.Calls(providerstub.SportMonks))
	// Other entities are counted apart.
	_, err = c.Teams(t.Context(), query.Teams{League: pl(t), Season: 2024})
	require.NoError(t, err)
}

func TestRateLimitedAnswerExhaustsTheEntity(t *testing.T) {
	t.Parallel()
	c, stub, _ := newClient(t, nil)
	stub.SetFault(providerstub.SportMonks, providerstub.Fault429)
	_, err := c.Match(t.Context(), 19135043)
	assert.Equal(t, upstream.KindRateLimited, upstream.KindOf(err))
	stub.SetFault(providerstub.SportMonks, providerstub.FaultNone)
	calls := stub.Calls(providerstub.SportMonks)
	_, err = c.Match(t.Context(), 19135043)
	assert.Equal(t, upstream.KindRateLimited, upstream.KindOf(err), "Retry-After is honoured")
	assert.Equal(t, calls, stub.Calls(providerstub.SportMonks))
}

func TestMatchNotFound(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t, nil)
	_, err := c.Match(t.Context(), 1)
	assert.Equal(t, upstream.KindNotFound, upstream.KindOf(err))
}

func TestErrorsNameNoHostOrToken(t *testing.T) {
	t.Parallel()
	c, stub, _ := newClient(t, nil)
	for _, f := range []providerstub.Fault{providerstub.Fault500, providerstub.FaultGarbage, providerstub.FaultHTML, providerstub.Fault401} {
		stub.SetFault(providerstub.SportMonks, f)
		_, err := c.Match(t.Context(), 19135043)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "127.0.0.1")
		assert.NotContains(t, err.Error(), token)
		assert.NotContains(t, err.Error(), "<html>")
	}
	c, _, _ = newClient(t, func(c *Config) {
		c.BaseURL = "http://127.0.0.1:1"
	})
	_, err := c.Match(t.Context(), 19135043)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "127.0.0.1")
	assert.Equal(t, upstream.KindNetwork, upstream.KindOf(err))
}
