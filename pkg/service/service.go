// Package service wires what every HTTP service does the same way at start and stop:
// logger, telemetry, health, metrics, the fiber app and the graceful run. A service's
// main loads its Settings, calls Init, adds its routes and calls Run.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/logging"
	"github.com/football-tracker/backend/pkg/metrics"
	"github.com/football-tracker/backend/pkg/telemetry"
)

// Runtime is what a service's own code receives from the platform.
type Runtime struct {
	Name     string
	Server   config.Server
	Logger   *slog.Logger
	Health   *health.Checker
	Registry *prometheus.Registry

	logOut   *logging.BufferedWriter
	shutdown []func(ctx context.Context) error
}

// Log lines reach stdout in batches: at most logFlushInterval late, and always before
// the process exits.
const (
	logBufferSize    = 64 << 10
	logFlushInterval = 100 * time.Millisecond
)

// Init builds the logger (redacting secrets), installs telemetry and returns the
// runtime. secrets are the values this service must never log.
func Init(ctx context.Context, name string, srv config.Server, secrets ...string) (*Runtime, error) {
	level, err := logging.ParseLevel(srv.LogLevel)
	if err != nil {
		return nil, err
	}
	out := logging.NewBufferedWriter(os.Stdout, logBufferSize, logFlushInterval)
	log := logging.New(out, logging.Options{Service: name, Version: srv.Version, Level: level, Secrets: secrets})
	slog.SetDefault(log)
	shutdownTelemetry, err := telemetry.Setup(ctx, telemetry.Options{ServiceName: name, Version: srv.Version})
	if err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("setting up telemetry: %w", err)
	}
	rt := &Runtime{
		logOut:   out,
		Name:     name,
		Server:   srv,
		Logger:   log,
		Health:   health.New(0),
		Registry: metrics.NewRegistry(),
	}
	rt.OnShutdown(func(ctx context.Context) error {
		if err := shutdownTelemetry(ctx); err != nil {
			return fmt.Errorf("flushing telemetry: %w", err)
		}
		return nil
	})
	return rt, nil
}

// OnShutdown registers f to run after the server has drained, in reverse order of
// registration (like defer), so clients close before telemetry flushes.
func (r *Runtime) OnShutdown(f func(ctx context.Context) error) {
	r.shutdown = append([]func(ctx context.Context) error{f}, r.shutdown...)
}

// NewApp returns the service's fiber app with the shared middleware and probes.
func (r *Runtime) NewApp(cfg httpserver.Config) *fiber.App {
	cfg.Service = r.Name
	cfg.Logger = r.Logger
	cfg.Health = r.Health
	cfg.Registry = r.Registry
	return httpserver.New(cfg)
}

// Run serves app until SIGTERM and shuts down gracefully; every log line is written out
// before it returns.
func (r *Runtime) Run(ctx context.Context, app *fiber.App) error {
	defer func() { _ = r.logOut.Close() }()
	return httpserver.Run(ctx, app, httpserver.RunConfig{
		Addr:            httpserver.Addr(r.Server.Port),
		Logger:          r.Logger,
		Health:          r.Health,
		ShutdownTimeout: r.Server.ShutdownTimeout,
		DrainDelay:      r.Server.DrainDelay,
		OnShutdown:      r.shutdown,
	})
}

// Fatal logs err and exits non-zero; for main after the logger exists.
func (r *Runtime) Fatal(err error) {
	r.Logger.Error("fatal", slog.Any("error", err))
	_ = r.logOut.Close()
	os.Exit(1)
}
