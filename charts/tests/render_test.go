package tests

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type scenario struct {
	name   string
	values map[string]any
}

// scenarios are the values files in testdata/scenarios, one per case.
func scenarios(t testing.TB) []scenario {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := make([]scenario, 0, len(files))
	for _, f := range files {
		out = append(out, scenario{name: strings.TrimSuffix(filepath.Base(f), ".yaml"), values: readValues(t, f)})
	}
	return out
}

// workloads are the Deployments the chart renders, with their pod templates.
func workloads(t testing.TB, objs objects) []*appsv1.Deployment {
	t.Helper()
	var out []*appsv1.Deployment
	for _, u := range objs.ofKind("Deployment") {
		out = append(out, as[appsv1.Deployment](t, u))
	}
	return out
}

func TestRenderScenarios(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			rel, objs := mustRender(t, sc.values)
			assert.NotEmpty(t, rel.Info.Notes, "NOTES.txt renders")

			deps := workloads(t, objs)
			names := map[string]bool{}
			for _, d := range deps {
				names[d.Name] = true
			}
			for _, want := range []string{"ft-gateway", "ft-cache", "ft-provider-adapter", "ft-controller"} {
				assert.True(t, names[want], "Deployment %s is rendered", want)
				assert.NotNil(t, objs.get("ServiceAccount", want), "ServiceAccount %s", want)
			}
			for _, svc := range []string{"ft-gateway", "ft-cache", "ft-provider-adapter"} {
				s := as[corev1.Service](t, objs.get("Service", svc))
				require.Len(t, s.Spec.Ports, 1)
				assert.Equal(t, int32(8080), s.Spec.Ports[0].Port, svc)
			}
			for _, u := range objs {
				assert.Equal(t, releaseName, u.GetLabels()["app.kubernetes.io/instance"], "%s %s has the release label", u.GetKind(), u.GetName())
			}
		})
	}
}

// TestEveryContainerIsRestricted: Pod Security "restricted", probes and resources for
// every container of every scenario.
func TestEveryContainerIsRestricted(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			_, objs := mustRender(t, sc.values)
			for _, d := range workloads(t, objs) {
				pod := d.Spec.Template.Spec
				require.NotNil(t, pod.SecurityContext, d.Name)
				assert.Equal(t, ptrTrue, deref(pod.SecurityContext.RunAsNonRoot), "%s: pod runAsNonRoot", d.Name)
				require.NotNil(t, pod.SecurityContext.SeccompProfile, d.Name)
				assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type, d.Name)
				require.NotEmpty(t, pod.Containers, d.Name)
				assert.Empty(t, pod.InitContainers, "%s: init containers would need the same checks", d.Name)
				for _, c := range pod.Containers {
					where := d.Name + "/" + c.Name
					sc := c.SecurityContext
					require.NotNil(t, sc, where)
					assert.False(t, deref(sc.AllowPrivilegeEscalation), "%s: allowPrivilegeEscalation", where)
					assert.NotNil(t, sc.AllowPrivilegeEscalation, "%s: allowPrivilegeEscalation must be explicit", where)
					assert.True(t, deref(sc.ReadOnlyRootFilesystem), "%s: readOnlyRootFilesystem", where)
					assert.True(t, deref(sc.RunAsNonRoot), "%s: runAsNonRoot", where)
					assert.False(t, deref(sc.Privileged), "%s: privileged", where)
					require.NotNil(t, sc.Capabilities, where)
					assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop, "%s: drop ALL", where)
					assert.Empty(t, sc.Capabilities.Add, "%s: adds no capability", where)
					require.NotNil(t, sc.SeccompProfile, where)
					assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type, where)

					assert.NotNil(t, c.LivenessProbe, "%s: liveness probe", where)
					assert.NotNil(t, c.ReadinessProbe, "%s: readiness probe", where)
					assert.False(t, c.Resources.Requests.Cpu().IsZero(), "%s: cpu request", where)
					assert.False(t, c.Resources.Requests.Memory().IsZero(), "%s: memory request", where)
					assert.False(t, c.Resources.Limits.Memory().IsZero(), "%s: memory limit", where)
				}
			}
		})
	}
}

