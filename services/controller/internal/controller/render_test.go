package controller

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/football-tracker/backend/pkg/limitconfig"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

// TestHashCache: a hash is computed only when the password changes, including after a
// restart (an empty cache verifies the rendered hash instead of salting a new one).
func TestHashCache(t *testing.T) {
	t.Parallel()
	pw, other := []byte("correct-horse-battery"), []byte("another-password-1")

	var c hashCache
	first, err := c.hash("app", pw, "", bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(first), pw))

	cases := []struct {
		name     string
		cache    *hashCache
		password []byte
		current  string
		same     bool
	}{
		{name: "unchanged password, remembered", cache: &c, password: pw, current: first, same: true},
		{name: "unchanged password, rendered Secret lost", cache: &c, password: pw, current: "", same: true},
		{name: "unchanged password after a restart", cache: &hashCache{}, password: pw, current: first, same: true},
		{name: "changed password", cache: &c, password: other, current: first, same: false},
		{name: "changed password after a restart", cache: &hashCache{}, password: other, current: first, same: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cache.hash("app", tc.password, tc.current, bcrypt.MinCost)
			require.NoError(t, err)
			require.NoError(t, bcrypt.CompareHashAndPassword([]byte(got), tc.password))
			if tc.same {
				assert.Equal(t, first, got)
			} else {
				assert.NotEqual(t, first, got)
			}
		})
	}

	c.keep(limitconfig.Credentials{})
	assert.Empty(t, c.entries, "clients without credentials are forgotten")
}

// TestEntry: the rules the API server cannot check, because they depend on the tier
// defaults the controller was started with.
func TestEntry(t *testing.T) {
	t.Parallel()
	r := &ApiClientReconciler{Tiers: limitconfig.Defaults()}
	cases := []struct {
		name    string
		spec    gatewayv1alpha1.ApiClientSpec
		want    limitconfig.Client
		eff     *gatewayv1alpha1.EffectiveLimits
		problem string
	}{
		{
			name: "tier defaults", spec: gatewayv1alpha1.ApiClientSpec{Tier: gatewayv1alpha1.TierAdmin},
			want: limitconfig.Client{Tier: limitconfig.TierAdmin}, eff: &gatewayv1alpha1.EffectiveLimits{PerMinute: 200, PerDay: 50_000},
		},
		{
			name: "empty tier is user", spec: gatewayv1alpha1.ApiClientSpec{},
			want: limitconfig.Client{Tier: limitconfig.TierUser}, eff: &gatewayv1alpha1.EffectiveLimits{PerMinute: 100, PerDay: 10_000},
		},
		{
			name: "per-day override alone", spec: gatewayv1alpha1.ApiClientSpec{Tier: gatewayv1alpha1.TierAnonymous, Limits: &gatewayv1alpha1.Limits{PerDay: ptr.To[int32](2_000)}},
			want: limitconfig.Client{Tier: limitconfig.TierAnonymous, PerDay: 2_000}, eff: &gatewayv1alpha1.EffectiveLimits{PerMinute: 60, PerDay: 2_000},
		},
		{
			name: "suspended", spec: gatewayv1alpha1.ApiClientSpec{Suspended: true},
			want: limitconfig.Client{Tier: limitconfig.TierUser, Suspended: true}, eff: &gatewayv1alpha1.EffectiveLimits{PerMinute: 100, PerDay: 10_000},
		},
		{
			name: "per-minute override above the tier's per-day", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](10_001)}},
			problem: "the effective perMinute (10001) exceeds the effective perDay (10000) of tier user with its overrides",
		},
		{name: "unknown tier past validation", spec: gatewayv1alpha1.ApiClientSpec{Tier: "gold"}, problem: `unknown tier "gold"`},
		{name: "limit out of bounds past validation", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](-1)}}, problem: "perMinute must be between 1 and 1000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ac := &gatewayv1alpha1.ApiClient{ObjectMeta: metav1.ObjectMeta{Name: "app"}, Spec: tc.spec}
			got, eff, problem := r.entry(ac)
			if tc.problem != "" {
				assert.Contains(t, problem, tc.problem)
				assert.Nil(t, eff)
				return
			}
			assert.Empty(t, problem)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.eff, eff)
		})
	}
}
