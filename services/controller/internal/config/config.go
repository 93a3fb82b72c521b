// Package config holds the controller's Settings, read once from the environment.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/limitconfig"
)

// ServiceAccountNamespaceFile is where a pod finds its own namespace.
const ServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// Settings is every variable the controller reads. The probe and metrics addresses are
// the defaults of the kubebuilder flags, which override them.
type Settings struct {
	WatchNamespace          string `env:"WATCH_NAMESPACE"`
	RateLimitConfigMap      string `env:"RATE_LIMIT_CONFIGMAP" envDefault:"football-tracker-rate-limits"`
	ClientCredentialsSecret string `env:"CLIENT_CREDENTIALS_SECRET" envDefault:"football-tracker-client-credentials"`
	TierDefaults            string `env:"TIER_DEFAULTS"`
	HealthProbeBindAddress  string `env:"HEALTH_PROBE_BIND_ADDRESS" envDefault:":8081"`
	MetricsBindAddress      string `env:"METRICS_BIND_ADDRESS" envDefault:":8080"`
	LogLevel                string `env:"LOG_LEVEL" envDefault:"info"`

	// namespaceFile is ServiceAccountNamespaceFile, replaced in tests.
	namespaceFile string
}

// Validate fills the namespace from the service account when it is not set and checks
// the object names, so that a typo stops the process instead of creating a ConfigMap
// no gateway mounts.
func (s *Settings) Validate() error {
	if s.WatchNamespace == "" {
		ns, err := ownNamespace(s.namespaceFile)
		if err != nil {
			return config.Invalid("WATCH_NAMESPACE", "is required outside a cluster (%v)", err)
		}
		s.WatchNamespace = ns
	}
	if errs := validation.IsDNS1123Label(s.WatchNamespace); len(errs) > 0 {
		return config.Invalid("WATCH_NAMESPACE", "%q is not a namespace name: %s", s.WatchNamespace, strings.Join(errs, "; "))
	}
	for name, v := range map[string]string{"RATE_LIMIT_CONFIGMAP": s.RateLimitConfigMap, "CLIENT_CREDENTIALS_SECRET": s.ClientCredentialsSecret} {
		if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
			return config.Invalid(name, "%q is not an object name: %s", v, strings.Join(errs, "; "))
		}
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return config.Invalid("LOG_LEVEL", "must be one of debug, info, warn, error, got %q", s.LogLevel)
	}
	if s.TierDefaults != "" {
		if _, err := s.Tiers(); err != nil {
			return err
		}
	}
	return nil
}

// Tiers reads the tier defaults: the built-in ones, or those of the TIER_DEFAULTS file.
// The file is in the rate-limit file's format with only its `tiers:` block; tiers it
// leaves out keep the built-in defaults.
func (s *Settings) Tiers() (limitconfig.Config, error) {
	if s.TierDefaults == "" {
		return limitconfig.Defaults(), nil
	}
	raw, err := os.ReadFile(s.TierDefaults)
	if err != nil {
		return limitconfig.Config{}, config.Invalid("TIER_DEFAULTS", "cannot read the file: %v", err)
	}
	c, err := limitconfig.Parse(raw)
	if err != nil {
		return limitconfig.Config{}, config.Invalid("TIER_DEFAULTS", "%v", err)
	}
	if len(c.Clients) > 0 {
		return limitconfig.Config{}, config.Invalid("TIER_DEFAULTS", "must hold only tiers; clients come from ApiClient objects")
	}
	return c, nil
}

func ownNamespace(file string) (string, error) {
	if file == "" {
		file = ServiceAccountNamespaceFile
	}
	raw, err := os.ReadFile(file) //nolint:gosec // the service-account file, or a test's
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no service-account namespace file %s", file)
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", file, err)
	}
	ns := strings.TrimSpace(string(raw))
	if ns == "" {
		return "", fmt.Errorf("%s is empty", file)
	}
	return ns, nil
}