var ptrTrue = true

func deref(b *bool) bool { return b != nil && *b }

// TestProbesFollowTheContract: /healthz for liveness, /readyz for readiness, on the port
// each service serves them.
func TestProbesFollowTheContract(t *testing.T) {
	t.Parallel()
	_, objs := mustRender(t, nil)
	tests := []struct {
		name string
		port string
	}{
		{name: "ft-gateway", port: "http"},
		{name: "ft-cache", port: "http"},
		{name: "ft-provider-adapter", port: "http"},
		{name: "ft-controller", port: "health"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := as[appsv1.Deployment](t, objs.get("Deployment", tt.name))
			c := d.Spec.Template.Spec.Containers[0]
			require.NotNil(t, c.LivenessProbe.HTTPGet)
			require.NotNil(t, c.ReadinessProbe.HTTPGet)
			assert.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
			assert.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
			assert.Equal(t, tt.port, c.LivenessProbe.HTTPGet.Port.StrVal)
			assert.Equal(t, tt.port, c.ReadinessProbe.HTTPGet.Port.StrVal)
			var found bool
			for _, p := range c.Ports {
				found = found || p.Name == tt.port
			}
			assert.True(t, found, "the probe port %q is a named container port", tt.port)
		})
	}
	ctrl := as[appsv1.Deployment](t, objs.get("Deployment", "ft-controller")).Spec.Template.Spec.Containers[0]
	assert.Equal(t, []string{"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8080"}, ctrl.Args)
}

// TestGatewayMountsControllerOutputAsDirectories: the rate-limit ConfigMap and the
// credentials Secret arrive as whole directories (no subPath, or the kubelet never
// updates them), optional so the gateway starts before the controller's first reconcile,
// and RATE_LIMIT_CONFIG / CLIENT_CREDENTIALS point inside them at the controller's keys.
func TestGatewayMountsControllerOutputAsDirectories(t *testing.T) {
	t.Parallel()
	_, objs := mustRender(t, nil)
	gw := as[appsv1.Deployment](t, objs.get("Deployment", "ft-gateway")).Spec.Template.Spec
	ctrl := as[appsv1.Deployment](t, objs.get("Deployment", "ft-controller")).Spec.Template.Spec
	ctrlEnv := envMap(ctrl.Containers[0])
	gwEnv := envMap(gw.Containers[0])

	volumes := map[string]corev1.Volume{}
	for _, v := range gw.Volumes {
		volumes[v.Name] = v
	}
	tests := []struct {
		name      string
		volume    string
		fileEnv   string
		key       string
		sourceEnv string
		object    string
	}{
		{name: "rate limits", volume: "ratelimits", fileEnv: "RATE_LIMIT_CONFIG", key: "ratelimits.yaml", sourceEnv: "RATE_LIMIT_CONFIGMAP", object: "ft-rate-limits"},
		{name: "client credentials", volume: "credentials", fileEnv: "CLIENT_CREDENTIALS", key: "credentials.yaml", sourceEnv: "CLIENT_CREDENTIALS_SECRET", object: "ft-client-credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, ok := volumes[tt.volume]
			require.True(t, ok, "volume %s", tt.volume)
			switch {
			case v.ConfigMap != nil:
				assert.Equal(t, tt.object, v.ConfigMap.Name)
				assert.True(t, deref(v.ConfigMap.Optional), "optional")
				assert.Empty(t, v.ConfigMap.Items, "no items: every key, so the file name stays the controller's")
			case v.Secret != nil:
				assert.Equal(t, tt.object, v.Secret.SecretName)
				assert.True(t, deref(v.Secret.Optional), "optional")
				assert.Empty(t, v.Secret.Items)
			default:
				t.Fatalf("volume %s is neither a ConfigMap nor a Secret", tt.volume)
			}
			var mount *corev1.VolumeMount
			for i := range gw.Containers[0].VolumeMounts {
				if m := gw.Containers[0].VolumeMounts[i]; m.Name == tt.volume {
					mount = &m
				}
			}
			require.NotNil(t, mount)
			assert.Empty(t, mount.SubPath, "a subPath mount never receives updates")
			assert.True(t, mount.ReadOnly)
			assert.Equal(t, mount.MountPath+"/"+tt.key, gwEnv[tt.fileEnv].Value)
			assert.Equal(t, tt.object, ctrlEnv[tt.sourceEnv].Value, "controller and gateway agree on the object")
			assert.Nil(t, objs.get("ConfigMap", tt.object), "the controller owns it, not Helm (ADR 0501)")
			assert.Nil(t, objs.get("Secret", tt.object), "the controller owns it, not Helm (ADR 0501)")
		})
	}
	assert.Equal(t, "http://ft-cache:8080", gwEnv["CACHE_URL"].Value)
	assert.Equal(t, "http://ft-provider-adapter:8080", gwEnv["ADAPTER_URL"].Value)
	cache := as[appsv1.Deployment](t, objs.get("Deployment", "ft-cache")).Spec.Template.Spec
	assert.Equal(t, "http://ft-provider-adapter:8080", envMap(cache.Containers[0])["ADAPTER_URL"].Value)
	assert.Equal(t, "metadata.namespace", ctrlEnv["WATCH_NAMESPACE"].ValueFrom.FieldRef.FieldPath)
}

