package app_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/football-tracker/backend/pkg/telemetry"

	"github.com/football-tracker/backend/services/cache/internal/app"
)

// spans records every span of the package's tests; tests find theirs by trace id.
var spans = tracetest.NewSpanRecorder()

func TestMain(m *testing.M) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetTextMapPropagator(telemetry.Propagator())
	redis.SetLogger(app.RedisLogger{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	os.Exit(m.Run())
}
