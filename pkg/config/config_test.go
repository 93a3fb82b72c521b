package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testSettings struct {
	Server
	Secret string  `env:"TEST_SECRET,required"`
	Count  int     `env:"TEST_COUNT" envDefault:"3"`
	TTL    Seconds `env:"TEST_TTL" envDefault:"60"`
}

func (s *testSettings) Validate() error {
	if err := s.Server.Validate(); err != nil {
		return err
	}
	if len(s.Secret) < 8 {
		return Invalid("TEST_SECRET", "must be at least 8 bytes")
	}
	return nil
}

func TestLoadNamesTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"missing required", map[string]string{}, "TEST_SECRET: is required but not set"},
		{"unparsable int", map[string]string{"TEST_SECRET": "long-enough", "TEST_COUNT": "many"}, "TEST_COUNT: cannot parse the value as"},
		{"unparsable embedded field", map[string]string{"TEST_SECRET": "long-enough", "PORT": "http"}, "PORT: cannot parse the value as"},
		{"out of range", map[string]string{"TEST_SECRET": "long-enough", "PORT": "70000"}, "PORT: must be between 1 and 65535"},
		{"validate rule", map[string]string{"TEST_SECRET": "short"}, "TEST_SECRET: must be at least 8 bytes"},
		{"bad duration", map[string]string{"TEST_SECRET": "long-enough", "SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT: cannot parse the value as"},
		{"bad log level", map[string]string{"TEST_SECRET": "long-enough", "LOG_LEVEL": "loud"}, "LOG_LEVEL: must be one of"},
		{"bad seconds", map[string]string{"TEST_SECRET": "long-enough", "TEST_TTL": "a while"}, "TEST_TTL: cannot parse the value as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s testSettings
			err := LoadFrom(&s, tt.env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestLoadDefaultsAndSeconds(t *testing.T) {
	t.Parallel()
	var s testSettings
	require.NoError(t, LoadFrom(&s, map[string]string{"TEST_SECRET": "long-enough", "TEST_TTL": "250ms"}))
	assert.Equal(t, 8080, s.Port)
	assert.Equal(t, 10*time.Second, s.ShutdownTimeout)
	assert.Equal(t, 3, s.Count)
	assert.Equal(t, 250*time.Millisecond, s.TTL.Duration())

	var d testSettings
	require.NoError(t, LoadFrom(&d, map[string]string{"TEST_SECRET": "long-enough"}))
	assert.Equal(t, time.Minute, d.TTL.Duration(), "a plain number is seconds")
}

func TestRedisSettings(t *testing.T) {
	t.Parallel()
	base := Redis{DialTimeout: time.Second, ReadTimeout: time.Second}
	none := base
	assert.ErrorContains(t, none.Validate(), "REDIS_URL")
	both := base
	both.URL, both.Addrs = "redis://x", []string{"a:1"}
	assert.ErrorContains(t, both.Validate(), "REDIS_ADDRS")
	one := base
	one.URL = "redis://localhost:6379"
	assert.NoError(t, one.Validate())
}
