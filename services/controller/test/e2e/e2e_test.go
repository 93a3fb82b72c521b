// Package e2e runs the controller binary against a real API server, with only the
// RBAC it ships, and a real gateway process reading what it renders, projected into
// directories the way the kubelet projects a mounted ConfigMap and Secret.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/redistest"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

const (
	waitFor       = 30 * time.Second
	tick          = 100 * time.Millisecond
	configMapName = "football-tracker-rate-limits"
	secretName    = "football-tracker-client-credentials"
	password      = "mobile-app-secret-1"
)

// cluster is an envtest API server with the generated CRD, a namespace, and a
// kubeconfig for a user holding only the generated RBAC in that namespace.
type cluster struct {
	admin      client.Client
	ns         string
	kubeconfig string
}

func init() {
	// The API server's client logs nothing the test needs; the controller's own logs
	// come from its process.
	logf.SetLogger(logr.Discard())
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv("REQUIRE_REAL_DEPS") == "1" {
			t.Fatal("KUBEBUILDER_ASSETS is not set but REQUIRE_REAL_DEPS=1: run `make envtest` and export the folder it prints")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set (run `make envtest` and export the folder it prints)")
	}
	root := proctest.RepoRoot(t)
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "manifests", "crd")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, env.Stop()) })

	scheme := runtime.NewScheme()
	require.NoError(t, errors.Join(clientgoscheme.AddToScheme(scheme), gatewayv1alpha1.AddToScheme(scheme)))
	admin, err := client.New(cfg, client.Options{Scheme: scheme})
	require.NoError(t, err)
	ctx := t.Context()
	ns := "football-tracker"
	require.NoError(t, admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))

	// The controller runs as a user bound, in its namespace only, to the ClusterRole
	// generated from the RBAC markers: a missing rule fails this test.
	raw, err := os.ReadFile(filepath.Join(root, "manifests", "rbac", "role.yaml"))
	require.NoError(t, err)
	var role rbacv1.ClusterRole
	require.NoError(t, yaml.UnmarshalStrict(raw, &role))
	require.NoError(t, admin.Create(ctx, &role))
	const userName = "football-tracker-controller"
	user, err := env.AddUser(envtest.User{Name: userName}, cfg)
	require.NoError(t, err)
	require.NoError(t, admin.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "football-tracker-controller", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: userName}},
	}))
	kc, err := user.KubeConfig()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, kc, 0o600))
	return &cluster{admin: admin, ns: ns, kubeconfig: path}
}

// startController runs the controller binary with leader election, as the chart does.
// It returns the process (its Port is the probe port) and the metrics address.
func startController(t *testing.T, c *cluster) (*proctest.Process, string) {
	t.Helper()
	probe, metrics := proctest.FreePort(t), proctest.FreePort(t)
	p := proctest.Start(t, "controller", proctest.Options{
		NoPort: true,
		Args:   []string{"--leader-elect"},
		Env: map[string]string{
			"KUBECONFIG":                c.kubeconfig,
			"WATCH_NAMESPACE":           c.ns,
			"HEALTH_PROBE_BIND_ADDRESS": "127.0.0.1:" + strconv.Itoa(probe),
			"METRICS_BIND_ADDRESS":      "127.0.0.1:" + strconv.Itoa(metrics),
		},
	})
	p.Port = probe
	p.WaitReady("/readyz", waitFor)
	p.WaitReady("/healthz", time.Second)
	t.Cleanup(func() {
		// The generated RBAC covers everything the controller does, leader election included.
		assert.NotContains(t, p.Stdout()+p.Stderr(), "forbidden", "the controller hit an RBAC denial")
	})
	return p, "127.0.0.1:" + strconv.Itoa(metrics)
}

