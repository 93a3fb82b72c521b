package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// access is one request the controller's ServiceAccount might make.
type access struct {
	verb, group, resource, subresource, name, namespace string
}

func (a access) String() string {
	r := a.resource
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.group != "" {
		r += "." + a.group
	}
	if a.name != "" {
		r += "/" + a.name
	}
	ns := a.namespace
	if ns == "" {
		ns = "<cluster>"
	}
	return fmt.Sprintf("%s %s in %s", a.verb, r, ns)
}

// allowed asks the API server whether the ServiceAccount may do a, with a
// SubjectAccessReview evaluated by the real RBAC authorizer.
func (p *controlPlane) allowed(t *testing.T, sa, saNamespace string, a access) bool {
	t.Helper()
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + saNamespace + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + saNamespace, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource,
			Name: a.name, Namespace: a.namespace,
		},
	}}
	got, err := p.clientset.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), review, metav1.CreateOptions{})
	require.NoError(t, err)
	return got.Status.Allowed
}

// TestControllerRBAC installs the chart and proves, through the API server's own
// authorizer, that the controller's ServiceAccount may do what the controller does and
// nothing more.
func TestControllerRBAC(t *testing.T) {
	p := apiServer(t)
	const ns, name = "rbac", "tracker"
	cfg := helmConfig(t, p, ns)
	helmInstall(t, cfg, name, ns, nil)
	sa := name + "-controller"
	const group = "gateway.footballtracker.dev"

	var needs []access
	for _, v := range []string{"get", "list", "watch"} {
		needs = append(needs,
			access{verb: v, group: group, resource: "apiclients", namespace: ns},
			access{verb: v, resource: "secrets", namespace: ns, name: "chrome-extension-password"},
			access{verb: v, resource: "configmaps", namespace: ns},
			access{verb: v, group: "coordination.k8s.io", resource: "leases", namespace: ns},
		)
	}
	needs = append(needs,
		access{verb: "update", group: group, resource: "apiclients", subresource: "status", namespace: ns, name: "mobile-app"},
		access{verb: "patch", group: group, resource: "apiclients", subresource: "status", namespace: ns, name: "mobile-app"},
		access{verb: "create", resource: "configmaps", namespace: ns},
		access{verb: "update", resource: "configmaps", namespace: ns, name: name + "-rate-limits"},
		access{verb: "patch", resource: "configmaps", namespace: ns, name: name + "-rate-limits"},
		access{verb: "create", resource: "secrets", namespace: ns},
		access{verb: "update", resource: "secrets", namespace: ns, name: name + "-client-credentials"},
		access{verb: "patch", resource: "secrets", namespace: ns, name: name + "-client-credentials"},
		access{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: ns},
		access{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "football-tracker-controller.gateway.footballtracker.dev"},
		access{verb: "create", resource: "events", namespace: ns},
		access{verb: "patch", resource: "events", namespace: ns},
		access{verb: "create", group: "events.k8s.io", resource: "events", namespace: ns},
	)
	for _, a := range needs {
		t.Run("allowed "+a.String(), func(t *testing.T) {
			assert.True(t, p.allowed(t, sa, ns, a), "the controller needs to %s", a)
		})
	}

	denied := []access{
		{verb: "delete", group: "apps", resource: "deployments", namespace: ns},
		{verb: "update", group: "apps", resource: "deployments", namespace: ns, name: name + "-gateway"},
		{verb: "create", resource: "pods", namespace: ns},
		{verb: "get", resource: "secrets", namespace: "kube-system", name: "any"},
		{verb: "list", resource: "secrets", namespace: "default"},
		{verb: "list", resource: "secrets"},
		{verb: "list", group: group, resource: "apiclients"},
		{verb: "watch", group: group, resource: "apiclients", namespace: "default"},
		{verb: "list", resource: "namespaces"},
		{verb: "get", resource: "nodes", name: "node-1"},
		{verb: "update", group: group, resource: "apiclients", namespace: ns, name: "mobile-app"},
		{verb: "delete", group: group, resource: "apiclients", namespace: ns, name: "mobile-app"},
		{verb: "create", group: group, resource: "apiclients", namespace: ns},
		{verb: "update", resource: "secrets", namespace: ns, name: name + "-auth"},
		{verb: "patch", resource: "secrets", namespace: ns, name: name + "-redis"},
		{verb: "delete", resource: "secrets", namespace: ns, name: name + "-client-credentials"},
		{verb: "update", resource: "configmaps", namespace: ns, name: "kube-root-ca.crt"},
		{verb: "delete", resource: "configmaps", namespace: ns, name: name + "-rate-limits"},
		{verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: ns},
		{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "roles", namespace: ns},
		{verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions"},
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
		{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: sa},
	}
	for _, a := range denied {
		t.Run("denied "+a.String(), func(t *testing.T) {
			assert.False(t, p.allowed(t, sa, ns, a), "the controller must not %s", a)
		})
	}

	// No other ServiceAccount of the release can talk to the API at all.
	for _, other := range []string{"gateway", "cache", "provider-adapter", "redis"} {
		t.Run("nothing for "+other, func(t *testing.T) {
			for _, a := range []access{
				{verb: "get", resource: "secrets", namespace: ns, name: name + "-auth"},
				{verb: "list", resource: "configmaps", namespace: ns},
				{verb: "get", group: group, resource: "apiclients", namespace: ns},
			} {
				assert.False(t, p.allowed(t, name+"-"+other, ns, a), "%s must not %s", other, a)
			}
		})
	}

	t.Run("generated role", func(t *testing.T) {
		generatedRoleIsGranted(t, p, sa, ns)
	})
}

// generatedRoleIsGranted: every rule the controller's RBAC markers generate into
// manifests/rbac/role.yaml (namespaced to the release) is granted by the chart's Roles,
// so the chart cannot fall behind the controller's code.
func generatedRoleIsGranted(t *testing.T, p *controlPlane, sa, ns string) {
	t.Helper()
	path := filepath.Join(repoRoot(t), "manifests", "rbac", "role.yaml")
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is not generated yet", path)
	}
	require.NoError(t, err)
	var checked int
	for _, doc := range strings.Split(string(raw), "\n---") {
		var role rbacv1.ClusterRole // Role and ClusterRole share the rules' shape
		require.NoError(t, yaml.Unmarshal([]byte(doc), &role))
		for _, rule := range role.Rules {
			if len(rule.NonResourceURLs) > 0 {
				t.Errorf("generated rule %v needs non-resource URLs: a namespaced Role cannot grant them", rule)
				continue
			}
			for _, g := range rule.APIGroups {
				for _, res := range rule.Resources {
					resource, sub, _ := strings.Cut(res, "/")
					for _, v := range rule.Verbs {
						names := rule.ResourceNames
						if len(names) == 0 {
							names = []string{""}
						}
						for _, n := range names {
							a := access{verb: v, group: g, resource: resource, subresource: sub, namespace: ns, name: n}
							if n == "" && (v == "update" || v == "patch") {
								// The chart narrows these to the rendered objects by name.
								a.name = map[string]string{"configmaps": "tracker-rate-limits", "secrets": "tracker-client-credentials"}[resource]
							}
							checked++
							assert.True(t, p.allowed(t, sa, ns, a), "the generated role grants %s; the chart must too", a)
						}
					}
				}
			}
		}
	}
	t.Logf("checked %d permissions from %s", checked, path)
}
