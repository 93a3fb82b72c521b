package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pkgconfig "github.com/football-tracker/backend/pkg/config"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	var s Settings
	require.NoError(t, pkgconfig.LoadFrom(&s, map[string]string{}))
	assert.Equal(t, "https://api.sportmonks.com", s.SportMonksBaseURL)
	assert.Equal(t, "https://api.openligadb.de", s.OpenLigaDBBaseURL)
	assert.Equal(t, "bl1", s.DefaultLeague)
	assert.Equal(t, 3*time.Second, s.UpstreamTimeout)
	assert.Empty(t, s.SportMonksToken, "SportMonks is disabled unless a token is set")
	require.NotNil(t, s.Registry())
	assert.True(t, s.Registry().Has("pl"))
}

func TestLeaguesConfigOverridesTheRegistry(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "leagues.yaml")
	require.NoError(t, os.WriteFile(path, []byte("leagues:\n  - {shortcut: bl1, name: Bundesliga, country: Germany, openligadb: bl1}\n"), 0o600))
	var s Settings
	require.NoError(t, pkgconfig.LoadFrom(&s, map[string]string{"LEAGUES_CONFIG": path}))
	assert.Equal(t, []string{"bl1"}, s.Registry().Shortcuts())
}

func TestInvalidSettingsNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, variable, value string
	}{
		{"timeout", "UPSTREAM_TIMEOUT", "abc"},
		{"timeout zero", "UPSTREAM_TIMEOUT", "0s"},
		{"budget", "UPSTREAM_BUDGET", "1ms"},
		{"sportmonks url", "SPORTMONKS_BASE_URL", "not a url"},
		{"openligadb url", "OPENLIGADB_BASE_URL", "file:///etc/passwd"},
		{"default league", "DEFAULT_LEAGUE", "zz"},
		{"leagues file", "LEAGUES_CONFIG", "/does/not/exist.yaml"},
		{"breaker failures", "BREAKER_FAILURES", "0"},
		{"breaker open", "BREAKER_OPEN_DURATION", "1ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s Settings
			err := pkgconfig.LoadFrom(&s, map[string]string{tc.variable: tc.value})
			require.Error(t, err)
			var ve *pkgconfig.VarError
			if errors.As(err, &ve) {
				assert.Equal(t, tc.variable, ve.Var)
			} else {
				assert.Contains(t, err.Error(), tc.variable)
			}
		})
	}
}
