package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
)

// envVar is one variable a service reads.
type envVar struct {
	name     string
	required bool
}

// controllerEnv is the controller's contract (DESIGN.md, Kubernetes), used until the
// controller has a Settings struct under services/controller/internal/config.
var controllerEnv = []envVar{
	{name: "WATCH_NAMESPACE"},
	{name: "RATE_LIMIT_CONFIGMAP"},
	{name: "CLIENT_CREDENTIALS_SECRET"},
	{name: "TIER_DEFAULTS"},
	{name: "HEALTH_PROBE_BIND_ADDRESS"},
	{name: "METRICS_BIND_ADDRESS"},
}

// serviceEnv reads, at test time, the env tags of services/<svc>/internal/config's
// Settings (and the shared structs it embeds from pkg/config), so a variable another
// change adds to a service is checked without touching this test.
func serviceEnv(t testing.TB, svc string) map[string]envVar {
	t.Helper()
	root := repoRoot(t)
	shared := structFields(t, filepath.Join(root, "pkg", "config", "common.go"))
	path := filepath.Join(root, "services", svc, "internal", "config", "config.go")
	out := map[string]envVar{}
	if _, err := os.Stat(path); os.IsNotExist(err) && svc == "controller" {
		for _, v := range controllerEnv {
			out[v.name] = v
		}
		return out
	}
	local := structFields(t, path)
	settings, ok := local["Settings"]
	require.True(t, ok, "%s has no Settings struct", path)
	var walk func(fields []*ast.Field)
	walk = func(fields []*ast.Field) {
		for _, f := range fields {
			if len(f.Names) == 0 { // embedded: config.Server, config.Redis or a local struct
				var name string
				switch x := f.Type.(type) {
				case *ast.SelectorExpr:
					name = x.Sel.Name
					inner, ok := shared[name]
					require.True(t, ok, "%s embeds unknown %s", svc, name)
					walk(inner)
				case *ast.Ident:
					inner, ok := local[x.Name]
					require.True(t, ok, "%s embeds unknown %s", svc, x.Name)
					walk(inner)
				}
				if f.Tag == nil {
					continue
				}
			}
			if f.Tag == nil {
				continue
			}
			tag, err := strconv.Unquote(f.Tag.Value)
			require.NoError(t, err)
			env, ok := reflect.StructTag(tag).Lookup("env")
			if !ok || env == "" {
				continue
			}
			parts := strings.Split(env, ",")
			v := envVar{name: parts[0]}
			for _, opt := range parts[1:] {
				v.required = v.required || opt == "required"
			}
			out[v.name] = v
		}
	}
	walk(settings)
	if svc == "controller" {
		for _, v := range controllerEnv {
			if _, ok := out[v.name]; !ok {
				out[v.name] = v
			}
		}
	}
	return out
}

// structFields parses a Go file and returns the fields of each struct type in it.
func structFields(t testing.TB, path string) map[string][]*ast.Field {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	out := map[string][]*ast.Field{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		if st, ok := ts.Type.(*ast.StructType); ok {
			out[ts.Name.Name] = st.Fields.List
		}
		return true
	})
	return out
}

// isOTel: the OpenTelemetry SDK reads the standard OTEL_* variables itself.
func isOTel(name string) bool { return strings.HasPrefix(name, "OTEL_") }

// TestEnvMatchesSettings: every variable the chart sets on a service is one the service
// reads, and every required one is set, in every scenario.
func TestEnvMatchesSettings(t *testing.T) {
	t.Parallel()
	containers := map[string]string{ // Deployment → services/<dir>
		"ft-gateway":          "gateway",
		"ft-cache":            "cache",
		"ft-provider-adapter": "provider-adapter",
		"ft-controller":       "controller",
	}
	reads := map[string]map[string]envVar{}
	for _, svc := range containers {
		reads[svc] = serviceEnv(t, svc)
	}
	require.Contains(t, reads["gateway"], "JWT_SECRET", "the parser finds the gateway's variables")
	require.True(t, reads["gateway"]["JWT_SECRET"].required)
	require.Contains(t, reads["cache"], "REDIS_URL", "the parser follows the embedded config.Redis")

	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			_, objs := mustRender(t, sc.values)
			for dep, svc := range containers {
				d := as[appsv1.Deployment](t, objs.get("Deployment", dep))
				require.Len(t, d.Spec.Template.Spec.Containers, 1, dep)
				c := d.Spec.Template.Spec.Containers[0]
				set := envMap(c)
				for _, e := range c.Env {
					assert.NotRegexp(t, `^-?[0-9.]+e[+-][0-9]+$`, e.Value, "%s: %s is a number in float notation, which the service cannot parse", dep, e.Name)
				}
				for name := range set {
					if isOTel(name) {
						continue
					}
					if name == "POD_NAME" {
						assert.Contains(t, set["OTEL_RESOURCE_ATTRIBUTES"].Value, "$(POD_NAME)", "%s: POD_NAME only feeds OTEL_RESOURCE_ATTRIBUTES", dep)
						continue
					}
					_, ok := reads[svc][name]
					assert.True(t, ok, "%s sets %s, which %s does not read", dep, name, svc)
				}
				var required []string
				for name, v := range reads[svc] {
					if v.required {
						required = append(required, name)
					}
				}
				sort.Strings(required)
				for _, name := range required {
					assert.Contains(t, set, name, "%s must set %s (required by %s)", dep, name, svc)
				}
				if _, ok := reads[svc]["REDIS_URL"]; ok {
					_, url := set["REDIS_URL"]
					_, addrs := set["REDIS_ADDRS"]
					assert.True(t, url != addrs, "%s sets exactly one of REDIS_URL and REDIS_ADDRS", dep)
				}
				if _, ok := reads[svc]["PORT"]; ok {
					assert.Equal(t, "8080", set["PORT"].Value, dep)
					assert.Equal(t, svc, set["OTEL_SERVICE_NAME"].Value, "%s: traces name the service", dep)
				}
			}
		})
	}
}
