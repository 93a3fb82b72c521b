package controller

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/football-tracker/backend/pkg/limitconfig"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

const (
	password        = "correct-horse-battery"
	rotatedPassword = "staple-battery-horse-correct"
)

// TestLifecycle walks one client through what a platform engineer does to it: create,
// change its limits, suspend it, rotate its password, delete it. Each step asserts what
// the gateway would read and what `kubectl get ac` shows.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	h := startController(t)
	ctx := t.Context()
	require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "chrome-extension-password", "password", password)))
	ac := apiClient(h.ns, "chrome-extension", gatewayv1alpha1.ApiClientSpec{
		Tier:                 gatewayv1alpha1.TierUser,
		Limits:               &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](300)},
		CredentialsSecretRef: secretRef("chrome-extension-password"),
	})

	t.Run("create", func(t *testing.T) {
		require.NoError(t, h.c.Create(ctx, ac))
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.Equal(c, limitconfig.Client{Tier: limitconfig.TierUser, PerMinute: 300}, s.limits.Clients["chrome-extension"])
			assert.Equal(c, limitconfig.Defaults().Tiers, s.limits.Tiers, "tier defaults are rendered")
			assertPassword(c, s, "chrome-extension", password)
			assertReady(c, s, "chrome-extension", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
			assert.Equal(c, &gatewayv1alpha1.EffectiveLimits{PerMinute: 300, PerDay: 10_000}, s.clients["chrome-extension"].Status.EffectiveLimits)
		})
		s, err := h.snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, ManagedBy, s.configMap.Labels[LabelManagedBy])
		assert.Equal(t, ManagedBy, s.secret.Labels[LabelManagedBy])
		assert.NotContains(t, string(s.secret.Data[CredentialsKey]), password, "the plain password never reaches the rendered Secret")
		assert.NotContains(t, s.configMap.Data[RateLimitsKey], password)
	})

	t.Run("update limits", func(t *testing.T) {
		update(t, h.c, ac, func(ac *gatewayv1alpha1.ApiClient) {
			ac.Spec.Limits = &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](500), PerDay: ptr.To[int32](20_000)}
		})
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.Equal(c, limitconfig.Client{Tier: limitconfig.TierUser, PerMinute: 500, PerDay: 20_000}, s.limits.Clients["chrome-extension"])
			assertReady(c, s, "chrome-extension", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
			assert.Equal(c, &gatewayv1alpha1.EffectiveLimits{PerMinute: 500, PerDay: 20_000}, s.clients["chrome-extension"].Status.EffectiveLimits)
			assert.Equal(c, int64(2), s.clients["chrome-extension"].Status.ObservedGeneration)
		})
	})

	t.Run("suspend", func(t *testing.T) {
		update(t, h.c, ac, func(ac *gatewayv1alpha1.ApiClient) { ac.Spec.Suspended = true })
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.True(c, s.limits.Clients["chrome-extension"].Suspended)
			assertReady(c, s, "chrome-extension", metav1.ConditionTrue, gatewayv1alpha1.ReasonSuspended)
		})
		update(t, h.c, ac, func(ac *gatewayv1alpha1.ApiClient) { ac.Spec.Suspended = false })
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.False(c, s.limits.Clients["chrome-extension"].Suspended)
			assert.NotContains(c, s.configMap.Data[RateLimitsKey], "suspended")
			assertReady(c, s, "chrome-extension", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
		})
	})

	t.Run("rotate password", func(t *testing.T) {
		before, err := h.snapshot(ctx)
		require.NoError(t, err)
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "chrome-extension-password", Namespace: h.ns}}
		update(t, h.c, sec, func(s *corev1.Secret) { s.Data["password"] = []byte(rotatedPassword) })
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assertPassword(c, s, "chrome-extension", rotatedPassword)
			assert.NotEqual(c, before.credentials["chrome-extension"], s.credentials["chrome-extension"])
		})
	})

	t.Run("delete", func(t *testing.T) {
		other := apiClient(h.ns, "mobile-app", gatewayv1alpha1.ApiClientSpec{Tier: gatewayv1alpha1.TierAdmin})
		require.NoError(t, h.c.Create(ctx, other))
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.Contains(c, s.limits.Clients, "mobile-app")
		})
		require.NoError(t, h.c.Delete(ctx, ac))
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.NotContains(c, s.limits.Clients, "chrome-extension")
			assert.NotContains(c, s.credentials, "chrome-extension")
			assert.Equal(c, limitconfig.Client{Tier: limitconfig.TierAdmin}, s.limits.Clients["mobile-app"], "the other client stays")
		})
		require.NoError(t, h.c.Delete(ctx, other))
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assert.Empty(c, s.limits.Clients, "the last client gone, the tier defaults stay rendered")
			assert.Equal(c, limitconfig.Defaults().Tiers, s.limits.Tiers)
			assert.Empty(c, s.credentials)
		})
	})
}