func envMap(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

// secretEnv are the variables whose values are secrets: they must come from a Secret.
var secretEnv = []string{"JWT_SECRET", "ADMIN_USER", "ADMIN_PASS", "REDIS_PASSWORD", "SPORTMONKS_API_TOKEN", "REDISCLI_AUTH"}

// TestNoSecretOutsideSecrets: every secret value the chart generates stays in Secrets:
// never in a ConfigMap, an env literal, an annotation or the NOTES; secret variables
// always come from secretKeyRef; values.yaml holds no secret default.
func TestNoSecretOutsideSecrets(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			rel, objs := mustRender(t, sc.values)
			var secretValues []string
			for _, u := range objs.ofKind("Secret") {
				s := as[corev1.Secret](t, u)
				for k, v := range s.Data {
					if k == "ADMIN_USER" {
						continue // a user name, shown in NOTES on purpose
					}
					secretValues = append(secretValues, string(v))
				}
				for k, v := range s.StringData {
					secretValues = append(secretValues, v)
					t.Errorf("Secret %s uses stringData for %s: the value would show in the release manifest diff", s.Name, k)
				}
			}
			var exposed []string
			for _, u := range objs {
				if u.GetKind() == "Secret" {
					continue
				}
				exposed = append(exposed, mustYAML(t, u.Object))
			}
			exposed = append(exposed, rel.Info.Notes)
			for _, v := range secretValues {
				require.GreaterOrEqual(t, len(v), 16, "generated secrets are long")
				for _, doc := range exposed {
					assert.NotContains(t, doc, v, "a secret value leaked outside a Secret")
					assert.NotContains(t, doc, base64.StdEncoding.EncodeToString([]byte(v)))
				}
			}
			for _, u := range objs.ofKind("ConfigMap") {
				cm := as[corev1.ConfigMap](t, u)
				for k, v := range cm.Data {
					for _, name := range secretEnv {
						assert.NotContains(t, v, name, "ConfigMap %s key %s mentions %s", cm.Name, k, name)
					}
				}
			}
			for _, d := range workloads(t, objs) {
				for _, c := range d.Spec.Template.Spec.Containers {
					env := envMap(c)
					for _, name := range secretEnv {
						e, ok := env[name]
						if !ok {
							continue
						}
						assert.Empty(t, e.Value, "%s/%s: %s is a literal", d.Name, c.Name, name)
						if assert.NotNil(t, e.ValueFrom, "%s/%s: %s", d.Name, c.Name, name) {
							assert.NotNil(t, e.ValueFrom.SecretKeyRef, "%s/%s: %s comes from a Secret", d.Name, c.Name, name)
						}
					}
					assert.Empty(t, c.EnvFrom, "%s/%s: envFrom would hide which variables are set", d.Name, c.Name)
				}
			}
		})
	}
	defaults, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	require.NoError(t, err)
	for _, name := range []string{"jwtSecret", "adminPass", "password:", "apiToken", "token:"} {
		assert.NotContains(t, string(defaults), name, "values.yaml must not have a field for a secret value")
	}
}

