package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// controlPlane is one real kube-apiserver + etcd (envtest) shared by the tests of this
// package, started on first use and stopped by TestMain.
type controlPlane struct {
	env        *envtest.Environment
	cfg        *rest.Config
	kubeconfig string
	client     client.Client
	clientset  *kubernetes.Clientset
}

var (
	planeOnce sync.Once
	plane     *controlPlane
	planeErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if plane != nil {
		if err := plane.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
		_ = os.RemoveAll(filepath.Dir(plane.kubeconfig))
	}
	os.Exit(code)
}

// apiServer returns the shared control plane. Without KUBEBUILDER_ASSETS the test is
// skipped, or fails under REQUIRE_REAL_DEPS=1 (make test), where a skip would hide that
// the chart was never installed anywhere.
func apiServer(t *testing.T) *controlPlane {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		msg := "KUBEBUILDER_ASSETS is not set: run hack/envtest-assets.sh and export its output (make test does)"
		if os.Getenv("REQUIRE_REAL_DEPS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	planeOnce.Do(func() { plane, planeErr = startControlPlane() })
	require.NoError(t, planeErr, "starting the envtest API server")
	return plane
}

func startControlPlane() (*controlPlane, error) {
	env := &envtest.Environment{ErrorIfCRDPathMissing: false}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	p := &controlPlane{env: env, cfg: cfg}
	fail := func(err error) (*controlPlane, error) {
		_ = env.Stop()
		return nil, err
	}
	// Helm talks to the cluster through a kubeconfig, like the CLI; an admin user in
	// system:masters plays the platform engineer running `helm install`.
	admin, err := env.AddUser(envtest.User{Name: "platform-engineer", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fail(fmt.Errorf("adding user: %w", err))
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		return fail(fmt.Errorf("writing kubeconfig: %w", err))
	}
	dir, err := os.MkdirTemp("", "chart-tests-")
	if err != nil {
		return fail(err)
	}
	p.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(p.kubeconfig, kc, 0o600); err != nil {
		return fail(err)
	}
	if p.client, err = client.New(cfg, client.Options{}); err != nil {
		return fail(fmt.Errorf("creating client: %w", err))
	}
	if p.clientset, err = kubernetes.NewForConfig(cfg); err != nil {
		return fail(fmt.Errorf("creating clientset: %w", err))
	}
	return p, nil
}

// restGetter points helm at the control plane and a namespace.
func (p *controlPlane) restGetter(ns string) genericclioptions.RESTClientGetter {
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &p.kubeconfig
	flags.Namespace = &ns
	return flags
}