// TestInvalidSpecRejected: the API server refuses what the markers and CEL rules
// forbid, with the field named, before the controller ever sees it.
func TestInvalidSpecRejected(t *testing.T) {
	t.Parallel()
	requireAPIServer(t)
	c := newClient(t)
	ns := newNamespace(t, c)
	cases := []struct {
		name string
		spec gatewayv1alpha1.ApiClientSpec
		want string
	}{
		{name: "unknown tier", spec: gatewayv1alpha1.ApiClientSpec{Tier: "gold"}, want: `spec.tier: Unsupported value: "gold"`},
		{name: "zero per minute", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](0)}}, want: "spec.limits.perMinute"},
		{name: "negative per day", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerDay: ptr.To[int32](-5)}}, want: "spec.limits.perDay"},
		{name: "per minute above bound", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](1_000_001)}}, want: "spec.limits.perMinute: Invalid value: 1000001: spec.limits.perMinute in body should be less than or equal to 1000000"},
		{name: "per day above bound", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerDay: ptr.To[int32](100_000_001)}}, want: "spec.limits.perDay"},
		{name: "empty limits", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{}}, want: "limits must set perMinute, perDay or both"},
		{name: "per minute above per day", spec: gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](500), PerDay: ptr.To[int32](100)}}, want: "perMinute must not exceed perDay"},
		{name: "secret ref without name", spec: gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: &gatewayv1alpha1.SecretKeyRef{}}, want: "spec.credentialsSecretRef.name"},
		{name: "secret ref with bad name", spec: gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: &gatewayv1alpha1.SecretKeyRef{Name: "Not_A_Name"}}, want: "spec.credentialsSecretRef.name"},
		{name: "secret ref with bad key", spec: gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: &gatewayv1alpha1.SecretKeyRef{Name: "ok", Key: "a/b"}}, want: "spec.credentialsSecretRef.key"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := c.Create(t.Context(), apiClient(ns, "invalid-"+strings.ReplaceAll(tc.name, " ", "-"), tc.spec))
			require.Error(t, err, "case %d", i)
			assert.True(t, apierrors.IsInvalid(err), "want 422 Invalid, got %v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		ac := apiClient(ns, "defaulted", gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: &gatewayv1alpha1.SecretKeyRef{Name: "s"}})
		require.NoError(t, c.Create(t.Context(), ac))
		assert.Equal(t, gatewayv1alpha1.TierUser, ac.Spec.Tier)
		assert.Equal(t, "password", ac.Spec.CredentialsSecretRef.Key)
	})
}

