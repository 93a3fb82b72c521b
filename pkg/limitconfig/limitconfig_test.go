package limitconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const designExample = `
tiers:
  anonymous: {perMinute: 60,  perDay: 1000}
  user:      {perMinute: 100, perDay: 10000}
  admin:     {perMinute: 200, perDay: 50000}
clients:                       # keyed by JWT sub (the ApiClient's name)
  chrome-extension: {tier: user, perMinute: 300, perDay: 20000}
  mobile-app:       {tier: user}
  retired-client:   {tier: user, suspended: true}
`

func TestParseDesignExample(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(designExample))
	require.NoError(t, err)
	assert.Equal(t, Limits{PerMinute: 300, PerDay: 20000}, c.Effective(c.Clients["chrome-extension"]))
	assert.Equal(t, Limits{PerMinute: 100, PerDay: 10000}, c.Effective(c.Clients["mobile-app"]))
	assert.True(t, c.Clients["retired-client"].Suspended)
}

func TestParseJSONAndPartialTiers(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`{"tiers":{"user":{"perMinute":5,"perDay":7}},"clients":{"a":{"tier":"admin","perDay":9}}}`))
	require.NoError(t, err)
	assert.Equal(t, Limits{PerMinute: 5, PerDay: 7}, c.Tiers[TierUser])
	assert.Equal(t, Defaults().Tiers[TierAnonymous], c.Tiers[TierAnonymous], "tiers left out keep their defaults")
	assert.Equal(t, Limits{PerMinute: 200, PerDay: 9}, c.Effective(c.Clients["a"]))
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"not yaml", "tiers: [", "parsing"},
		{"unknown field", "tiers: {user: {perMinute: 1, perDay: 1, perHour: 3}}", "perHour"},
		{"unknown tier", "tiers: {vip: {perMinute: 1, perDay: 1}}", `unknown tier "vip"`},
		{"zero tier limit", "tiers: {user: {perMinute: 0, perDay: 1}}", "required"},
		{"negative override", "clients: {a: {tier: user, perMinute: -1}}", "perMinute must be between"},
		{"too large", "clients: {a: {tier: user, perDay: 100000001}}", "perDay must be between"},
		{"client without tier", "clients: {a: {perDay: 5}}", `unknown tier ""`},
		{"bad client name", "clients: {'Bad Name': {tier: user}}", "not a valid client name"},
		{"wrong type", "tiers: {user: {perMinute: lots, perDay: 1}}", "parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRenderIsDeterministicAndRoundTrips(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(designExample))
	require.NoError(t, err)
	first, err := c.Render()
	require.NoError(t, err)
	for range 20 {
		again, err := c.Render()
		require.NoError(t, err)
		assert.Equal(t, string(first), string(again))
	}
	back, err := Parse(first)
	require.NoError(t, err)
	assert.Equal(t, c, back)
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	hash := "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	c, err := ParseCredentials([]byte("chrome-extension: \"" + hash + "\"\n"))
	require.NoError(t, err)
	assert.Equal(t, hash, c["chrome-extension"])
	out, err := c.Render()
	require.NoError(t, err)
	back, err := ParseCredentials(out)
	require.NoError(t, err)
	assert.Equal(t, c, back)

	_, err = ParseCredentials([]byte("mobile-app: plaintext-password\n"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "plaintext-password", "a pasted password is never echoed")
	empty, err := ParseCredentials([]byte(""))
	require.NoError(t, err)
	assert.Empty(t, empty)
}
