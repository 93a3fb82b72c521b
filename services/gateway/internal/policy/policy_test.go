package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/limitconfig"

	"github.com/football-tracker/backend/services/gateway/internal/policy"
)

const hash = "$2a$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234"

func TestLookup(t *testing.T) {
	t.Parallel()
	p := policy.New("root")
	require.NoError(t, p.LoadLimits([]byte(`
tiers:
  user: {perMinute: 100, perDay: 10000}
clients:
  ext: {tier: user, perMinute: 300}
  ops: {tier: admin}
  paused: {tier: user, suspended: true}
`)))
	require.NoError(t, p.LoadCredentials([]byte("ext: \""+hash+"\"\nops: \""+hash+"\"\npaused: \""+hash+"\"\nplain: \""+hash+"\"\n")))
	cases := []struct {
		sub       string
		known     bool
		suspended bool
		role      string
		tier      limitconfig.Tier
		policy    string
	}{
		{"root", true, false, "admin", limitconfig.TierAdmin, "200;w=60, 50000;w=86400"},
		{"ext", true, false, "user", limitconfig.TierUser, "300;w=60, 10000;w=86400"},
		{"ops", true, false, "admin", limitconfig.TierAdmin, "200;w=60, 50000;w=86400"},
		{"paused", true, true, "user", limitconfig.TierUser, "100;w=60, 10000;w=86400"},
		{"plain", true, false, "user", limitconfig.TierUser, "100;w=60, 10000;w=86400"},
		{"stranger", false, false, "user", limitconfig.TierUser, "100;w=60, 10000;w=86400"},
	}
	for _, tc := range cases {
		t.Run(tc.sub, func(t *testing.T) {
			t.Parallel()
			s := p.Lookup(tc.sub)
			assert.Equal(t, tc.known, s.Known)
			assert.Equal(t, tc.suspended, s.Suspended)
			assert.Equal(t, tc.role, s.Role)
			assert.Equal(t, tc.tier, s.Tier)
			assert.Equal(t, tc.policy, s.Plan.Policy)
		})
	}
	assert.Equal(t, 4, p.HashCost())
}

func TestBadFilesKeepTheOldConfig(t *testing.T) {
	t.Parallel()
	p := policy.New("root")
	require.NoError(t, p.LoadLimits([]byte("clients:\n  ext: {tier: user, perMinute: 300}\n")))
	require.Error(t, p.LoadLimits([]byte("clients:\n  ext: {tier: gold}\n")))
	require.Error(t, p.LoadLimits([]byte("tiers: [")))
	assert.Equal(t, "300;w=60, 10000;w=86400", p.Lookup("ext").Plan.Policy)
	require.Error(t, p.LoadCredentials([]byte("ext: plaintext-password\n")))
	_, ok := p.PasswordHash("ext")
	assert.False(t, ok)
}
