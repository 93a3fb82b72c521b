package tests

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	runtimeconv "k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

const (
	releaseName = "ft"
	namespace   = "football"
)

// repoRoot is the repository root, found from this file so tests run from any directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func chartDir(t testing.TB) string {
	return filepath.Join(repoRoot(t), "charts", "football-tracker")
}

func loadChart(t testing.TB) *chart.Chart {
	t.Helper()
	c, err := loader.LoadDir(chartDir(t))
	require.NoError(t, err)
	return c
}

// readValues reads a values file from testdata.
func readValues(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	vals := map[string]any{}
	require.NoError(t, yaml.Unmarshal(b, &vals), path)
	return vals
}

// renderChart renders the chart like `helm template` (no cluster) and returns the error
// of rendering or schema validation.
// apiVersions adds API versions to the capabilities, like `helm template --api-versions`.
func renderChart(t testing.TB, vals map[string]any, apiVersions ...string) (*release.Release, error) {
	t.Helper()
	install := action.NewInstall(action.NewConfiguration(action.ConfigurationSetLogger(discardLogs)))
	install.APIVersions = apiVersions
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	install.IncludeCRDs = false
	rel, err := install.Run(loadChart(t), vals)
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*release.Release)
	require.True(t, ok, "unexpected release type %T", rel)
	return r, nil
}

var yamlMarshal = yaml.Marshal

// discardLogs keeps helm's progress logs out of the test output.
var discardLogs = slog.DiscardHandler

// objects is a rendered manifest split into objects.
type objects []*unstructured.Unstructured

func mustRender(t testing.TB, vals map[string]any) (*release.Release, objects) {
	t.Helper()
	rel, err := renderChart(t, vals)
	require.NoError(t, err)
	return rel, parseManifest(t, rel.Manifest)
}

func parseManifest(t testing.TB, manifest string) objects {
	t.Helper()
	var out objects
	for _, doc := range strings.Split(manifest, "\n---") {
		m := map[string]any{}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &m))
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

func (o objects) ofKind(kind string) objects {
	var out objects
	for _, u := range o {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

func (o objects) get(kind, name string) *unstructured.Unstructured {
	for _, u := range o {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

// as converts a rendered object into its typed form.
func as[T any](t testing.TB, u *unstructured.Unstructured) *T {
	t.Helper()
	require.NotNil(t, u)
	out := new(T)
	require.NoError(t, runtimeconv.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true),
		"%s %s does not match its schema", u.GetKind(), u.GetName())
	return out
}