func mustYAML(t testing.TB, v any) string {
	t.Helper()
	b, err := yamlMarshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestSecretSources: generated by default, existingSecret otherwise; SportMonks only
// when a token Secret is named.
func TestSecretSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		values         string
		authSecret     string
		generated      bool
		sportmonksFrom string
	}{
		{name: "generated", values: "defaults", authSecret: "ft-auth", generated: true},
		{name: "existing", values: "existing-secret", authSecret: "football-tracker-auth", sportmonksFrom: "sportmonks/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, objs := mustRender(t, readValues(t, filepath.Join("testdata", "scenarios", tt.values+".yaml")))
			gw := envMap(as[appsv1.Deployment](t, objs.get("Deployment", "ft-gateway")).Spec.Template.Spec.Containers[0])
			for _, name := range []string{"JWT_SECRET", "ADMIN_USER", "ADMIN_PASS"} {
				assert.Equal(t, tt.authSecret, gw[name].ValueFrom.SecretKeyRef.Name, name)
				assert.Equal(t, name, gw[name].ValueFrom.SecretKeyRef.Key, name)
			}
			s := objs.get("Secret", "ft-auth")
			if !tt.generated {
				assert.Nil(t, s, "nothing generated when existingSecret is set")
			} else {
				sec := as[corev1.Secret](t, s)
				assert.GreaterOrEqual(t, len(sec.Data["JWT_SECRET"]), 32, "JWT_SECRET is at least 32 bytes")
				assert.GreaterOrEqual(t, len(sec.Data["ADMIN_PASS"]), 12, "ADMIN_PASS is at least 12 characters")
				assert.Equal(t, "admin", string(sec.Data["ADMIN_USER"]))
			}
			ad := envMap(as[appsv1.Deployment](t, objs.get("Deployment", "ft-provider-adapter")).Spec.Template.Spec.Containers[0])
			tok, ok := ad["SPORTMONKS_API_TOKEN"]
			if tt.sportmonksFrom == "" {
				assert.False(t, ok, "no token: SportMonks disabled")
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.sportmonksFrom, tok.ValueFrom.SecretKeyRef.Name+"/"+tok.ValueFrom.SecretKeyRef.Key)
		})
	}
}

// TestRedisModes: bundled Redis with a generated password, a managed Redis by URL, a
// Redis Cluster by address list; gateway and cache always get exactly one of them.
func TestRedisModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		values      string
		url, addrs  string
		passwordRef string
		bundled     bool
	}{
		{name: "bundled", values: "defaults", url: "redis://ft-redis:6379/0", passwordRef: "ft-redis/REDIS_PASSWORD", bundled: true},
		{name: "managed", values: "external-redis", url: "rediss://redis.example.internal:6380/0", passwordRef: "managed-redis/password"},
		{name: "cluster", values: "external-redis-cluster", addrs: "redis-0.redis:6379,redis-1.redis:6379,redis-2.redis:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, objs := mustRender(t, readValues(t, filepath.Join("testdata", "scenarios", tt.values+".yaml")))
			for _, svc := range []string{"ft-gateway", "ft-cache"} {
				env := envMap(as[appsv1.Deployment](t, objs.get("Deployment", svc)).Spec.Template.Spec.Containers[0])
				assert.Equal(t, tt.url, env["REDIS_URL"].Value, svc)
				assert.Equal(t, tt.addrs, env["REDIS_ADDRS"].Value, svc)
				pw, ok := env["REDIS_PASSWORD"]
				if tt.passwordRef == "" {
					assert.False(t, ok, svc)
					continue
				}
				require.True(t, ok, svc)
				assert.Equal(t, tt.passwordRef, pw.ValueFrom.SecretKeyRef.Name+"/"+pw.ValueFrom.SecretKeyRef.Key, svc)
			}
			assert.Equal(t, tt.bundled, objs.get("Deployment", "ft-redis") != nil, "bundled Redis Deployment")
			assert.Equal(t, tt.bundled, objs.get("Service", "ft-redis") != nil, "bundled Redis Service")
			assert.Equal(t, tt.bundled, objs.get("Secret", "ft-redis") != nil, "bundled Redis Secret")
		})
	}
}

