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

// slack is what the adapter may add to its budget for its own work.
const slack = 250 * time.Millisecond

// TestSportMonksFaultMatrix breaks SportMonks every way the stub knows. For a league
// both providers carry the answer must be OpenLigaDB's; for a league only SportMonks
// carries, the documented error. Both within the budget.
func TestSportMonksFaultMatrix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault providerstub.Fault
		// only are the error codes accepted when no fallback carries the league; none
		// means SportMonks' answer (an empty list) stands.
		only []string
	}{
		{providerstub.Fault500, []string{"UPSTREAM_ERROR"}},
		{providerstub.Fault429, []string{"SERVICE_UNAVAILABLE"}},
		{providerstub.Fault401, []string{"UPSTREAM_ERROR"}},
		{providerstub.FaultHang, []string{"UPSTREAM_TIMEOUT"}},
		{providerstub.FaultGarbage, []string{"UPSTREAM_ERROR"}},
		{providerstub.FaultHTML, []string{"UPSTREAM_ERROR"}},
		{providerstub.FaultEmpty, nil},
		// Reading up to the size limit may itself outlast the timeout on a busy machine.
		{providerstub.FaultHuge, []string{"UPSTREAM_ERROR", "UPSTREAM_TIMEOUT"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			budget := e.settings.UpstreamBudget

			healthy := e.get(t, "/v1/matches?league=dual&season=2024")
			require.Equal(t, http.StatusOK, healthy.status)
			require.Equal(t, domain.ProviderSportMonks, healthy.provider, "the primary answers while healthy")

			e.stub.SetFault(providerstub.SportMonks, tc.fault)
			// A fresh season lookup and listing both go through the fault.
			a := e.get(t, "/v1/matches?league=dual&season=2024&status=finished")
			require.Equal(t, http.StatusOK, a.status, string(a.body))
			assert.Equal(t, domain.ProviderOpenLigaDB, a.provider)
			var ms []domain.Match
			require.NoError(t, json.Unmarshal(a.body, &ms))
			require.Len(t, ms, 1)
			assert.Equal(t, "ol-72395", ms[0].ID)
			assert.Less(t, a.elapsed, budget+slack)

			a = e.get(t, "/v1/matches?league=pl&season=2024&matchday=1")
			if tc.only == nil {
				assert.Equal(t, http.StatusOK, a.status)
				assert.Equal(t, "[]", strings.TrimSpace(string(a.body)))
			} else {
				assert.Contains(t, tc.only, a.errorCode(t))
			}
			assert.Less(t, a.elapsed, budget+slack)
			assertNoInternals(t, a.body)
			assert.Positive(t, e.metric(t, "provider_failovers_total", "from", "sportmonks", "to", "openligadb"))
		})
	}
}

func assertNoInternals(t *testing.T, body []byte) {
	t.Helper()
	for _, leak := range []string{"127.0.0.1", "http://", "sportmonks", "openligadb", "getmatchdata", "/v3/", "goroutine", testToken} {
		assert.NotContains(t, strings.ToLower(string(body)), strings.ToLower(leak))
	}
}

func TestBothProvidersFailing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		fault  providerstub.Fault
		status int
		code   string
	}{
		{"errors", providerstub.Fault500, http.StatusBadGateway, "UPSTREAM_ERROR"},
		{"garbage", providerstub.FaultGarbage, http.StatusBadGateway, "UPSTREAM_ERROR"},
		{"hang", providerstub.FaultHang, http.StatusGatewayTimeout, "UPSTREAM_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Breakers stay closed here so every path reaches both providers.
			e := newEnv(t, envOptions{vars: map[string]string{"BREAKER_FAILURES": "100"}})
			e.stub.SetFault(providerstub.SportMonks, tc.fault)
			e.stub.SetFault(providerstub.OpenLigaDB, tc.fault)
			for _, path := range []string{"/v1/matches?league=dual&season=2024", "/v1/teams?league=dual&season=2024", "/v1/matches/ol-66734", "/v1/leagues"} {
				a := e.get(t, path)
				assert.Equal(t, tc.status, a.status, path)
				assert.Equal(t, tc.code, a.errorCode(t), path)
				assert.Less(t, a.elapsed, e.settings.UpstreamBudget+slack, path)
				assertNoInternals(t, a.body)
			}
		})
	}
}

