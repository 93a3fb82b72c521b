package providerstub_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/providerstub"
)

const token = "stub-test-token"

type smAnswer struct {
	status int
	body   map[string]json.RawMessage
	header http.Header
}

func smGet(t *testing.T, srv *httptest.Server, path, auth string) smAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := smAnswer{status: resp.StatusCode, header: resp.Header}
	require.NoError(t, json.Unmarshal(raw, &a.body), string(raw))
	return a
}

func newSM(t *testing.T) (*providerstub.Stub, *httptest.Server) {
	t.Helper()
	stub := providerstub.New()
	stub.SportMonksToken = token
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	return stub, srv
}

func TestSportMonksEnvelope(t *testing.T) {
	t.Parallel()
	_, srv := newSM(t)
	cases := []struct {
		name       string
		path       string
		collection bool
		count      int
	}{
		{"season fixtures", "/v3/football/fixtures?filters=fixtureSeasons:23614&per_page=50", true, 38},
		{"fixtures on a date", "/v3/football/fixtures/date/2025-05-25?filters=fixtureLeagues:8", true, 1},
		{"fixture by id", "/v3/football/fixtures/19135043?include=participants;scores;state;league", false, 0},
		{"league with seasons", "/v3/football/leagues/8?include=seasons", false, 0},
		{"leagues", "/v3/football/leagues", true, 3},
		{"teams of a season", "/v3/football/teams/seasons/23614", true, 20},
		{"states", "/v3/football/states", true, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := smGet(t, srv, tc.path, token)
			require.Equal(t, http.StatusOK, a.status)
			for _, member := range []string{"data", "subscription", "rate_limit", "timezone"} {
				assert.Contains(t, a.body, member)
			}
			var rl struct {
				Remaining       int    `json:"remaining"`
				ResetsInSeconds int    `json:"resets_in_seconds"`
				RequestedEntity string `json:"requested_entity"`
			}
			require.NoError(t, json.Unmarshal(a.body["rate_limit"], &rl))
			assert.NotEmpty(t, rl.RequestedEntity)
			assert.Positive(t, rl.ResetsInSeconds)
			if !tc.collection {
				assert.NotContains(t, a.body, "pagination")
				return
			}
			var items []json.RawMessage
			require.NoError(t, json.Unmarshal(a.body["data"], &items))
			total := len(items)
			var p struct {
				HasMore bool `json:"has_more"`
			}
			require.NoError(t, json.Unmarshal(a.body["pagination"], &p))
			if p.HasMore {
				total = -1 // not all on the first page; see the pagination test
			}
			assert.Equal(t, tc.count, total)
		})
	}
}

func TestSportMonksPagination(t *testing.T) {
	t.Parallel()
	_, srv := newSM(t)
	seen := map[string]bool{}
	for page := 1; ; page++ {
		a := smGet(t, srv, "/v3/football/fixtures?filters=fixtureSeasons:23614&per_page=10&page="+itoa(page), token)
		require.Equal(t, http.StatusOK, a.status)
		var items []struct {
			ID int64 `json:"id"`
		}
		require.NoError(t, json.Unmarshal(a.body["data"], &items))
		for _, it := range items {
			seen[itoa(int(it.ID))] = true
		}
		var p struct {
			CurrentPage int  `json:"current_page"`
			PerPage     int  `json:"per_page"`
			HasMore     bool `json:"has_more"`
		}
		require.NoError(t, json.Unmarshal(a.body["pagination"], &p))
		assert.Equal(t, page, p.CurrentPage)
		assert.Equal(t, 10, p.PerPage)
		if !p.HasMore {
			assert.Equal(t, 4, page)
			break
		}
	}
	assert.Len(t, seen, 38)
}

func TestSportMonksRateLimitAndAuth(t *testing.T) {
	t.Parallel()
	stub, srv := newSM(t)
	assert.Equal(t, http.StatusUnauthorized, smGet(t, srv, "/v3/football/leagues", "").status)
	assert.Equal(t, http.StatusUnauthorized, smGet(t, srv, "/v3/football/leagues?api_token="+token, "").status,
		"the stub accepts the token only in the header")

	stub.SetSportMonksRemaining("Fixture", 1)
	a := smGet(t, srv, "/v3/football/fixtures/19135043", token)
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `0`, string(mustField(t, a.body["rate_limit"], "remaining")))
	a = smGet(t, srv, "/v3/football/fixtures/19135043", token)
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.JSONEq(t, `5005`, string(a.body["code"]))
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	// Other entities keep their own allowance.
	assert.Equal(t, http.StatusOK, smGet(t, srv, "/v3/football/leagues", token).status)
}

func TestSportMonksNoResults(t *testing.T) {
	t.Parallel()
	_, srv := newSM(t)
	for _, path := range []string{"/v3/football/fixtures/1", "/v3/football/leagues/82", "/v3/football/fixtures/date/2020-01-01?filters=fixtureLeagues:8"} {
		a := smGet(t, srv, path, token)
		assert.Equal(t, http.StatusOK, a.status, path)
		assert.Contains(t, a.body, "message", path)
		assert.NotContains(t, a.body, "data", path)
	}
}

func mustField(t *testing.T, raw json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	return m[name]
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