// TestControllerProcess: the binary refuses to start without a namespace outside a
// cluster, and with one serves its probes and metrics.
func TestControllerProcess(t *testing.T) {
	t.Run("no WATCH_NAMESPACE outside a cluster", func(t *testing.T) {
		t.Parallel()
		p := proctest.Start(t, "controller", proctest.Options{NoPort: true, Env: map[string]string{"KUBECONFIG": "/nonexistent"}})
		code, err := p.Wait(waitFor)
		require.NoError(t, err)
		assert.NotZero(t, code)
		assert.Contains(t, p.Stderr(), "WATCH_NAMESPACE")
	})

	t.Run("probes and metrics", func(t *testing.T) {
		t.Parallel()
		c := startCluster(t)
		p, metricsAddr := startController(t, c)
		metricsURL := "http://" + metricsAddr + "/metrics"
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			body, status := get(ct, metricsURL)
			assert.Equal(ct, http.StatusOK, status)
			assert.Contains(ct, body, `football_tracker_controller_render_writes_total{object="configmap",result="created"} 1`)
			assert.Contains(ct, body, "controller_runtime_reconcile_total")
		}, waitFor, tick)
		p.Signal(15)
		code, err := p.Wait(waitFor)
		require.NoError(t, err)
		assert.Zero(t, code, "SIGTERM is a clean shutdown")
	})
}

// TestGatewayPicksUpApiClients: a client created as an ApiClient logs in at a running
// gateway and gets its limit; a limit change reaches the same gateway process; nothing
// restarts.
func TestGatewayPicksUpApiClients(t *testing.T) {
	c := startCluster(t)
	ctrlProc, _ := startController(t, c)
	ctx := t.Context()

	limitsDir, credsDir := t.TempDir(), t.TempDir()
	proj := &projector{t: t, c: c}
	// The controller renders the ConfigMap and Secret before any client exists, so the
	// gateway's volumes can be mounted from the start.
	proj.sync(limitsDir, credsDir, func(rl, cr string) bool { return strings.Contains(rl, "tiers:") })

	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v1/leagues" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Cache", "HIT")
			_, _ = io.WriteString(w, "[]")
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(upstream.Close)
	redis := redistest.Start(t)
	gw := proctest.Start(t, "gateway", proctest.Options{Env: map[string]string{
		"REDIS_URL":          redis.URL(),
		"JWT_SECRET":         "an-end-to-end-test-secret-of-at-least-32-bytes",
		"ADMIN_USER":         "admin",
		"ADMIN_PASS":         "an-admin-password",
		"CACHE_URL":          upstream.URL,
		"ADAPTER_URL":        upstream.URL,
		"RATE_LIMIT_CONFIG":  filepath.Join(limitsDir, "ratelimits.yaml"),
		"CLIENT_CREDENTIALS": filepath.Join(credsDir, "credentials.yaml"),
	}})
	gw.WaitReady("/readyz", waitFor)
	pid := gw.Pid()

	status, _ := login(t, gw, "mobile-app", password)
	require.Equal(t, http.StatusUnauthorized, status, "no such client yet")

	require.NoError(t, c.admin.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "mobile-app-password", Namespace: c.ns},
		Data:       map[string][]byte{"password": []byte(password)},
	}))
	ac := &gatewayv1alpha1.ApiClient{
		ObjectMeta: metav1.ObjectMeta{Name: "mobile-app", Namespace: c.ns},
		Spec: gatewayv1alpha1.ApiClientSpec{
			Tier:                 gatewayv1alpha1.TierUser,
			Limits:               &gatewayv1alpha1.Limits{PerMinute: ptr.To[int32](7)},
			CredentialsSecretRef: &gatewayv1alpha1.SecretKeyRef{Name: "mobile-app-password", Key: "password"},
		},
	}
	require.NoError(t, c.admin.Create(ctx, ac))
	// A second client on its tier's defaults: admin, 200 per minute.
	require.NoError(t, c.admin.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "partner-portal-password", Namespace: c.ns},
		Data:       map[string][]byte{"pw": []byte(password + "-partner")},
	}))
	require.NoError(t, c.admin.Create(ctx, &gatewayv1alpha1.ApiClient{
		ObjectMeta: metav1.ObjectMeta{Name: "partner-portal", Namespace: c.ns},
		Spec: gatewayv1alpha1.ApiClientSpec{
			Tier:                 gatewayv1alpha1.TierAdmin,
			CredentialsSecretRef: &gatewayv1alpha1.SecretKeyRef{Name: "partner-portal-password", Key: "pw"},
		},
	}))
	proj.sync(limitsDir, credsDir, func(rl, cr string) bool {
		return strings.Contains(rl, "mobile-app:") && strings.Contains(cr, "mobile-app:") && strings.Contains(cr, "partner-portal:")
	})

	var token string
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		status, tok := login(t, gw, "mobile-app", password)
		if assert.Equal(ct, http.StatusOK, status, "login of the new client") {
			token = tok
		}
	}, waitFor, tick)
	assert.Equal(t, "7", rateLimitOf(t, gw, token), "the client's own per-minute limit")
	status, partnerToken := login(t, gw, "partner-portal", password+"-partner")
	require.Equal(t, http.StatusOK, status, "login of the admin-tier client")
	assert.Equal(t, "200", rateLimitOf(t, gw, partnerToken), "the admin tier's per-minute limit")
	status, _ = login(t, gw, "partner-portal", password)
	assert.Equal(t, http.StatusUnauthorized, status, "a wrong password is refused")

	update := ac.DeepCopy()
	require.NoError(t, c.admin.Get(ctx, client.ObjectKeyFromObject(ac), update))
	update.Spec.Limits.PerMinute = ptr.To[int32](9)
	require.NoError(t, c.admin.Update(ctx, update))
	proj.sync(limitsDir, credsDir, func(rl, cr string) bool { return strings.Contains(rl, "perMinute: 9") })
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		assert.Equal(ct, "9", rateLimitOf(t, gw, token))
	}, waitFor, tick)

	assert.False(t, gw.Exited(), "the gateway kept running")
	assert.Equal(t, pid, gw.Pid())
	// The gateway's log lines reach stdout in batches (at most 100 ms late).
	require.Eventually(t, func() bool { return strings.Contains(gw.Stdout(), "config reloaded") },
		waitFor, tick, "the gateway logged no reload")
	assert.Contains(t, ctrlProc.Stderr()+ctrlProc.Stdout(), "Successfully acquired lease", "the controller led")
}

