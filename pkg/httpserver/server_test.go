package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/logging"
	"github.com/football-tracker/backend/pkg/telemetry"
)

// syncBuffer collects log lines written from the server's goroutines.
type syncBuffer struct {
	ch chan []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.ch <- bytes.Clone(p)
	return len(p), nil
}

// serve runs an app on a real loopback listener, as in production.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

func newTestApp(t *testing.T, logs io.Writer) *fiber.App {
	t.Helper()
	app := New(Config{Service: "test", Logger: logging.New(logs, logging.Options{}), BodyLimit: 1024})
	app.Get("/api/v1/things/:id", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"id": c.Params("id")}) })
	app.Post("/api/v1/things", func(c *fiber.Ctx) error { return c.SendStatus(http.StatusCreated) })
	app.Get("/boom", func(c *fiber.Ctx) error { panic("secret internal state 10.1.2.3") })
	return app
}

func TestFrameworkPathsAnswerTheEnvelope(t *testing.T) {
	t.Parallel()
	base := serve(t, newTestApp(t, io.Discard))
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"unknown route", "GET", "/nope", "", 404, "NOT_FOUND"},
		{"wrong method", "DELETE", "/api/v1/things/1", "", 405, "METHOD_NOT_ALLOWED"},
		{"body over the limit", "POST", "/api/v1/things", strings.Repeat("x", 4096), 413, "PAYLOAD_TOO_LARGE"},
		{"panic", "GET", "/boom", "", 500, "INTERNAL_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), tt.method, base+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
			var env struct {
				Success bool `json:"success"`
				Error   struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(raw, &env), string(raw))
			assert.False(t, env.Success)
			assert.Equal(t, tt.code, env.Error.Code)
			assert.NotContains(t, string(raw), "10.1.2.3")
			assert.NotContains(t, string(raw), "goroutine")
		})
	}
}

func TestAccessLogLine(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{ch: make(chan []byte, 16)}
	base := serve(t, newTestApp(t, logs))
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	resp, err = http.Get(base + "/api/v1/things/42")
	require.NoError(t, err)
	_ = resp.Body.Close()

	select {
	case raw := <-logs.ch:
		var line map[string]any
		require.NoError(t, json.Unmarshal(raw, &line))
		// The probe before it wrote no line: the first line is the data request.
		assert.Equal(t, "request", line["msg"])
		assert.Equal(t, "GET", line["method"])
		assert.Equal(t, "/api/v1/things/:id", line["route"], "route template, never the raw path")
		assert.Equal(t, float64(200), line["status"])
		assert.Equal(t, "127.0.0.1", line["client_ip"])
		assert.Contains(t, line, "duration_ms")
		assert.Contains(t, line, "trace_id")
	case <-time.After(5 * time.Second):
		t.Fatal("no access log line within 5s")
	}
}

func TestTracePropagatesAcrossARealHop(t *testing.T) {
	// Not parallel: it installs the global tracer provider.
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(telemetry.Propagator())
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	downstream := serve(t, newTestApp(t, io.Discard))
	client := telemetry.NewHTTPClient(telemetry.ClientOptions{Timeout: 5 * time.Second})

	ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, downstream+"/api/v1/things/7", nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	probe, err := client.Get(downstream + "/readyz")
	require.NoError(t, err)
	_ = probe.Body.Close()
	parent.End()
	require.NoError(t, tp.ForceFlush(context.Background()))

	var server, clientSpan *tracetest.SpanStub
	spans := exp.GetSpans()
	for i := range spans {
		s := &spans[i]
		switch {
		case s.SpanKind == trace.SpanKindServer:
			require.Nil(t, server, "only the data request is traced, probes are not: %v", names(spans))
			server = s
		case s.SpanKind == trace.SpanKindClient && s.Parent.TraceID() == parent.SpanContext().TraceID():
			clientSpan = s
		}
	}
	require.NotNil(t, server, "server span missing: %v", names(spans))
	require.NotNil(t, clientSpan, "client span missing: %v", names(spans))
	assert.Equal(t, "/api/v1/things/:id", server.Name)
	assert.Equal(t, parent.SpanContext().TraceID(), server.SpanContext.TraceID(), "child span has the parent's trace id")
	assert.Equal(t, clientSpan.SpanContext.SpanID(), server.Parent.SpanID(), "server span is the client span's child")
}

func names(spans tracetest.SpanStubs) []string {
	out := make([]string, 0, len(spans))
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func TestRunDrainsInFlightRequestsOnShutdown(t *testing.T) {
	t.Parallel()
	h := health.New(time.Second)
	app := New(Config{Service: "test", Logger: slog.New(slog.DiscardHandler), Health: h})
	entered := make(chan struct{})
	release := make(chan struct{})
	app.Get("/slow", func(c *fiber.Ctx) error {
		close(entered)
		<-release
		return c.SendString("done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	flushed := make(chan struct{})
	runErr := make(chan error, 1)
	go func() {
		runErr <- Run(ctx, app, RunConfig{
			Listener: ln, Logger: slog.New(slog.DiscardHandler), Health: h, ShutdownTimeout: 5 * time.Second,
			OnShutdown: []func(context.Context) error{func(context.Context) error { close(flushed); return nil }},
		})
	}()
	base := "http://" + ln.Addr().String()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-entered
	cancel()
	require.Eventually(t, h.ShuttingDown, 2*time.Second, 5*time.Millisecond, "readiness flips first")
	rep := h.Check(context.Background())
	assert.False(t, rep.Ready)
	close(release)
	assert.Equal(t, "done", <-got, "the in-flight request completes")
	select {
	case err := <-runErr:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case <-flushed:
	default:
		t.Fatal("shutdown hooks did not run")
	}
}

func TestDrainingAnswersWithConnectionClose(t *testing.T) {
	t.Parallel()
	h := health.New(time.Second)
	app := New(Config{Service: "test", Logger: slog.New(slog.DiscardHandler), Health: h})
	app.Get("/api/v1/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() {
		runErr <- Run(ctx, app, RunConfig{
			Listener: ln, Logger: slog.New(slog.DiscardHandler), Health: h,
			ShutdownTimeout: 5 * time.Second, DrainDelay: 2 * time.Second,
		})
	}()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/api/v1/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.False(t, resp.Close, "keep-alive while serving normally")

	cancel()
	require.Eventually(t, h.ShuttingDown, 2*time.Second, 5*time.Millisecond)
	resp, err = http.Get(base + "/api/v1/x")
	require.NoError(t, err, "still serving during the drain delay")
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "ok", string(body))
	assert.True(t, resp.Close, "Connection: close while draining")
	require.NoError(t, <-runErr)
}
