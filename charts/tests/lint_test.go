package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"helm.sh/helm/v4/pkg/action"
)

// TestLint is `helm lint --strict` for the chart with its defaults and every scenario.
func TestLint(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = namespace
			res := lint.Run([]string{chartDir(t)}, sc.values)
			for _, m := range res.Messages {
				t.Logf("lint: %s", m)
			}
			assert.Empty(t, res.Errors, "helm lint --strict found problems")
			assert.Equal(t, 1, res.TotalChartsLinted)
		})
	}
}
