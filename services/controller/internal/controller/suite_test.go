package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/football-tracker/backend/pkg/limitconfig"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

// The suite runs against a real kube-apiserver and etcd (KUBEBUILDER_ASSETS, built by
// hack/envtest-assets.sh) with the CRD generated into manifests/crd, so the API
// server's validation under test is exactly the one a cluster gets.

const (
	waitFor = 20 * time.Second
	tick    = 50 * time.Millisecond
)

var (
	scheme     = runtime.NewScheme()
	restConfig *rest.Config
	// kubeconfig is a kubeconfig file's content for the envtest API server.
	kubeconfig []byte
	// noAPIServer says why the suite has no API server; empty when it has one.
	noAPIServer string
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	// The controller's logs go to stderr, which `go test` shows only for a failure or -v.
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true)))
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), gatewayv1alpha1.AddToScheme(scheme)); err != nil {
		fmt.Fprintln(os.Stderr, "building scheme:", err)
		return 1
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv("REQUIRE_REAL_DEPS") == "1" {
			fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set but REQUIRE_REAL_DEPS=1: run `make envtest` and export the folder it prints")
			return 1
		}
		noAPIServer = "KUBEBUILDER_ASSETS is not set (run `make envtest` and export the folder it prints)"
		return m.Run()
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "..", "..", "manifests", "crd")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the envtest API server:", err)
		return 1
	}
	restConfig, kubeconfig = cfg, env.KubeConfig
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the envtest API server:", err)
	}
	return code
}

// requireAPIServer skips a test without an API server, or fails it when real
// dependencies are required (TestMain has already failed the run then).
func requireAPIServer(t *testing.T) {
	t.Helper()
	if noAPIServer != "" {
		t.Skip(noAPIServer)
	}
}

var nsCounter atomic.Int64

// newNamespace creates a namespace of its own for a test, so tests run in parallel
// against one API server. envtest never finishes deleting namespaces, so they are left.
func newNamespace(t *testing.T, c client.Client) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsCounter.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	require.NoError(t, c.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}))
	return name
}

func newClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(restConfig, client.Options{Scheme: scheme})
	require.NoError(t, err)
	return c
}

// harness is a controller running in a namespace of its own, and a direct (uncached)
// client for the test's reads and writes.
type harness struct {
	c  client.Client
	ns string
	r  *ApiClientReconciler
}

const (
	configMapName = "football-tracker-rate-limits"
	secretName    = "football-tracker-client-credentials"
)

type harnessOption func(*ApiClientReconciler)

func withTiers(c limitconfig.Config) harnessOption {
	return func(r *ApiClientReconciler) { r.Tiers = c }
}

// startController runs a manager with the ApiClient controller for a fresh namespace
// until the test ends.
func startController(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	requireAPIServer(t)
	c := newClient(t)
	ns := newNamespace(t, c)
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Every test runs its own manager in this process.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	require.NoError(t, err)
	r := &ApiClientReconciler{
		Client:        mgr.GetClient(),
		Namespace:     ns,
		ConfigMapName: configMapName,
		SecretName:    secretName,
		Tiers:         limitconfig.Defaults(),
		// The cheapest cost keeps the suite quick under -race; the process test uses the default.
		BcryptCost: bcrypt.MinCost,
	}
	for _, o := range opts {
		o(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.SetupWithManager(ctx, mgr))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "manager stopped with an error")
		case <-time.After(30 * time.Second):
			t.Error("manager did not stop within 30s")
		}
	})
	return &harness{c: c, ns: ns, r: r}
}

// snapshot is what the gateway would see, plus the ApiClients' statuses.
type snapshot struct {
	configMap   *corev1.ConfigMap
	secret      *corev1.Secret
	limits      limitconfig.Config
	credentials limitconfig.Credentials
	clients     map[string]gatewayv1alpha1.ApiClient
}

