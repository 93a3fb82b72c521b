package adapter_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/providerstub"
)

func TestServesFromTheRightProvider(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	cases := []struct {
		name      string
		path      string
		provider  string
		wantCount int
		check     func(t *testing.T, body []byte)
	}{
		{
			name: "season of a league SportMonks carries", path: "/v1/matches?league=pl&season=2024",
			provider: domain.ProviderSportMonks, wantCount: 38,
		},
		{
			name: "one match day at SportMonks", path: "/v1/matches?league=pl&season=2024&matchday=38",
			provider: domain.ProviderSportMonks, wantCount: 1,
		},
		{
			name: "one day at SportMonks", path: "/v1/matches?league=pl&date=2025-05-25",
			provider: domain.ProviderSportMonks, wantCount: 1,
		},
		{
			name: "SportMonks has no season for bl1: OpenLigaDB answers", path: "/v1/matches?league=bl1&season=2023&matchday=12",
			provider: domain.ProviderOpenLigaDB, wantCount: 9,
		},
		{
			name: "status filter", path: "/v1/matches?league=bl1&season=2023&matchday=12&status=finished",
			provider: domain.ProviderOpenLigaDB, wantCount: 7,
		},
		{
			name: "match by SportMonks id", path: "/v1/matches/sm-19135043", provider: domain.ProviderSportMonks,
			check: func(t *testing.T, body []byte) {
				var m domain.Match
				require.NoError(t, json.Unmarshal(body, &m))
				assert.Equal(t, "Manchester United", m.HomeTeam.Name)
				assert.Equal(t, &domain.Score{Home: 2, Away: 0, Halftime: &domain.ScoreLine{}}, m.Score)
			},
		},
		{
			name: "match by OpenLigaDB id", path: "/v1/matches/ol-66734", provider: domain.ProviderOpenLigaDB,
			check: func(t *testing.T, body []byte) {
				var m domain.Match
				require.NoError(t, json.Unmarshal(body, &m))
				assert.Equal(t, "1. FC Köln", m.HomeTeam.Name)
				assert.Equal(t, "FC Bayern München", m.AwayTeam.Name)
				assert.Equal(t, "2023-11-24T19:30:00Z", m.Kickoff.Format(time.RFC3339))
				assert.Equal(t, domain.StatusFinished, m.Status)
				assert.Equal(t, &domain.Score{Home: 0, Away: 1, Halftime: &domain.ScoreLine{Home: 0, Away: 1}}, m.Score)
			},
		},
		{name: "teams at SportMonks", path: "/v1/teams?league=pl&season=2024", provider: domain.ProviderSportMonks, wantCount: 20},
		{name: "teams at OpenLigaDB", path: "/v1/teams?league=bl1&season=2023", provider: domain.ProviderOpenLigaDB, wantCount: 18},
		{name: "leagues", path: "/v1/leagues", provider: domain.ProviderSportMonks, wantCount: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := e.get(t, tc.path)
			require.Equal(t, http.StatusOK, a.status, string(a.body))
			assert.Equal(t, tc.provider, a.provider)
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))
			if tc.wantCount > 0 {
				var items []json.RawMessage
				require.NoError(t, json.Unmarshal(a.body, &items))
				assert.Equal(t, tc.wantCount, len(items))
			}
			if tc.check != nil {
				tc.check(t, a.body)
			}
			for _, leak := range []string{"subscription", "rate_limit", "requested_entity", "Football Free Plan", "sport_id"} {
				assert.NotContains(t, string(a.body), leak)
			}
		})
	}
}

func TestUnknownIDIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, id := range []string{"sm-1", "ol-1"} {
		a := e.get(t, "/v1/matches/"+id)
		assert.Equal(t, http.StatusNotFound, a.status)
		assert.Equal(t, "NOT_FOUND", a.errorCode(t))
	}
	// An id goes to its owner only: never to the other provider.
	assert.Equal(t, int64(1), e.stub.Calls(providerstub.SportMonks))
	assert.Equal(t, int64(1), e.stub.Calls(providerstub.OpenLigaDB))
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	cases := []struct {
		name, path, field string
	}{
		{"unknown league", "/v1/matches?league=xx1", "league"},
		{"unknown parameter", "/v1/matches?league=bl1&sort=asc", "sort"},
		{"repeated parameter", "/v1/matches?league=bl1&league=pl", "league"},
		{"season not a year", "/v1/matches?season=20x4", "season"},
		{"season too old", "/v1/matches?season=1900", "season"},
		{"season too far ahead", "/v1/matches?season=2999", "season"},
		{"date out of range", "/v1/matches?date=2024-13-01", "date"},
		{"date not ISO", "/v1/matches?date=1.2.2024", "date"},
		{"date without zero padding", "/v1/matches?date=2024-1-1", "date"},
		{"status unknown", "/v1/matches?status=done", "status"},
		{"matchday zero", "/v1/matches?matchday=0", "matchday"},
		{"matchday too large", "/v1/matches?matchday=100", "matchday"},
		{"id of no provider", "/v1/matches/xx-1", "id"},
		{"id zero", "/v1/matches/sm-0", "id"},
		{"id with query", "/v1/matches/sm-1?x=1", "x"},
		{"teams unknown league", "/v1/teams?league=nope", "league"},
		{"leagues takes no parameter", "/v1/leagues?league=bl1", "league"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := e.get(t, tc.path)
			require.Equal(t, http.StatusBadRequest, a.status, string(a.body))
			assert.Equal(t, "VALIDATION_ERROR", a.errorCode(t))
			assert.Contains(t, string(a.body), `"field":"`+tc.field+`"`)
		})
	}
	t.Run("no upstream call for invalid input", func(t *testing.T) {
		// Runs after the parallel cases above have finished.
		t.Cleanup(func() {
			assert.Zero(t, e.stub.Calls(providerstub.SportMonks))
			assert.Zero(t, e.stub.Calls(providerstub.OpenLigaDB))
		})
	})
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.get(t, "/v1/matches")
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	assert.Equal(t, "[]", strings.TrimSpace(string(a.body)), "an empty list, never null")
	// DEFAULT_LEAGUE bl1 and the current season reached OpenLigaDB.
	var saw bool
	for _, r := range e.stub.Requests() {
		if strings.HasPrefix(r.URL, "/getmatchdata/bl1/") {
			saw = true
		}
	}
	assert.True(t, saw)
	// A date alone picks its season: 2023-11-24 is in season 2023.
	a = e.get(t, "/v1/matches?date=2023-11-24")
	require.Equal(t, http.StatusOK, a.status)
	var ms []domain.Match
	require.NoError(t, json.Unmarshal(a.body, &ms))
	require.Len(t, ms, 1)
	assert.Equal(t, "ol-66734", ms[0].ID)
}

func TestSportMonksDisabledWithoutToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noToken: true})
	a := e.get(t, "/v1/matches?league=dual&season=2024")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, domain.ProviderOpenLigaDB, a.provider)
	a = e.get(t, "/v1/matches?league=pl&season=2024")
	assert.Equal(t, http.StatusServiceUnavailable, a.status)
	assert.Equal(t, "SERVICE_UNAVAILABLE", a.errorCode(t))
	a = e.get(t, "/v1/matches/sm-19135043")
	assert.Equal(t, "SERVICE_UNAVAILABLE", a.errorCode(t))
	assert.Zero(t, e.stub.Calls(providerstub.SportMonks))
}