// TestBreakerOpensAndRecovers: once SportMonks has failed BREAKER_FAILURES times,
// requests go straight to OpenLigaDB without waiting, readiness stays true while
// OpenLigaDB's breaker is closed, and a half-open probe brings SportMonks back.
func TestBreakerOpensAndRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{vars: map[string]string{"BREAKER_OPEN_DURATION": "400ms"}})
	const path = "/v1/matches?league=dual&season=2024"
	e.stub.SetFault(providerstub.SportMonks, providerstub.FaultHang)
	for i := range 3 {
		a := e.get(t, path)
		require.Equal(t, domain.ProviderOpenLigaDB, a.provider)
		assert.GreaterOrEqual(t, a.elapsed, e.settings.UpstreamTimeout, "request %d waited for the timeout", i)
	}
	assert.Equal(t, 2.0, e.metric(t, "provider_breaker_state", "provider", "sportmonks"))

	calls := e.stub.Calls(providerstub.SportMonks)
	a := e.get(t, path)
	require.Equal(t, domain.ProviderOpenLigaDB, a.provider)
	assert.Less(t, a.elapsed, e.settings.UpstreamTimeout/2, "an open breaker does not wait for SportMonks")
	assert.Equal(t, calls, e.stub.Calls(providerstub.SportMonks), "an open breaker does not call SportMonks")

	ready := e.get(t, "/readyz")
	assert.Equal(t, http.StatusOK, ready.status)
	assert.Contains(t, string(ready.body), `"sportmonks":"down"`)

	e.stub.SetFault(providerstub.SportMonks, providerstub.FaultNone)
	deadline := time.Now().Add(5 * time.Second)
	for {
		a := e.get(t, path)
		if a.provider == domain.ProviderSportMonks {
			break
		}
		require.True(t, time.Now().Before(deadline), "SportMonks never came back after the breaker's open period")
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, 0.0, e.metric(t, "provider_breaker_state", "provider", "sportmonks"))
}

func TestReadinessFalseWhenEveryBreakerIsOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.stub.SetFault(providerstub.SportMonks, providerstub.Fault500)
	e.stub.SetFault(providerstub.OpenLigaDB, providerstub.Fault500)
	for range 3 {
		e.get(t, "/v1/matches?league=dual&season=2024")
	}
	ready := e.get(t, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, ready.status, string(ready.body))
	// With both open nobody is asked: the documented 503 at once.
	a := e.get(t, "/v1/matches?league=dual&season=2024")
	assert.Equal(t, "SERVICE_UNAVAILABLE", a.errorCode(t))
	assert.Less(t, a.elapsed, e.settings.UpstreamTimeout/2, "nobody is waited for")
}

// TestQuotaStopsBeforeRateLimit: the adapter reads rate_limit.remaining and stops
// asking SportMonks for an entity at the reserve, so the provider never answers 429.
func TestQuotaStopsBeforeRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.stub.SetSportMonksRemaining("Fixture", 7)
	const path = "/v1/matches?league=dual&season=2024"
	var providers []string
	for range 4 {
		a := e.get(t, path)
		require.Equal(t, http.StatusOK, a.status)
		providers = append(providers, a.provider)
	}
	// 7 → 6 → 5: at the reserve of 5 the adapter fails over instead of spending more.
	assert.Equal(t, []string{"sportmonks", "sportmonks", "openligadb", "openligadb"}, providers)
	assert.Equal(t, 5.0, e.metric(t, "sportmonks_quota_remaining", "entity", "Fixture"))
	assert.Equal(t, 2.0, e.metric(t, "provider_failovers_total", "from", "sportmonks", "to", "openligadb", "reason", "rate_limited"))
	// A fixture by id is the same entity: refused locally, not spent.
	a := e.get(t, "/v1/matches/sm-19135043")
	assert.Equal(t, "SERVICE_UNAVAILABLE", a.errorCode(t))
	for _, r := range e.stub.Requests() {
		assert.NotContains(t, r.URL, "/fixtures/19135043", "no call once the quota is at the reserve")
	}
}

func TestRetryOnlyTransientFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault providerstub.Fault
		calls int64
	}{
		{providerstub.Fault500, 2},     // retried once
		{providerstub.FaultHTML, 2},    // 502 page: retried once
		{providerstub.Fault401, 1},     // never retried
		{providerstub.Fault429, 1},     // never retried
		{providerstub.FaultGarbage, 1}, // never retried
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			e.stub.SetFault(providerstub.SportMonks, tc.fault)
			e.get(t, "/v1/matches/sm-19135043")
			assert.Equal(t, tc.calls, e.stub.Calls(providerstub.SportMonks))
		})
	}
}
