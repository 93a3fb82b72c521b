package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestReadmeListsEveryValue: each value in values.yaml appears in the chart's README,
// either by its full path or as a name on a row of its section.
func TestReadmeListsEveryValue(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	require.NoError(t, err)
	vals := map[string]any{}
	require.NoError(t, yaml.Unmarshal(raw, &vals))
	readme, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	require.NoError(t, err)
	lines := strings.Split(string(readme), "\n")

	// Objects documented as a whole rather than key by key.
	whole := map[string]bool{"resources": true, "podSecurityContext": true, "containerSecurityContext": true, "dnsNamespaceSelector": true, "requests": true, "limits": true}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		last := prefix[strings.LastIndex(prefix, ".")+1:]
		if !ok || len(m) == 0 || whole[last] {
			paths = append(paths, prefix)
			return
		}
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, x)
		}
	}
	walk("", vals)
	require.Greater(t, len(paths), 50)

	for _, p := range paths {
		if strings.Contains(string(readme), "`"+p+"`") {
			continue
		}
		first := p[:strings.Index(p+".", ".")]
		last := p[strings.LastIndex(p, ".")+1:]
		word := regexp.MustCompile(`[\x60 ,./]` + regexp.QuoteMeta(last) + `[\x60 ,/]`)
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, "| `"+first+".") && word.MatchString(l) {
				found = true
				break
			}
		}
		assert.True(t, found, "README.md does not document %s", p)
	}
}