// TestCredentialProblems: a client whose password cannot be read is Ready=False with a
// reason saying why, is rendered without credentials, and the others are unaffected;
// fixing the Secret heals it without touching the client.
func TestCredentialProblems(t *testing.T) {
	t.Parallel()
	h := startController(t)
	ctx := t.Context()
	require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "good-password", "password", password)))
	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "good", gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: secretRef("good-password")})))
	require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "wrong-key", "token", password)))
	require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "short", "password", "short")))

	cases := []struct {
		name   string
		secret string
		reason string
		msg    string
	}{
		{name: "missing-secret", secret: "does-not-exist", reason: gatewayv1alpha1.ReasonSecretNotFound, msg: `Secret "does-not-exist" not found`},
		{name: "missing-key", secret: "wrong-key", reason: gatewayv1alpha1.ReasonSecretKeyMissing, msg: `Secret "wrong-key" has no key "password"`},
		{name: "short-password", secret: "short", reason: gatewayv1alpha1.ReasonPasswordInvalid, msg: "must be 12 to 72 bytes long, got 5"},
	}
	for _, tc := range cases {
		require.NoError(t, h.c.Create(ctx, apiClient(h.ns, tc.name, gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: secretRef(tc.secret)})))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.eventually(t, func(c *assert.CollectT, s snapshot) {
				assertReady(c, s, tc.name, metav1.ConditionFalse, tc.reason)
				if cond := s.ready(tc.name); cond != nil {
					assert.Contains(c, cond.Message, tc.msg)
				}
				assert.Contains(c, s.limits.Clients, tc.name, "rendered, so its limits apply")
				assert.NotContains(c, s.credentials, tc.name, "rendered without credentials")
				assertReady(c, s, "good", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
				assertPassword(c, s, "good", password)
			})
		})
	}

	t.Run("secret created later", func(t *testing.T) {
		require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "does-not-exist", "password", rotatedPassword)))
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assertReady(c, s, "missing-secret", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
			assertPassword(c, s, "missing-secret", rotatedPassword)
		})
	})

	t.Run("secret deleted", func(t *testing.T) {
		require.NoError(t, h.c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "good-password", Namespace: h.ns}}))
		h.eventually(t, func(c *assert.CollectT, s snapshot) {
			assertReady(c, s, "good", metav1.ConditionFalse, gatewayv1alpha1.ReasonSecretNotFound)
			assert.NotContains(c, s.credentials, "good", "a deleted password no longer logs in")
		})
	})
}

// TestInvalidSpecAtReconcile: an override the API server cannot judge (it depends on the
// tier defaults) is reported and left out, without breaking the others.
func TestInvalidSpecAtReconcile(t *testing.T) {
	t.Parallel()
	h := startController(t)
	ctx := t.Context()
	// user's perDay is 10,000: a perMinute of 20,000 alone makes no sense.
	bad := apiClient(h.ns, "bad", gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](20_000)}})
	require.NoError(t, h.c.Create(ctx, bad))
	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "fine", gatewayv1alpha1.ApiClientSpec{})))
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assertReady(c, s, "bad", metav1.ConditionFalse, gatewayv1alpha1.ReasonInvalidSpec)
		if cond := s.ready("bad"); cond != nil {
			assert.Contains(c, cond.Message, "the effective perMinute (20000) exceeds the effective perDay (10000)")
		}
		assert.Nil(c, s.clients["bad"].Status.EffectiveLimits)
		assert.NotContains(c, s.limits.Clients, "bad")
		assertReady(c, s, "fine", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
		assert.Contains(c, s.limits.Clients, "fine")
	})

	update(t, h.c, bad, func(ac *gatewayv1alpha1.ApiClient) { ac.Spec.Limits.PerDay = ptr.To[int32](100_000) })
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assertReady(c, s, "bad", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
		assert.Equal(c, limitconfig.Client{Tier: limitconfig.TierUser, PerMinute: 20_000, PerDay: 100_000}, s.limits.Clients["bad"])
	})
}

