package main_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/providerstub"
)

const token = "proc-test-token-9d2e71aa"

// reply is what the test reads of an answer.
type reply struct {
	StatusCode int
	Header     http.Header
}

func get(t *testing.T, url string) (reply, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{StatusCode: resp.StatusCode, Header: resp.Header}, string(b)
}

// TestProcess runs the real binary against a provider stub over real HTTP: it serves
// from SportMonks, fails over to OpenLigaDB when SportMonks breaks, keeps the token
// out of its output and shuts down cleanly on SIGTERM.
func TestProcess(t *testing.T) {
	t.Parallel()
	stub := providerstub.New()
	stub.SportMonksToken = token
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	leagues := filepath.Join(t.TempDir(), "leagues.yaml")
	require.NoError(t, os.WriteFile(leagues, []byte(`leagues:
  - {shortcut: dual, name: Both providers, country: Test, sportmonksId: 8, openligadb: bl1}
  - {shortcut: bl1, name: Bundesliga, country: Germany, sportmonksId: 82, openligadb: bl1}
`), 0o600))

	p := proctest.Start(t, "provider-adapter", proctest.Options{Env: map[string]string{
		"SPORTMONKS_API_TOKEN": token,
		"SPORTMONKS_BASE_URL":  srv.URL,
		"OPENLIGADB_BASE_URL":  srv.URL,
		"LEAGUES_CONFIG":       leagues,
		"UPSTREAM_TIMEOUT":     "500ms",
		"UPSTREAM_BUDGET":      "2s",
	}})
	p.WaitReady("/readyz", 30*time.Second)

	resp, body := get(t, p.URL()+"/v1/matches?league=dual&season=2024&matchday=38")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "sportmonks", resp.Header.Get("X-Provider"))
	assert.Contains(t, body, `"id":"sm-19135043"`)

	stub.SetFault(providerstub.SportMonks, providerstub.FaultHang)
	start := time.Now()
	resp, body = get(t, p.URL()+"/v1/matches?league=dual&season=2024")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "openligadb", resp.Header.Get("X-Provider"))
	assert.Contains(t, body, `"id":"ol-72395"`)
	assert.Less(t, time.Since(start), 2*time.Second+500*time.Millisecond)

	resp, body = get(t, p.URL()+"/v1/matches?league=nope")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "VALIDATION_ERROR")

	_, metrics := get(t, p.URL()+"/metrics")
	assert.Contains(t, metrics, `provider_failovers_total{from="sportmonks",reason="timeout",to="openligadb"} 1`)

	p.Signal(syscall.SIGTERM)
	code, err := p.Wait(15 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.NotContains(t, p.Stdout(), token)
	assert.NotContains(t, p.Stderr(), token)
	for _, r := range stub.Requests() {
		assert.NotContains(t, r.URL, token)
	}
}

func TestInvalidSettingsStopTheProcess(t *testing.T) {
	t.Parallel()
	badLeagues := filepath.Join(t.TempDir(), "leagues.yaml")
	require.NoError(t, os.WriteFile(badLeagues, []byte("leagues: [{shortcut: BAD!}]\n"), 0o600))
	cases := []struct {
		name, variable, value string
	}{
		{"timeout not a duration", "UPSTREAM_TIMEOUT", "abc"},
		{"base URL not http", "SPORTMONKS_BASE_URL", "ftp://example.org"},
		{"default league unknown", "DEFAULT_LEAGUE", "xx1"},
		{"league registry invalid", "LEAGUES_CONFIG", badLeagues},
		{"league registry missing", "LEAGUES_CONFIG", "/nonexistent/leagues.yaml"},
		{"budget below timeout", "UPSTREAM_BUDGET", "1ms"},
		{"breaker threshold zero", "BREAKER_FAILURES", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := proctest.Start(t, "provider-adapter", proctest.Options{Env: map[string]string{tc.variable: tc.value}})
			code, err := p.Wait(15 * time.Second)
			require.NoError(t, err)
			assert.NotEqual(t, 0, code)
			assert.True(t, strings.Contains(p.Stderr(), tc.variable), "stderr names %s: %s", tc.variable, p.Stderr())
		})
	}
}
