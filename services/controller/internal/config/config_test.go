package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/limitconfig"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nsFile := filepath.Join(dir, "namespace")
	require.NoError(t, os.WriteFile(nsFile, []byte("football-tracker\n"), 0o600))

	cases := []struct {
		name    string
		env     map[string]string
		nsFile  string
		wantVar string
		check   func(t *testing.T, s *Settings)
	}{
		{
			name: "defaults with an explicit namespace", env: map[string]string{"WATCH_NAMESPACE": "team-a"},
			check: func(t *testing.T, s *Settings) {
				assert.Equal(t, "team-a", s.WatchNamespace)
				assert.Equal(t, "football-tracker-rate-limits", s.RateLimitConfigMap)
				assert.Equal(t, "football-tracker-client-credentials", s.ClientCredentialsSecret)
				assert.Equal(t, ":8081", s.HealthProbeBindAddress)
				assert.Equal(t, ":8080", s.MetricsBindAddress)
				tiers, err := s.Tiers()
				require.NoError(t, err)
				assert.Equal(t, limitconfig.Defaults(), tiers)
			},
		},
		{
			name: "namespace from the service account", nsFile: nsFile,
			check: func(t *testing.T, s *Settings) { assert.Equal(t, "football-tracker", s.WatchNamespace) },
		},
		{name: "no namespace outside a cluster", nsFile: filepath.Join(dir, "absent"), wantVar: "WATCH_NAMESPACE"},
		{name: "bad namespace", env: map[string]string{"WATCH_NAMESPACE": "Team_A"}, wantVar: "WATCH_NAMESPACE"},
		{name: "bad configmap name", env: map[string]string{"WATCH_NAMESPACE": "a", "RATE_LIMIT_CONFIGMAP": "no spaces"}, wantVar: "RATE_LIMIT_CONFIGMAP"},
		{name: "bad secret name", env: map[string]string{"WATCH_NAMESPACE": "a", "CLIENT_CREDENTIALS_SECRET": "UPPER"}, wantVar: "CLIENT_CREDENTIALS_SECRET"},
		{name: "bad log level", env: map[string]string{"WATCH_NAMESPACE": "a", "LOG_LEVEL": "loud"}, wantVar: "LOG_LEVEL"},
		{
			name: "tier defaults file", env: map[string]string{"WATCH_NAMESPACE": "a", "TIER_DEFAULTS": "testdata/tiers.yaml"},
			check: func(t *testing.T, s *Settings) {
				tiers, err := s.Tiers()
				require.NoError(t, err)
				want := limitconfig.Defaults()
				want.Tiers[limitconfig.TierUser] = limitconfig.Limits{PerMinute: 120, PerDay: 12_000}
				assert.Equal(t, want, tiers)
			},
		},
		{name: "tier defaults with clients", env: map[string]string{"WATCH_NAMESPACE": "a", "TIER_DEFAULTS": "testdata/tiers-with-clients.yaml"}, wantVar: "TIER_DEFAULTS"},
		{name: "tier defaults invalid", env: map[string]string{"WATCH_NAMESPACE": "a", "TIER_DEFAULTS": "testdata/tiers-invalid.yaml"}, wantVar: "TIER_DEFAULTS"},
		{name: "tier defaults missing", env: map[string]string{"WATCH_NAMESPACE": "a", "TIER_DEFAULTS": "testdata/absent.yaml"}, wantVar: "TIER_DEFAULTS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &Settings{namespaceFile: tc.nsFile}
			if s.namespaceFile == "" {
				s.namespaceFile = filepath.Join(dir, "absent")
			}
			err := config.LoadFrom(s, tc.env)
			if tc.wantVar != "" {
				var ve *config.VarError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, tc.wantVar, ve.Var, "%v", err)
				return
			}
			require.NoError(t, err)
			tc.check(t, s)
		})
	}
}
