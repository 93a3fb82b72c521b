// Package adapter assembles the provider-adapter from its settings: the provider
// clients in order of preference, the failover set, the health components and the
// routes. main calls it; the tests call it the same way.
package adapter

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/telemetry"

	"github.com/football-tracker/backend/services/provider-adapter/internal/api"
	settings "github.com/football-tracker/backend/services/provider-adapter/internal/config"
	"github.com/football-tracker/backend/services/provider-adapter/internal/openligadb"
	"github.com/football-tracker/backend/services/provider-adapter/internal/providers"
	"github.com/football-tracker/backend/services/provider-adapter/internal/sportmonks"
	"github.com/football-tracker/backend/services/provider-adapter/internal/upstream"
)

// Deps are the runtime pieces the adapter plugs into.
type Deps struct {
	Logger   *slog.Logger
	Health   *health.Checker
	Registry prometheus.Registerer
	// HTTP makes the client for one provider; the default is the shared
	// instrumented client bounded by UPSTREAM_TIMEOUT.
	HTTP func(provider string) *http.Client
	// Now is the clock (tests pin it).
	Now func() time.Time
	// TracerProvider makes the upstream spans; the default is the global one.
	TracerProvider trace.TracerProvider
}

// Mount builds the providers from s and serves the API on app. s must have been
// validated (config.Load does it).
func Mount(app *fiber.App, s *settings.Settings, d Deps) (*providers.Set, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.HTTP == nil {
		d.HTTP = func(string) *http.Client {
			return telemetry.NewHTTPClient(telemetry.ClientOptions{Timeout: s.UpstreamTimeout})
		}
	}
	if d.TracerProvider == nil {
		d.TracerProvider = otel.GetTracerProvider()
	}
	tracer := d.TracerProvider.Tracer("github.com/football-tracker/backend/services/provider-adapter")
	metrics := upstream.NewMetrics(d.Registry)
	reg := s.Registry()

	var chain []providers.Provider
	if s.SportMonksToken != "" {
		sm, err := sportmonks.New(sportmonks.Config{
			BaseURL:  s.SportMonksBaseURL,
			Token:    s.SportMonksToken,
			HTTP:     upstream.New(upstream.Config{Provider: domain.ProviderSportMonks, HTTP: d.HTTP(domain.ProviderSportMonks), Metrics: metrics, Tracer: tracer}),
			Registry: reg,
			Logger:   d.Logger,
			Metrics:  d.Registry,
			Now:      d.Now,
		})
		if err != nil {
			return nil, err
		}
		chain = append(chain, sm)
	} else {
		d.Logger.Warn("SportMonks disabled: SPORTMONKS_API_TOKEN is not set; serving from OpenLigaDB only")
	}
	ol, err := openligadb.New(openligadb.Config{
		BaseURL:  s.OpenLigaDBBaseURL,
		HTTP:     upstream.New(upstream.Config{Provider: domain.ProviderOpenLigaDB, HTTP: d.HTTP(domain.ProviderOpenLigaDB), Metrics: metrics, Tracer: tracer}),
		Registry: reg,
		Logger:   d.Logger,
		Now:      d.Now,
	})
	if err != nil {
		return nil, err
	}
	chain = append(chain, ol)

	set := providers.New(providers.Config{
		Timeout:         s.UpstreamTimeout,
		Budget:          s.UpstreamBudget,
		BreakerFailures: s.BreakerFailures,
		BreakerOpen:     s.BreakerOpenDuration,
		Logger:          d.Logger,
		Registerer:      d.Registry,
		Metrics:         metrics,
	}, chain...)
	for _, name := range set.Names() {
		d.Health.Register(name, set.Check(name), health.Optional())
	}
	d.Health.Register("providers", set.Ready)

	api.Register(app, api.Config{
		Providers:     set,
		Registry:      reg,
		DefaultLeague: s.DefaultLeague,
		Logger:        d.Logger,
		Now:           d.Now,
	})
	return set, nil
}
