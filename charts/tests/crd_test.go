package tests

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChartCRDIsTheGeneratedOne: the CRD the chart installs is byte for byte the one
// controller-gen writes into manifests/crd, so `helm install` and `kubectl apply -f
// manifests/crd` never disagree on the ApiClient schema.
func TestChartCRDIsTheGeneratedOne(t *testing.T) {
	t.Parallel()
	generated, err := filepath.Glob(filepath.Join(repoRoot(t), "manifests", "crd", "*.yaml"))
	require.NoError(t, err)
	if len(generated) == 0 {
		t.Skip("manifests/crd is not generated yet")
	}
	inChart, err := filepath.Glob(filepath.Join(chartDir(t), "crds", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, inChart, len(generated), "the chart carries every generated CRD")
	for _, g := range generated {
		want, err := os.ReadFile(g)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(chartDir(t), "crds", filepath.Base(g)))
		if assert.NoError(t, err, "crds/%s", filepath.Base(g)) {
			assert.Equal(t, string(want), string(got), "crds/%s differs from manifests/crd: run make manifests", filepath.Base(g))
		}
	}
}
