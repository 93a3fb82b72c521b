package controller

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChartCRDIsGenerated: the chart installs exactly the CRD generated from the
// markers (`make manifests` copies it); `make verify-generated` checks the rest.
func TestChartCRDIsGenerated(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..", "..")
	const name = "gateway.footballtracker.dev_apiclients.yaml"
	generated, err := os.ReadFile(filepath.Join(root, "manifests", "crd", name))
	require.NoError(t, err)
	chart, err := os.ReadFile(filepath.Join(root, "charts", "football-tracker", "crds", name))
	require.NoError(t, err)
	assert.Equal(t, string(generated), string(chart), "charts/football-tracker/crds drifted from manifests/crd: run `make manifests`")
}
