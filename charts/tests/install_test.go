package tests

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// helmConfig is what `helm --namespace ns` would use against the control plane.
func helmConfig(t *testing.T, p *controlPlane, ns string) *action.Configuration {
	t.Helper()
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(discardLogs))
	require.NoError(t, cfg.Init(p.restGetter(ns), ns, "secret"))
	return cfg
}

// helmInstall is `helm install --create-namespace` without --wait: envtest has no
// kubelet, so no pod ever becomes ready.
func helmInstall(t *testing.T, cfg *action.Configuration, name, ns string, vals map[string]any) *release.Release {
	t.Helper()
	install := action.NewInstall(cfg)
	install.ReleaseName = name
	install.Namespace = ns
	install.CreateNamespace = true
	install.WaitStrategy = kube.HookOnlyStrategy
	install.Timeout = 2 * time.Minute
	rel, err := install.RunWithContext(t.Context(), loadChart(t), vals)
	require.NoError(t, err, "helm install")
	r, ok := rel.(*release.Release)
	require.True(t, ok)
	return r
}

// merge combines scenario files, later ones winning, like repeated `--values`.
func merge(t *testing.T, files ...string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, f := range files {
		out = mergeMaps(out, readValues(t, filepath.Join("testdata", "scenarios", f+".yaml")))
	}
	return out
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// getAll fetches every object of a manifest from the API server; missing ones are nil.
func getAll(t *testing.T, c client.Client, ns string, manifest string) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, want := range parseManifest(t, manifest) {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(want.GroupVersionKind())
		key := want.GetKind() + "/" + want.GetName()
		err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: want.GetName()}, got)
		switch {
		case apierrors.IsNotFound(err):
			out[key] = nil
		case err != nil:
			t.Fatalf("getting %s: %v", key, err)
		case got.GetDeletionTimestamp() != nil:
			out[key] = nil // on its way out; nothing in envtest runs finalizers
		default:
			out[key] = got
		}
	}
	return out
}

// TestInstallUpgradeUninstall: `helm install`, `helm upgrade` and `helm uninstall`
// against a real kube-apiserver: every object passes the server's validation and
// admission, generated secrets survive the upgrade, and uninstall removes everything
// but the CRD.
func TestInstallUpgradeUninstall(t *testing.T) {
	p := apiServer(t)
	const ns, name = "football", "ft"
	cfg := helmConfig(t, p, ns)

	// Install the fullest configuration: NetworkPolicies, Ingress with TLS, OTLP, tier defaults.
	rel := helmInstall(t, cfg, name, ns, merge(t, "networkpolicies", "ingress-tls", "observability"))
	assert.Equal(t, "deployed", rel.Info.Status.String())
	installed := getAll(t, p.client, ns, rel.Manifest)
	require.NotEmpty(t, installed)
	for key, obj := range installed {
		assert.NotNil(t, obj, "%s was created", key)
	}
	for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "Secret", "Role", "RoleBinding", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Ingress", "ConfigMap"} {
		assert.NotEmpty(t, parseManifest(t, rel.Manifest).ofKind(kind), "the release has a %s", kind)
	}
	crdInstalled := checkCRD(t, p)

	auth := &corev1.Secret{}
	require.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name + "-auth"}, auth))
	redis := &corev1.Secret{}
	require.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name + "-redis"}, redis))

	// Upgrade: fixed replicas instead of HPA; the secrets generated on install must stay.
	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = ns
	upgrade.WaitStrategy = kube.HookOnlyStrategy
	upgrade.Timeout = 2 * time.Minute
	upRel, err := upgrade.RunWithContext(t.Context(), name, loadChart(t), merge(t, "networkpolicies", "ingress-tls", "hpa-off"))
	require.NoError(t, err, "helm upgrade")
	up, ok := upRel.(*release.Release)
	require.True(t, ok)
	assert.Equal(t, 2, up.Version)
	assert.Equal(t, "deployed", up.Info.Status.String())

	authAfter := &corev1.Secret{}
	require.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name + "-auth"}, authAfter))
	assert.Equal(t, auth.Data, authAfter.Data, "JWT_SECRET and ADMIN_PASS survive helm upgrade (lookup)")
	redisAfter := &corev1.Secret{}
	require.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name + "-redis"}, redisAfter))
	assert.Equal(t, redis.Data, redisAfter.Data, "the Redis password survives helm upgrade")

	gw := &appsv1.Deployment{}
	require.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name + "-gateway"}, gw))
	require.NotNil(t, gw.Spec.Replicas)
	assert.Equal(t, int32(3), *gw.Spec.Replicas)
	after := getAll(t, p.client, ns, rel.Manifest)
	assert.Nil(t, after["HorizontalPodAutoscaler/"+name+"-gateway"], "the upgrade removed the HPA")
	assert.Nil(t, after["ConfigMap/"+name+"-tier-defaults"], "the upgrade removed the tier defaults")

	// Uninstall: everything the release created is gone; the CRD stays (Helm never deletes crds/).
	uninstall := action.NewUninstall(cfg)
	uninstall.WaitStrategy = kube.HookOnlyStrategy
	uninstall.Timeout = 2 * time.Minute
	_, err = uninstall.Run(name)
	require.NoError(t, err, "helm uninstall")
	for key, obj := range getAll(t, p.client, ns, up.Manifest) {
		assert.Nil(t, obj, "%s was deleted", key)
	}
	if crdInstalled {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		assert.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Name: crdName}, crd), "the CRD outlives the release")
	}
	_, err = action.NewStatus(cfg).Run(name)
	assert.Error(t, err, "no release left")
}

const crdName = "apiclients.gateway.footballtracker.dev"

// checkCRD: when the chart carries the ApiClient CRD, the install registered it and the
// sample ApiClients pass its validation. The CRD is generated by the controller's build
// into crds/; until it is there, this part is reported and skipped.
func checkCRD(t *testing.T, p *controlPlane) bool {
	t.Helper()
	crds, _ := filepath.Glob(filepath.Join(chartDir(t), "crds", "*.yaml"))
	if len(crds) == 0 {
		t.Logf("charts/football-tracker/crds/ is empty: the ApiClient CRD and the samples are not checked")
		return false
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	require.NoError(t, p.client.Get(t.Context(), client.ObjectKey{Name: crdName}, crd), "helm install registers the CRD")
	require.Eventually(t, func() bool {
		if err := p.client.Get(t.Context(), client.ObjectKey{Name: crdName}, crd); err != nil {
			return false
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the CRD becomes Established")

	samples, err := filepath.Glob(filepath.Join(repoRoot(t), "manifests", "samples", "*.yaml"))
	require.NoError(t, err)
	for _, f := range samples {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, obj := range parseManifest(t, string(b)) {
			obj.SetNamespace("football")
			if err := p.client.Create(t.Context(), obj, client.DryRunAll); err != nil {
				t.Errorf("sample %s (%s %s) is rejected by the API server: %v", filepath.Base(f), obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	return true
}
