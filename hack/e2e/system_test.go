package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
)

// The match every journey checks exactly, from getmatchdata_bl1_2023_12.json.
const (
	kolnBayernID      = "ol-66734"
	kolnBayernKickoff = "2023-11-24T19:30:00Z"
)

// TestSystem runs the client journey, then checks the trace, abuse handling, metrics
// and, last, that nothing secret leaked anywhere during all of it. The subtests share
// one stack and run in order.
func TestSystem(t *testing.T) {
	// SportMonks is off here so the journey answers from the OpenLigaDB recordings,
	// whose values are real; the fault suite turns it on.
	s := startStack(t, stackOptions{adapterEnv: map[string]string{"SPORTMONKS_API_TOKEN": ""}})

	t.Run("journey", func(t *testing.T) { testJourney(t, s) })
	t.Run("one trace across services", func(t *testing.T) { testOneTrace(t, s) })
	t.Run("abuse", func(t *testing.T) { testAbuse(t, s) })
	t.Run("metrics show what happened", func(t *testing.T) { testMetrics(t, s) })
	t.Run("nothing leaks", func(t *testing.T) { testNothingLeaks(t, s) })
}

func decodeMatches(t *testing.T, r *reply) []domain.Match {
	t.Helper()
	var ms []domain.Match
	require.NoError(t, json.Unmarshal(r.Data, &ms), "gateway: data is not a list of matches: %s", r)
	return ms
}

func assertEnvelope(t *testing.T, r *reply) {
	t.Helper()
	assert.Contains(t, r.Header.Get("Content-Type"), "application/json", "gateway: %s", r)
	_, err := time.Parse(time.RFC3339, r.Stamp)
	assert.NoError(t, err, "gateway: timestamp %q is not RFC3339", r.Stamp)
	if r.Success {
		assert.Nil(t, r.Error)
	} else {
		require.NotNil(t, r.Error, "gateway: failure without error member: %s", r)
		assert.NotEmpty(t, r.Error.Message)
	}
}

func assertValidMatch(t *testing.T, m domain.Match) {
	t.Helper()
	assert.Regexp(t, domain.IDPattern, m.ID)
	assert.True(t, m.Status.Valid(), "status %q", m.Status)
	assert.Equal(t, time.UTC, m.Kickoff.Location(), "kickoff in UTC")
	assert.NotEmpty(t, m.HomeTeam.Name)
	assert.NotEmpty(t, m.AwayTeam.Name)
	assert.Contains(t, []string{domain.ProviderOpenLigaDB, domain.ProviderSportMonks}, m.Provider)
	if m.Status == domain.StatusScheduled {
		assert.Nil(t, m.Score, "no score before kick-off")
	}
}

func assertKolnBayern(t *testing.T, m domain.Match) {
	t.Helper()
	assert.Equal(t, kolnBayernID, m.ID)
	assert.Equal(t, "bl1", m.League)
	assert.Equal(t, 2023, m.Season)
	assert.Equal(t, 12, m.Matchday)
	assert.Equal(t, kolnBayernKickoff, m.Kickoff.Format(time.RFC3339))
	assert.Equal(t, domain.StatusFinished, m.Status)
	assert.Equal(t, "1. FC Köln", m.HomeTeam.Name)
	assert.Equal(t, "FC Bayern München", m.AwayTeam.Name)
	require.NotNil(t, m.Score)
	assert.Equal(t, 0, m.Score.Home)
	assert.Equal(t, 1, m.Score.Away)
	require.NotNil(t, m.Score.Halftime)
	assert.Equal(t, domain.ScoreLine{Home: 0, Away: 1}, *m.Score.Halftime)
	require.Len(t, m.Goals, 1)
	assert.Equal(t, domain.SideAway, m.Goals[0].Team)
	assert.Equal(t, domain.ProviderOpenLigaDB, m.Provider)
}