// projector copies the rendered objects into directories exactly as the kubelet
// projects a ConfigMap or Secret volume: the files live in a timestamped directory,
// `..data` points at it, each key is a symlink through `..data`, and an update writes
// a new directory and swaps `..data` with one rename.
type projector struct {
	t *testing.T
	c *cluster
}

// sync waits until the rendered objects satisfy ready, then projects both.
func (p *projector) sync(limitsDir, credsDir string, ready func(rateLimits, credentials string) bool) {
	p.t.Helper()
	var rl, cr string
	require.EventuallyWithT(p.t, func(ct *assert.CollectT) {
		var cm corev1.ConfigMap
		var sec corev1.Secret
		if !assert.NoError(ct, p.c.admin.Get(p.t.Context(), types.NamespacedName{Namespace: p.c.ns, Name: configMapName}, &cm)) ||
			!assert.NoError(ct, p.c.admin.Get(p.t.Context(), types.NamespacedName{Namespace: p.c.ns, Name: secretName}, &sec)) {
			return
		}
		rl, cr = cm.Data["ratelimits.yaml"], string(sec.Data["credentials.yaml"])
		assert.True(ct, ready(rl, cr), "rendered objects not there yet:\n%s\n%s", rl, cr)
	}, waitFor, tick)
	project(p.t, limitsDir, map[string]string{"ratelimits.yaml": rl})
	project(p.t, credsDir, map[string]string{"credentials.yaml": cr})
}

func project(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	ts := time.Now().UTC().Format("..2006_01_02_15_04_05.000000000")
	require.NoError(t, os.Mkdir(filepath.Join(dir, ts), 0o755))
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ts, name), []byte(content), 0o644))
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	require.NoError(t, os.Symlink(ts, tmp))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "..data")))
	for name := range files {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); errors.Is(err, os.ErrNotExist) {
			require.NoError(t, os.Symlink(filepath.Join("..data", name), link))
		}
	}
	if old != "" {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, old)))
	}
}

func login(t *testing.T, gw *proctest.Process, user, pass string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.URL()+"/api/v1/auth/login", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var env struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&env)
	return resp.StatusCode, env.Data.Token
}

// rateLimitOf returns the RateLimit-Limit header of a data request with the token.
func rateLimitOf(t *testing.T, gw *proctest.Process, token string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, gw.URL()+"/api/v1/leagues", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return resp.Header.Get("RateLimit-Limit")
}

func get(ct *assert.CollectT, url string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if !assert.NoError(ct, err) {
		return "", 0
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}