// eventually polls until check passes on a snapshot, or fails the test after waitFor.
func (h *harness) eventually(t *testing.T, check func(c *assert.CollectT, s snapshot)) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		s, err := h.snapshot(t.Context())
		if !assert.NoError(c, err) {
			return
		}
		check(c, s)
	}, waitFor, tick)
}

func (h *harness) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{configMap: &corev1.ConfigMap{}, secret: &corev1.Secret{}, clients: map[string]gatewayv1alpha1.ApiClient{}}
	// Statuses first: the controller writes a status after the render it describes, so
	// rendered objects read afterwards are at least as new as the statuses.
	var list gatewayv1alpha1.ApiClientList
	if err := h.c.List(ctx, &list, client.InNamespace(h.ns)); err != nil {
		return s, err
	}
	for _, ac := range list.Items {
		s.clients[ac.Name] = ac
	}
	if err := h.c.Get(ctx, types.NamespacedName{Namespace: h.ns, Name: configMapName}, s.configMap); err != nil {
		return s, err
	}
	if err := h.c.Get(ctx, types.NamespacedName{Namespace: h.ns, Name: secretName}, s.secret); err != nil {
		return s, err
	}
	var err error
	if s.limits, err = limitconfig.Parse([]byte(s.configMap.Data[RateLimitsKey])); err != nil {
		return s, err
	}
	if s.credentials, err = limitconfig.ParseCredentials(s.secret.Data[CredentialsKey]); err != nil {
		return s, err
	}
	return s, nil
}

// ready returns the Ready condition of a client in the snapshot, nil when absent.
func (s snapshot) ready(name string) *metav1.Condition {
	ac, ok := s.clients[name]
	if !ok {
		return nil
	}
	for i := range ac.Status.Conditions {
		if ac.Status.Conditions[i].Type == gatewayv1alpha1.ConditionReady {
			return &ac.Status.Conditions[i]
		}
	}
	return nil
}

// assertReady checks the status of a client: condition, reason, and that it describes
// the current generation.
func assertReady(c *assert.CollectT, s snapshot, name string, status metav1.ConditionStatus, reason string) {
	cond := s.ready(name)
	if !assert.NotNil(c, cond, "%s has no Ready condition", name) {
		return
	}
	assert.Equal(c, status, cond.Status, "%s Ready", name)
	assert.Equal(c, reason, cond.Reason, "%s reason", name)
	ac := s.clients[name]
	assert.Equal(c, ac.Generation, ac.Status.ObservedGeneration, "%s observedGeneration", name)
	assert.Equal(c, ac.Generation, cond.ObservedGeneration, "%s condition observedGeneration", name)
}

// assertPassword checks the rendered hash of a client verifies the password.
func assertPassword(c *assert.CollectT, s snapshot, name, password string) {
	h, ok := s.credentials[name]
	if assert.True(c, ok, "%s has no credentials", name) {
		assert.NoError(c, bcrypt.CompareHashAndPassword([]byte(h), []byte(password)), "%s hash does not verify the password", name)
	}
}

func passwordSecret(ns, name, key, password string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Data:       map[string][]byte{key: []byte(password)},
	}
}

func apiClient(ns, name string, spec gatewayv1alpha1.ApiClientSpec) *gatewayv1alpha1.ApiClient {
	return &gatewayv1alpha1.ApiClient{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
}

func secretRef(name string) *gatewayv1alpha1.SecretKeyRef {
	return &gatewayv1alpha1.SecretKeyRef{Name: name, Key: "password"}
}

// update re-reads obj and applies mutate, again when the write conflicts with the
// controller's own writes.
func update[T client.Object](t *testing.T, c client.Client, obj T, mutate func(T)) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		require.NoError(t, c.Get(t.Context(), client.ObjectKeyFromObject(obj), obj))
		mutate(obj)
		err := c.Update(t.Context(), obj)
		if apierrors.IsConflict(err) && attempt < 20 {
			continue
		}
		require.NoError(t, err)
		return
	}
}