func testJourney(t *testing.T, s *stack) {
	tk := s.login(clientName, clientPass)
	assert.Equal(t, "Bearer", tk.TokenType)
	assert.Equal(t, 86400, tk.ExpiresIn)
	assert.NotEmpty(t, tk.RefreshToken)
	assert.Positive(t, tk.RefreshExpiresIn)

	first := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", tk.Token, nil, nil)
	require.Equal(t, http.StatusOK, first.Status, "gateway: matches: %s", first)
	assertEnvelope(t, first)
	assert.False(t, first.Cached, "the first answer comes from the provider")
	matches := decodeMatches(t, first)
	require.NotEmpty(t, matches)
	var found bool
	for _, m := range matches {
		assertValidMatch(t, m)
		if m.ID == kolnBayernID {
			found = true
			assertKolnBayern(t, m)
		}
	}
	require.True(t, found, "gateway: %s missing from bl1 2023", kolnBayernID)
	for _, limitHdr := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"} {
		assert.NotEmpty(t, first.Header.Get(limitHdr), "gateway: %s missing", limitHdr)
	}

	again := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2023", tk.Token, nil, nil)
	require.Equal(t, http.StatusOK, again.Status, "gateway: %s", again)
	assert.True(t, again.Cached, "cache: the same request again is served from the cache")
	assert.JSONEq(t, string(first.Data), string(again.Data), "cache: the cached answer is the same data")

	one := s.do(http.MethodGet, "/api/v1/matches/"+kolnBayernID, tk.Token, nil, nil)
	require.Equal(t, http.StatusOK, one.Status, "gateway: match by id: %s", one)
	var m domain.Match
	require.NoError(t, json.Unmarshal(one.Data, &m))
	assertKolnBayern(t, m)

	leagues := s.do(http.MethodGet, "/api/v1/leagues", tk.Token, nil, nil)
	require.Equal(t, http.StatusOK, leagues.Status, "gateway: leagues: %s", leagues)
	var ls []domain.League
	require.NoError(t, json.Unmarshal(leagues.Data, &ls))
	var shortcuts []string
	for _, l := range ls {
		shortcuts = append(shortcuts, l.Shortcut)
	}
	assert.Contains(t, shortcuts, "bl1")

	teams := s.do(http.MethodGet, "/api/v1/teams?league=bl1&season=2023", tk.Token, nil, nil)
	require.Equal(t, http.StatusOK, teams.Status, "gateway: teams: %s", teams)
	var ts []domain.Team
	require.NoError(t, json.Unmarshal(teams.Data, &ts))
	assert.Len(t, ts, 18, "18 Bundesliga clubs in 2023/24")
	var names []string
	for _, tm := range ts {
		names = append(names, tm.Name)
		assert.Regexp(t, domain.IDPattern, tm.ID)
	}
	assert.Contains(t, names, "FC Bayern München")

	refreshed := s.do(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken}, nil)
	require.Equal(t, http.StatusOK, refreshed.Status, "gateway: refresh: %s", refreshed)
	var tk2 tokens
	require.NoError(t, json.Unmarshal(refreshed.Data, &tk2))
	s.captured.addToken(tk2.Token)
	s.captured.addToken(tk2.RefreshToken)
	assert.NotEqual(t, tk.RefreshToken, tk2.RefreshToken, "refresh tokens rotate")

	out := s.do(http.MethodPost, "/api/v1/auth/logout", tk2.Token, map[string]string{"refreshToken": tk2.RefreshToken}, nil)
	require.Equal(t, http.StatusOK, out.Status, "gateway: logout: %s", out)
	assert.JSONEq(t, `{"revoked":true}`, string(out.Data))

	refused := s.do(http.MethodGet, "/api/v1/leagues", tk2.Token, nil, nil)
	assert.Equal(t, http.StatusUnauthorized, refused.Status, "gateway: a logged-out token is refused: %s", refused)
	assert.Equal(t, "UNAUTHORIZED", refused.code())
	reuse := s.do(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refreshToken": tk2.RefreshToken}, nil)
	assert.Equal(t, http.StatusUnauthorized, reuse.Status, "gateway: a revoked refresh token is refused: %s", reuse)
}

func testOneTrace(t *testing.T, s *stack) {
	tk := s.login(clientName, clientPass)
	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	parent := "00f067aa0ba902b7"
	// A league/season never asked before, so the request goes all the way to a provider.
	r := s.do(http.MethodGet, "/api/v1/matches?league=bl1&season=2022", tk.Token, nil,
		map[string]string{"traceparent": "00-" + traceID + "-" + parent + "-01"})
	require.Equal(t, http.StatusOK, r.Status, "gateway: %s", r)

	var spans []span
	want := map[string]bool{"gateway": false, "cache": false, "provider-adapter": false}
	require.Eventually(t, func() bool {
		spans = s.otlp.trace(traceID)
		for k := range want {
			want[k] = false
		}
		for _, sp := range spans {
			// Server spans end last (after the calls they make), so wait for them.
			if sp.Kind == 2 { // SERVER
				want[sp.Service] = true
			}
		}
		return want["gateway"] && want["cache"] && want["provider-adapter"] && hasUpstreamClientSpan(spans)
	}, 15*time.Second, 50*time.Millisecond, "server spans of trace %s by service: %v", traceID, want)

	byID := map[string]span{}
	for _, sp := range spans {
		byID[sp.SpanID] = sp
	}
	server := func(service string) span {
		for _, sp := range spans {
			if sp.Service == service && sp.Kind == 2 { // SERVER
				return sp
			}
		}
		t.Fatalf("%s: no server span in trace", service)
		return span{}
	}
	gw, cache, adapter := server("gateway"), server("cache"), server("provider-adapter")
	assert.Equal(t, parent, gw.ParentID, "gateway: the server span continues the caller's trace")
	assert.Equal(t, "/api/v1/matches", gw.Name, "gateway: span named by route template")
	assert.Equal(t, "/v1/matches", cache.Name, "cache: span named by route template")
	assert.Equal(t, "/v1/matches", adapter.Name, "provider-adapter: span named by route template")
	assert.Equal(t, "gateway", ancestorService(byID, cache), "cache: parent chain leads to the gateway")
	assert.Equal(t, "cache", ancestorService(byID, adapter), "provider-adapter: parent chain leads to the cache")

	// The gateway's access-log line of that request carries the same trace id.
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(s.gateway.Stdout(), "\n") {
			if strings.Contains(line, `"trace_id":"`+traceID+`"`) && strings.Contains(line, `"route":"/api/v1/matches"`) {
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "gateway: no access log line with trace_id %s", traceID)

	// Probes are not traced.
	resp, err := http.Get(s.gateway.URL() + "/readyz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	for _, sp := range s.otlp.all() {
		assert.NotContains(t, []string{"/readyz", "/healthz", "/metrics"}, sp.Name, "%s traced a probe", sp.Service)
	}
}

func hasUpstreamClientSpan(spans []span) bool {
	for _, sp := range spans {
		if sp.Service == "provider-adapter" && sp.Kind == 3 { // CLIENT
			return true
		}
	}
	return false
}

// ancestorService walks up from sp to the nearest span of another service.
func ancestorService(byID map[string]span, sp span) string {
	for range 20 {
		p, ok := byID[sp.ParentID]
		if !ok {
			return ""
		}
		if p.Service != sp.Service {
			return p.Service
		}
		sp = p
	}
	return ""
}
