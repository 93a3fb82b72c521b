// Package httpserver builds the fiber app every HTTP service runs, with the same
// middleware chain (tracing, access log, metrics, panic recovery, envelope errors) and
// probes, and runs it with graceful shutdown.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/metrics"
	"github.com/football-tracker/backend/pkg/telemetry"
)

// Config describes one service's server.
type Config struct {
	Service  string
	Logger   *slog.Logger
	Health   *health.Checker
	Registry *prometheus.Registry
	// BodyLimit caps request bodies; larger ones get PAYLOAD_TOO_LARGE.
	BodyLimit int
	// ClientIP names the client in the access log; the default is the socket address.
	// The gateway passes its own resolver, which believes X-Forwarded-For only from
	// TRUSTED_PROXIES and reads it from the right: one place decides who the client is.
	ClientIP func(c *fiber.Ctx) string
	// ReadTimeout and WriteTimeout bound slow clients.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// New returns an app with probes and metrics mounted and the shared middleware in place.
// Routes added afterwards are served behind it.
func New(cfg Config) *fiber.App {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Health == nil {
		cfg.Health = health.New(time.Second)
	}
	if cfg.Registry == nil {
		cfg.Registry = metrics.NewRegistry()
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 64 << 10
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 15 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	errorHandler := ErrorHandler(cfg.Logger)
	app := fiber.New(fiber.Config{
		AppName:               cfg.Service,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler,
		BodyLimit:             cfg.BodyLimit,
		// Request line plus headers; a longer one is refused with VALIDATION_ERROR. 8 KiB
		// fits a bearer token, cookies and any valid query of the API with room to spare.
		ReadBufferSize: 8192,
		ReadTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		IdleTimeout:    2 * time.Minute,
	})
	httpMetrics := metrics.NewHTTP(cfg.Registry)
	app.Use(closeWhenDraining(cfg.Health))
	app.Use(telemetry.FiberMiddleware())
	clientIP := cfg.ClientIP
	if clientIP == nil {
		clientIP = func(c *fiber.Ctx) string { return c.IP() }
	}
	app.Use(accessLog(cfg.Logger, httpMetrics, errorHandler, clientIP))
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		cfg.Logger.ErrorContext(c.UserContext(), "panic recovered", slog.String("route", c.Route().Path), slog.Any("panic", fmt.Sprint(e)))
	}}))
	app.Get("/healthz", cfg.Health.Live)
	app.Get("/readyz", cfg.Health.Ready)
	app.Get("/metrics", metrics.Handler(cfg.Registry))
	return app
}

// closeWhenDraining answers with Connection: close once shutdown has begun, so every
// keep-alive client opens its next request on a new connection (to another instance)
// instead of racing the listener's close on an idle one and seeing a reset.
func closeWhenDraining(h *health.Checker) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if h.ShuttingDown() {
			c.Context().SetConnectionClose()
		}
		return c.Next()
	}
}

// ErrorHandler writes every error as the failure envelope. Unknown errors are logged
// with their detail and answered as INTERNAL_ERROR without it.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		e := envelope.From(err)
		if e.Code == envelope.CodeInternal {
			log.ErrorContext(c.UserContext(), "request failed", slog.String("route", c.Route().Path), slog.Any("error", err))
		}
		return envelope.Fail(c, e)
	}
}

// LogAttrsKey is the c.Locals key under which handlers leave extra access-log
// attributes (the gateway adds sub and the rate-limit decision).
const LogAttrsKey = "httpserver.logattrs"

// AddLogAttrs adds attributes to this request's access-log line.
func AddLogAttrs(c *fiber.Ctx, attrs ...slog.Attr) {
	prev, _ := c.Locals(LogAttrsKey).([]slog.Attr)
	c.Locals(LogAttrsKey, append(prev, attrs...))
}

func accessLog(log *slog.Logger, m *metrics.HTTP, errorHandler fiber.ErrorHandler, clientIP func(*fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Write the error now so the line below logs the status the client gets.
			if herr := errorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		path := c.Path()
		if telemetry.IsProbe(path) {
			return nil
		}
		elapsed := time.Since(start)
		status := c.Response().StatusCode()
		route := c.Route().Path
		// fiber reuses the request's buffers; metric labels outlive the request.
		method := strings.Clone(c.Method())
		m.Observe(method, route, status, elapsed)
		attrs := []slog.Attr{
			slog.String("method", method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("client_ip", clientIP(c)),
		}
		if extra, ok := c.Locals(LogAttrsKey).([]slog.Attr); ok {
			attrs = append(attrs, extra...)
		}
		log.LogAttrs(c.UserContext(), slog.LevelInfo, "request", attrs...)
		return nil
	}
}

// RunConfig configures Run.
type RunConfig struct {
	Addr            string
	Logger          *slog.Logger
	Health          *health.Checker
	ShutdownTimeout time.Duration
	// DrainDelay is how long readiness stays false before the listener closes, so load
	// balancers stop routing to this instance first.
	DrainDelay time.Duration
	// OnShutdown runs after the server has drained (flush telemetry, close clients).
	OnShutdown []func(ctx context.Context) error
	// Listener is used instead of listening on Addr (tests).
	Listener net.Listener
}

// Run serves app until ctx is cancelled or SIGTERM/SIGINT arrives, then flips
// readiness, drains in-flight requests within ShutdownTimeout and runs OnShutdown.
func Run(ctx context.Context, app *fiber.App, cfg RunConfig) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln := cfg.Listener
	if ln == nil {
		var err error
		var lc net.ListenConfig
		ln, err = lc.Listen(ctx, "tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
		}
	}
	cfg.Logger.Info("listening", slog.String("addr", ln.Addr().String()))

	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	select {
	case err := <-served:
		if err != nil {
			return fmt.Errorf("serving: %w", err)
		}
		return nil
	case <-ctx.Done():
	}

	cfg.Logger.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	if cfg.Health != nil {
		cfg.Health.SetShuttingDown()
	}
	if cfg.DrainDelay > 0 {
		time.Sleep(cfg.DrainDelay)
	}
	var errs []error
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		errs = append(errs, fmt.Errorf("draining requests: %w", err))
	}
	flushCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, f := range cfg.OnShutdown {
		if err := f(flushCtx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := <-served; err != nil {
		errs = append(errs, fmt.Errorf("serving: %w", err))
	}
	cfg.Logger.Info("stopped")
	return errors.Join(errs...)
}

// Addr is the listen address for a port.
func Addr(port int) string { return ":" + strconv.Itoa(port) }
