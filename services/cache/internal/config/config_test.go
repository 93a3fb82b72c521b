package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/config"

	settings "github.com/football-tracker/backend/services/cache/internal/config"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	var s settings.Settings
	require.NoError(t, config.LoadFrom(&s, map[string]string{"REDIS_URL": "redis://localhost:6379/0"}))
	assert.Equal(t, 60*time.Second, s.TTLMatches.Duration())
	assert.Equal(t, 120*time.Second, s.TTLMatch.Duration())
	assert.Equal(t, time.Hour, s.TTLLeagues.Duration())
	assert.Equal(t, time.Hour, s.TTLTeams.Duration())
	assert.Equal(t, 10*time.Minute, s.StaleTTL.Duration())
	assert.Equal(t, time.Hour, s.StaleIfErrorTTL.Duration())
	assert.Equal(t, "bl1", s.DefaultLeague)
	reg, err := s.Leagues()
	require.NoError(t, err)
	assert.True(t, reg.Has("bl1"))
}

func TestShortTTLsForTests(t *testing.T) {
	t.Parallel()
	var s settings.Settings
	require.NoError(t, config.LoadFrom(&s, map[string]string{"REDIS_URL": "redis://x:1/0", "CACHE_TTL_MATCHES": "200ms", "CACHE_STALE_TTL": "0"}))
	assert.Equal(t, 200*time.Millisecond, s.TTLMatches.Duration())
	assert.Zero(t, s.StaleTTL.Duration())
}

func TestInvalidSettingsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "ttl text", env: map[string]string{"CACHE_TTL_MATCHES": "abc"}, want: "CACHE_TTL_MATCHES"},
		{name: "ttl zero", env: map[string]string{"CACHE_TTL_MATCH": "0"}, want: "CACHE_TTL_MATCH"},
		{name: "ttl too long", env: map[string]string{"CACHE_TTL_TEAMS": "1000h"}, want: "CACHE_TTL_TEAMS"},
		{name: "stale negative", env: map[string]string{"CACHE_STALE_TTL": "-1"}, want: "CACHE_STALE_TTL"},
		{name: "stale-if-error negative", env: map[string]string{"CACHE_STALE_IF_ERROR_TTL": "-1s"}, want: "CACHE_STALE_IF_ERROR_TTL"},
		{name: "wait zero", env: map[string]string{"CACHE_WAIT_TIMEOUT": "0"}, want: "CACHE_WAIT_TIMEOUT"},
		{name: "cooldown too long", env: map[string]string{"CACHE_REDIS_BREAKER_COOLDOWN": "1h"}, want: "CACHE_REDIS_BREAKER_COOLDOWN"},
		{name: "entry size", env: map[string]string{"CACHE_MAX_ENTRY_BYTES": "0"}, want: "CACHE_MAX_ENTRY_BYTES"},
		{name: "adapter url", env: map[string]string{"ADAPTER_URL": "adapter:8080"}, want: "ADAPTER_URL"},
		{name: "upstream timeout", env: map[string]string{"UPSTREAM_TIMEOUT": "0s"}, want: "UPSTREAM_TIMEOUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"REDIS_URL": "redis://localhost:6379/0"}
			for k, v := range tc.env {
				env[k] = v
			}
			var s settings.Settings
			err := config.LoadFrom(&s, env)
			require.Error(t, err)
			var ve *config.VarError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tc.want, ve.Var)
		})
	}
}

func TestDefaultLeagueMustBeRegistered(t *testing.T) {
	t.Parallel()
	var s settings.Settings
	require.NoError(t, config.LoadFrom(&s, map[string]string{"REDIS_URL": "redis://x:1/0", "DEFAULT_LEAGUE": "zz9"}))
	_, err := s.Leagues()
	var ve *config.VarError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "DEFAULT_LEAGUE", ve.Var)
}
