package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

type skaffoldRelease struct {
	ChartPath         string            `json:"chartPath"`
	SetValues         map[string]any    `json:"setValues"`
	SetValueTemplates map[string]string `json:"setValueTemplates"`
}

type skaffoldConfig struct {
	Build struct {
		Artifacts []struct {
			Image   string `json:"image"`
			Context string `json:"context"`
			Docker  struct {
				Dockerfile string `json:"dockerfile"`
			} `json:"docker"`
		} `json:"artifacts"`
	} `json:"build"`
	Deploy struct {
		Helm struct {
			Releases []skaffoldRelease `json:"releases"`
		} `json:"helm"`
	} `json:"deploy"`
	Profiles []struct {
		Name    string `json:"name"`
		Patches []struct {
			Path  string `json:"path"`
			Value any    `json:"value"`
		} `json:"patches"`
	} `json:"profiles"`
}

// TestSkaffold: skaffold builds the four services from their Dockerfiles with the
// repository root as context, deploys this chart, and every value it sets exists in the
// chart (a renamed value would otherwise be ignored silently by helm --set).
func TestSkaffold(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "skaffold.yaml"))
	require.NoError(t, err)
	var cfg skaffoldConfig
	require.NoError(t, yaml.Unmarshal(raw, &cfg))

	images := map[string]bool{}
	for _, a := range cfg.Build.Artifacts {
		images[a.Image] = true
		assert.Equal(t, ".", a.Context, "%s: the repository root is the context", a.Image)
		assert.Equal(t, "services/"+a.Image+"/Dockerfile", a.Docker.Dockerfile)
		assert.FileExists(t, filepath.Join(root, a.Docker.Dockerfile))
	}
	assert.Equal(t, map[string]bool{"gateway": true, "cache": true, "provider-adapter": true, "controller": true}, images)

	require.Len(t, cfg.Deploy.Helm.Releases, 1)
	rel := cfg.Deploy.Helm.Releases[0]
	assert.Equal(t, "charts/football-tracker", rel.ChartPath)

	defaults := map[string]any{}
	vraw, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(vraw, &defaults))
	exists := func(path string) bool {
		var cur any = defaults
		for _, part := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[part]; !ok {
				return false
			}
		}
		return true
	}
	for key := range rel.SetValueTemplates {
		assert.True(t, exists(key), "setValueTemplates sets %s, which the chart does not have", key)
	}
	for _, p := range cfg.Profiles {
		for _, patch := range p.Patches {
			values, ok := patch.Value.(map[string]any)
			if !strings.HasSuffix(patch.Path, "/setValues") || !ok {
				continue
			}
			for key := range values {
				assert.True(t, exists(key), "profile %s sets %s, which the chart does not have", p.Name, key)
			}
		}
	}
}