// TestAutoscaling: HPA for gateway, cache and adapter (and no replicas field fighting
// it), PDBs; fixed replicas when the HPA is off.
func TestAutoscaling(t *testing.T) {
	t.Parallel()
	_, on := mustRender(t, nil)
	_, off := mustRender(t, readValues(t, filepath.Join("testdata", "scenarios", "hpa-off.yaml")))
	for _, name := range []string{"ft-gateway", "ft-cache", "ft-provider-adapter"} {
		assert.NotNil(t, on.get("HorizontalPodAutoscaler", name), name)
		assert.NotNil(t, on.get("PodDisruptionBudget", name), name)
		assert.Nil(t, as[appsv1.Deployment](t, on.get("Deployment", name)).Spec.Replicas, "%s: replicas left to the HPA", name)
		assert.Nil(t, off.get("HorizontalPodAutoscaler", name), name)
	}
	assert.Nil(t, on.get("HorizontalPodAutoscaler", "ft-controller"), "the controller is leader-elected, not scaled")
	assert.Equal(t, int32(3), *as[appsv1.Deployment](t, off.get("Deployment", "ft-gateway")).Spec.Replicas)
	assert.Nil(t, off.get("PodDisruptionBudget", "ft-gateway"))
	assert.NotNil(t, off.get("PodDisruptionBudget", "ft-cache"))
}

// TestIngress: class, host, TLS, pointing at the gateway Service; only under /api so
// /metrics and the probes stay inside the cluster.
func TestIngress(t *testing.T) {
	t.Parallel()
	_, off := mustRender(t, nil)
	assert.Empty(t, off.ofKind("Ingress"))
	_, objs := mustRender(t, readValues(t, filepath.Join("testdata", "scenarios", "ingress-tls.yaml")))
	ing := as[networkingv1.Ingress](t, objs.get("Ingress", "ft-gateway"))
	require.NotNil(t, ing.Spec.IngressClassName)
	assert.Equal(t, "nginx", *ing.Spec.IngressClassName)
	require.Len(t, ing.Spec.TLS, 1)
	assert.Equal(t, "football-tracker-tls", ing.Spec.TLS[0].SecretName)
	assert.Equal(t, []string{"api.football-tracker.example"}, ing.Spec.TLS[0].Hosts)
	require.Len(t, ing.Spec.Rules, 1)
	p := ing.Spec.Rules[0].HTTP.Paths[0]
	assert.Equal(t, "/api", p.Path)
	assert.Equal(t, "ft-gateway", p.Backend.Service.Name)
	assert.Equal(t, "http", p.Backend.Service.Port.Name)
	gw := envMap(as[appsv1.Deployment](t, objs.get("Deployment", "ft-gateway")).Spec.Template.Spec.Containers[0])
	assert.Equal(t, "chrome-extension://abcdefghijklmnopabcdefghijklmnop,https://app.football-tracker.example", gw["CORS_ALLOWED_ORIGINS"].Value)
}

// TestServiceMonitor renders only when asked, and then covers the four services.
func TestServiceMonitor(t *testing.T) {
	t.Parallel()
	vals := map[string]any{"serviceMonitor": map[string]any{"enabled": true, "labels": map[string]any{"release": "prometheus"}}}
	_, err := renderChart(t, vals)
	require.Error(t, err, "without the Prometheus Operator CRDs the chart says so")
	assert.Contains(t, err.Error(), "monitoring.coreos.com/v1")

	rel, err := renderChart(t, vals, "monitoring.coreos.com/v1")
	require.NoError(t, err)
	sm := parseManifest(t, rel.Manifest).get("ServiceMonitor", "ft")
	require.NotNil(t, sm)
	assert.Equal(t, "prometheus", sm.GetLabels()["release"])
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	var ports []string
	for _, e := range endpoints {
		ports = append(ports, e.(map[string]any)["port"].(string))
	}
	assert.ElementsMatch(t, []string{"http", "metrics"}, ports, "the three HTTP services and the controller")
}