// TestNoChurn: reconciling a steady state writes nothing — not the ConfigMap, not the
// Secret (bcrypt would salt a new hash each time), not the statuses — also for a fresh
// reconciler that remembers no hashes, as after a restart.
func TestNoChurn(t *testing.T) {
	t.Parallel()
	h := startController(t)
	ctx := t.Context()
	require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "a-password", "password", password)))
	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "a", gatewayv1alpha1.ApiClientSpec{CredentialsSecretRef: secretRef("a-password")})))
	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "b", gatewayv1alpha1.ApiClientSpec{Suspended: true})))
	var steady snapshot
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assertReady(c, s, "a", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
		assertReady(c, s, "b", metav1.ConditionTrue, gatewayv1alpha1.ReasonSuspended)
		assertPassword(c, s, "a", password)
		assert.Len(c, s.limits.Clients, 2)
		steady = s
	})

	restarted := &ApiClientReconciler{
		Client: h.r.Client, Namespace: h.ns, ConfigMapName: configMapName, SecretName: secretName,
		Tiers: limitconfig.Defaults(), BcryptCost: h.r.BcryptCost,
	}
	for _, r := range []*ApiClientReconciler{h.r, h.r, restarted, restarted} {
		for _, name := range []string{"a", "b", configMapName} {
			_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: h.ns, Name: name}})
			require.NoError(t, err)
		}
	}
	now, err := h.snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, steady.configMap.ResourceVersion, now.configMap.ResourceVersion, "ConfigMap rewritten: %s\n---\n%s", steady.configMap.Data, now.configMap.Data)
	assert.Equal(t, steady.secret.ResourceVersion, now.secret.ResourceVersion, "Secret rewritten")
	for _, name := range []string{"a", "b"} {
		assert.Equal(t, steady.clients[name].ResourceVersion, now.clients[name].ResourceVersion, "status of %s rewritten", name)
	}
}

// TestRenderedObjects: the ConfigMap exists with the tier defaults before any client,
// the TIER_DEFAULTS tiers are used, and a hand-deleted or hand-edited object is
// rendered again.
func TestRenderedObjects(t *testing.T) {
	t.Parallel()
	tiers := limitconfig.Defaults()
	tiers.Tiers[limitconfig.TierUser] = limitconfig.Limits{PerMinute: 42, PerDay: 4_200}
	h := startController(t, withTiers(tiers))
	ctx := t.Context()

	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assert.Equal(c, tiers.Tiers, s.limits.Tiers)
		assert.Empty(c, s.limits.Clients)
		assert.Empty(c, s.credentials)
	})

	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "app", gatewayv1alpha1.ApiClientSpec{Limits: &gatewayv1alpha1.Limits{PerDay: ptr.To[int32](5_000)}})))
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assert.Equal(c, &gatewayv1alpha1.EffectiveLimits{PerMinute: 42, PerDay: 5_000}, s.clients["app"].Status.EffectiveLimits)
	})

	first, err := h.snapshot(ctx)
	require.NoError(t, err)
	require.NoError(t, h.c.Delete(ctx, first.configMap))
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assert.NotEqual(c, first.configMap.UID, s.configMap.UID, "re-created")
		assert.Equal(c, first.configMap.Data, s.configMap.Data)
	})

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: configMapName, Namespace: h.ns}}
	update(t, h.c, cm, func(cm *corev1.ConfigMap) { cm.Data[RateLimitsKey] = "tiers: {}\n" })
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assert.Equal(c, first.configMap.Data, s.configMap.Data, "hand edit reverted")
	})

	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: h.ns}}
	update(t, h.c, sec, func(s *corev1.Secret) { s.Data["extra"] = []byte("x") })
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assert.NotContains(c, s.secret.Data, "extra")
	})
}

// TestOtherNamespacesIgnored: a controller renders only its own namespace.
func TestOtherNamespacesIgnored(t *testing.T) {
	t.Parallel()
	h := startController(t)
	other := newNamespace(t, h.c)
	require.NoError(t, h.c.Create(t.Context(), apiClient(other, "elsewhere", gatewayv1alpha1.ApiClientSpec{})))
	require.NoError(t, h.c.Create(t.Context(), apiClient(h.ns, "here", gatewayv1alpha1.ApiClientSpec{})))
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assert.Contains(c, s.limits.Clients, "here")
		assert.NotContains(c, s.limits.Clients, "elsewhere")
	})
	var cm corev1.ConfigMap
	err := h.c.Get(t.Context(), client.ObjectKey{Namespace: other, Name: configMapName}, &cm)
	assert.True(t, apierrors.IsNotFound(err), "nothing rendered in another namespace: %v", err)
}
