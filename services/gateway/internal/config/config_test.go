package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/config"

	settings "github.com/football-tracker/backend/services/gateway/internal/config"
)

// required is the smallest environment the gateway starts with.
func required() map[string]string {
	return map[string]string{
		"JWT_SECRET": "test-secret-0123456789abcdef-0123456789",
		"ADMIN_USER": "admin",
		"ADMIN_PASS": "admin-password-123",
		"REDIS_URL":  "redis://127.0.0.1:6379/0",
	}
}

func TestResponseCacheDefaults(t *testing.T) {
	t.Parallel()
	var s settings.Settings
	require.NoError(t, config.LoadFrom(&s, required()))
	assert.Equal(t, 1024, s.ResponseCacheSize)
	assert.Equal(t, 2*time.Second, s.ResponseCacheTTL)
	assert.Equal(t, 16<<20, s.ResponseCacheMaxBytes)
}

func TestResponseCacheValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		bad  string // the variable named in the error, "" when valid
	}{
		{name: "off", env: map[string]string{"RESPONSE_CACHE_SIZE": "0"}},
		{name: "off ignores the other two", env: map[string]string{"RESPONSE_CACHE_SIZE": "0", "RESPONSE_CACHE_TTL": "1h", "RESPONSE_CACHE_MAX_BYTES": "1"}},
		{name: "custom", env: map[string]string{"RESPONSE_CACHE_SIZE": "10", "RESPONSE_CACHE_TTL": "500ms", "RESPONSE_CACHE_MAX_BYTES": "65536"}},
		{name: "negative size", env: map[string]string{"RESPONSE_CACHE_SIZE": "-1"}, bad: "RESPONSE_CACHE_SIZE"},
		{name: "huge size", env: map[string]string{"RESPONSE_CACHE_SIZE": "1000001"}, bad: "RESPONSE_CACHE_SIZE"},
		{name: "zero TTL", env: map[string]string{"RESPONSE_CACHE_TTL": "0s"}, bad: "RESPONSE_CACHE_TTL"},
		{name: "TTL past a minute", env: map[string]string{"RESPONSE_CACHE_TTL": "61s"}, bad: "RESPONSE_CACHE_TTL"},
		{name: "TTL not a duration", env: map[string]string{"RESPONSE_CACHE_TTL": "soon"}, bad: "RESPONSE_CACHE_TTL"},
		{name: "too few bytes", env: map[string]string{"RESPONSE_CACHE_MAX_BYTES": "65535"}, bad: "RESPONSE_CACHE_MAX_BYTES"},
		{name: "too many bytes", env: map[string]string{"RESPONSE_CACHE_MAX_BYTES": "1073741825"}, bad: "RESPONSE_CACHE_MAX_BYTES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := required()
			for k, v := range tc.env {
				env[k] = v
			}
			var s settings.Settings
			err := config.LoadFrom(&s, env)
			if tc.bad == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var ve *config.VarError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tc.bad, ve.Var)
		})
	}
}
