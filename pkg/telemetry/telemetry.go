// Package telemetry sets up OpenTelemetry tracing the same way in every service:
// configured only by the standard OTEL_* variables, propagation always on, an exporter
// only when an endpoint is configured.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// ShutdownFunc flushes and stops the tracer provider.
type ShutdownFunc func(ctx context.Context) error

// Options configure Setup. Everything else comes from OTEL_* variables.
type Options struct {
	// ServiceName is used when OTEL_SERVICE_NAME is unset.
	ServiceName string
	Version     string
	// Exporter replaces the OTLP exporter (tests use an in-memory one).
	Exporter sdktrace.SpanExporter
	// Syncer exports spans as they end instead of batching them (tests).
	Syncer bool
}

// Propagator is W3C trace context plus baggage, used by every service.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// exporterConfigured reports whether the OTEL_* variables ask for an OTLP exporter.
func exporterConfigured() bool {
	if os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the global tracer provider and propagator. The sampler is
// ParentBased(AlwaysOn) unless OTEL_TRACES_SAMPLER says otherwise (the SDK reads it).
func Setup(ctx context.Context, opts Options) (ShutdownFunc, error) {
	otel.SetTextMapPropagator(Propagator())

	if os.Getenv("OTEL_SERVICE_NAME") == "" && opts.ServiceName != "" {
		// resource.WithFromEnv reads OTEL_SERVICE_NAME; the service's own name is the
		// fallback so no service ever shows as unknown_service.
		_ = os.Setenv("OTEL_SERVICE_NAME", opts.ServiceName)
	}
	res, err := resource.New(ctx,
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceVersion(opts.Version)),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("building telemetry resource: %w", err)
	}

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	exp := opts.Exporter
	if exp == nil && exporterConfigured() {
		exp, err = otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("creating OTLP/HTTP trace exporter: %w", err)
		}
	}
	if os.Getenv("OTEL_TRACES_SAMPLER") == "" {
		tpOpts = append(tpOpts, sdktrace.WithSampler(defaultSampler(exp != nil)))
	}
	if exp != nil {
		if opts.Syncer {
			tpOpts = append(tpOpts, sdktrace.WithSyncer(exp))
		} else {
			tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
		}
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// defaultSampler records every trace a caller did not decide against when spans go
// somewhere. Without an exporter, recording would only cost CPU on every request: spans
// are then not recorded, yet every request still gets trace and span ids (for log
// lines) and propagates traceparent downstream.
func defaultSampler(exporting bool) sdktrace.Sampler {
	if exporting {
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	return sdktrace.NeverSample()
}

// ShutdownWithTimeout flushes telemetry without letting a dead collector hold the
// process past the timeout.
func ShutdownWithTimeout(shutdown ShutdownFunc, timeout time.Duration) error {
	if shutdown == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		return fmt.Errorf("flushing telemetry: %w", err)
	}
	return nil
}
