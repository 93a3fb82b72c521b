package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchemaRejectsBadValues: each file in testdata/invalid is refused by
// values.schema.json (or the chart's own checks) with a message naming the field given
// on its first line ("# want: <field>").
func TestSchemaRejectsBadValues(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			first, _, _ := strings.Cut(string(raw), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			require.True(t, ok, "%s starts with '# want: <field>'", f)

			_, err = renderChart(t, readValues(t, f))
			require.Error(t, err, "the chart accepted %s", f)
			assert.Contains(t, err.Error(), want, "the message names the field")
			t.Logf("rejected with: %v", err)
		})
	}
}

// TestSchemaAcceptsEveryScenario guards against a schema so strict it refuses the
// documented examples.
func TestSchemaAcceptsEveryScenario(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			_, err := renderChart(t, sc.values)
			assert.NoError(t, err)
		})
	}
}
