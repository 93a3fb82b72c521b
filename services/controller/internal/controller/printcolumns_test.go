package controller

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/json"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

// TestPrinterColumns reads what `kubectl get ac` shows: the API server's Table
// rendering of the CRD's printer columns, and, when kubectl is installed, kubectl itself
// (which also resolves the short name through discovery).
func TestPrinterColumns(t *testing.T) {
	t.Parallel()
	h := startController(t)
	ctx := t.Context()
	require.NoError(t, h.c.Create(ctx, passwordSecret(h.ns, "ext-password", "password", password)))
	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "chrome-extension", gatewayv1alpha1.ApiClientSpec{
		Tier: gatewayv1alpha1.TierUser, Limits: &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](300)},
		CredentialsSecretRef: secretRef("ext-password"),
	})))
	require.NoError(t, h.c.Create(ctx, apiClient(h.ns, "orphan", gatewayv1alpha1.ApiClientSpec{
		Tier: gatewayv1alpha1.TierAdmin, CredentialsSecretRef: secretRef("missing"),
	})))
	h.eventually(t, func(c *assert.CollectT, s snapshot) {
		assertReady(c, s, "chrome-extension", metav1.ConditionTrue, gatewayv1alpha1.ReasonRendered)
		assertReady(c, s, "orphan", metav1.ConditionFalse, gatewayv1alpha1.ReasonSecretNotFound)
	})

	t.Run("table through the API", func(t *testing.T) {
		cfg := rest.CopyConfig(restConfig)
		cfg.GroupVersion = &gatewayv1alpha1.GroupVersion
		cfg.APIPath = "/apis"
		cfg.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion()
		rc, err := rest.RESTClientFor(cfg)
		require.NoError(t, err)
		raw, err := rc.Get().Namespace(h.ns).Resource("apiclients").
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		require.NoError(t, err)
		var table metav1.Table
		require.NoError(t, json.Unmarshal(raw, &table))

		names := make([]string, 0, len(table.ColumnDefinitions))
		wide := map[string]bool{}
		for _, col := range table.ColumnDefinitions {
			names = append(names, col.Name)
			wide[col.Name] = col.Priority > 0
		}
		assert.Equal(t, []string{"Name", "Tier", "Per-Minute", "Per-Day", "Ready", "Reason", "Suspended", "Age"}, names)
		assert.True(t, wide["Reason"] && wide["Suspended"], "Reason and Suspended only with -o wide")
		assert.False(t, wide["Tier"] || wide["Per-Minute"] || wide["Per-Day"] || wide["Ready"] || wide["Age"])

		rows := map[string][]string{}
		for _, row := range table.Rows {
			cells := make([]string, len(row.Cells))
			for i, cell := range row.Cells {
				cells[i] = fmt.Sprint(cell)
			}
			rows[cells[0]] = cells
		}
		require.Contains(t, rows, "chrome-extension")
		assert.Equal(t, []string{"chrome-extension", "user", "300", "10000", "True", "Rendered", "false"}, rows["chrome-extension"][:7])
		assert.NotEmpty(t, rows["chrome-extension"][7], "Age")
		require.Contains(t, rows, "orphan")
		assert.Equal(t, []string{"orphan", "admin", "200", "50000", "False", "SecretNotFound", "false"}, rows["orphan"][:7])
	})

	t.Run("kubectl get ac", func(t *testing.T) {
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			t.Skip("kubectl is not installed; the table test above covers the API")
		}
		path := filepath.Join(t.TempDir(), "kubeconfig")
		require.NoError(t, os.WriteFile(path, kubeconfig, 0o600))
		cmd := exec.CommandContext(ctx, kubectl, "--kubeconfig", path, "get", "ac", "-n", h.ns)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		require.Len(t, lines, 3, "%s", out)
		assert.Equal(t, []string{"NAME", "TIER", "PER-MINUTE", "PER-DAY", "READY", "AGE"}, strings.Fields(lines[0]))
		assert.Equal(t, []string{"chrome-extension", "user", "300", "10000", "True"}, strings.Fields(lines[1])[:5])
		assert.Equal(t, []string{"orphan", "admin", "200", "50000", "False"}, strings.Fields(lines[2])[:5])
	})
}
