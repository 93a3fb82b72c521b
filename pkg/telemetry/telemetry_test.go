package telemetry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestDefaultSampler(t *testing.T) {
	t.Parallel()
	parent := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	}))
	for _, tt := range []struct {
		name      string
		exporting bool
		recording bool
	}{
		{"with an exporter, a sampled caller's trace is recorded", true, true},
		{"without one, nothing is recorded", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(defaultSampler(tt.exporting)))
			_, span := tp.Tracer("t").Start(parent, "op")
			defer span.End()
			assert.Equal(t, tt.recording, span.IsRecording())
			assert.Equal(t, trace.TraceID{1}, span.SpanContext().TraceID(), "the caller's trace continues either way")
			assert.True(t, span.SpanContext().IsValid(), "log lines still get ids")
		})
	}
}
