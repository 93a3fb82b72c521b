// Command controller reconciles ApiClient resources into the gateway's rate-limit and
// client-credential configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	pkgconfig "github.com/football-tracker/backend/pkg/config"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
	"github.com/football-tracker/backend/services/controller/internal/config"
	"github.com/football-tracker/backend/services/controller/internal/controller"
)

// Leader election holds a Lease in the watched namespace and records its changes as Events.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

func main() {
	var (
		metricsAddr string
		probeAddr   string
		leaderElect bool
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", "", "address the metrics endpoint binds to, 0 disables it (default METRICS_BIND_ADDRESS or :8080)")
	flag.StringVar(&probeAddr, "health-probe-bind-address", "", "address the probe endpoint binds to (default HEALTH_PROBE_BIND_ADDRESS or :8081)")
	flag.BoolVar(&leaderElect, "leader-elect", false, "enable leader election so only one replica reconciles")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()

	var s config.Settings
	pkgconfig.MustLoad("controller", &s)
	if metricsAddr == "" {
		metricsAddr = s.MetricsBindAddress
	}
	if probeAddr == "" {
		probeAddr = s.HealthProbeBindAddress
	}
	if opts.Level == nil {
		opts.Level = logLevel(s.LogLevel)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")
	tiers, err := s.Tiers()
	if err != nil {
		pkgconfig.Exit(os.Stderr, "controller", err)
	}

	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), gatewayv1alpha1.AddToScheme(scheme)); err != nil {
		log.Error(err, "building scheme")
		os.Exit(1)
	}
	restConfig, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "finding the cluster (in-cluster, KUBECONFIG or --kubeconfig)")
		os.Exit(1)
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cache.Options{DefaultNamespaces: map[string]cache.Config{s.WatchNamespace: {}}},
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        "football-tracker-controller.gateway.footballtracker.dev",
		LeaderElectionNamespace: s.WatchNamespace,
		// The next leader starts at once on SIGTERM instead of waiting for the lease.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		log.Error(err, "creating manager")
		os.Exit(1)
	}
	ctx := ctrl.SetupSignalHandler()
	r := &controller.ApiClientReconciler{
		Client:        mgr.GetClient(),
		Namespace:     s.WatchNamespace,
		ConfigMapName: s.RateLimitConfigMap,
		SecretName:    s.ClientCredentialsSecret,
		Tiers:         tiers,
	}
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		log.Error(err, "setting up the ApiClient controller")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "adding health check")
		os.Exit(1)
	}
	// Ready once the informers have synced: before that a render would see no clients.
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("informer caches not synced")
		}
		return nil
	}); err != nil {
		log.Error(err, "adding ready check")
		os.Exit(1)
	}
	log.Info("starting manager", "namespace", s.WatchNamespace, "configMap", s.RateLimitConfigMap,
		"secret", s.ClientCredentialsSecret, "leaderElection", leaderElect)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "running manager")
		os.Exit(1)
	}
}

func logLevel(level string) zapcore.Level {
	switch level {
	case "debug":
		return zapcore.DebugLevel
	case "warn":
		return zapcore.WarnLevel
	case "error":
		return zapcore.ErrorLevel
	default:
		return zapcore.InfoLevel
	}
}
