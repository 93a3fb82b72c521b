package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	jwtSecret = "super-secret-signing-key-0123456789abcdef"
	adminPass = "correct-horse-battery"
	apiToken  = "smtok_AbCdEf0123456789"
	aJWT      = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"
)

func TestSecretsNeverReachTheOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"authorization header", func(l *slog.Logger) {
			h := http.Header{}
			h.Set("Authorization", "Bearer "+aJWT)
			h.Set("X-Api-Key", apiToken)
			h.Set("Cookie", "session="+adminPass)
			l.Info("request", slog.Any("headers", h))
		}},
		{"json body with password", func(l *slog.Logger) {
			l.Info("body", slog.String("body", `{"username":"admin","password":"`+adminPass+`"}`))
		}},
		{"body as raw bytes", func(l *slog.Logger) {
			l.Info("body", slog.Any("raw", []byte(`{"refreshToken":"`+aJWT+`"}`)))
		}},
		{"error carrying the provider token", func(l *slog.Logger) {
			err := fmt.Errorf("calling provider: %w", errors.New("GET https://api.example/v3?api_token="+apiToken+": 401"))
			l.Error("upstream failed", slog.Any("error", err))
		}},
		{"sensitive key", func(l *slog.Logger) {
			l.Info("login", slog.String("password", "hunter2hunter2"), slog.String("jwt_secret", jwtSecret))
		}},
		{"nested struct", func(l *slog.Logger) {
			l.Info("cfg", slog.Any("cfg", map[string]any{"db": map[string]string{"token": "abc123abc"}, "note": "key is " + jwtSecret}))
		}},
		{"group", func(l *slog.Logger) {
			l.Info("grouped", slog.Group("req", slog.String("authorization", "Basic YWRtaW46cGFzcw=="), slog.String("q", adminPass)))
		}},
		{"message itself", func(l *slog.Logger) {
			l.Info("token was " + aJWT)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l := New(&buf, Options{Service: "test", Secrets: []string{jwtSecret, adminPass, apiToken}})
			tt.log(l)
			out := buf.String()
			require.NotEmpty(t, out)
			for _, secret := range []string{jwtSecret, adminPass, apiToken, aJWT, "hunter2hunter2", "abc123abc", "YWRtaW46cGFzcw=="} {
				assert.NotContains(t, out, secret)
			}
			assert.Contains(t, out, Redacted)
			var line map[string]any
			require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), &line), "one JSON line: %s", out)
		})
	}
}

func TestOrdinaryValuesSurvive(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := New(&buf, Options{Service: "test", Secrets: []string{adminPass}})
	l.Info("request", slog.String("route", "/api/v1/matches/:id"), slog.Int("status", 200), slog.Any("h", http.Header{"Accept": {"application/json"}}))
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "/api/v1/matches/:id", line["route"])
	assert.Equal(t, float64(200), line["status"])
	assert.Equal(t, map[string]any{"Accept": "application/json"}, line["h"])
	assert.Equal(t, "test", line["service"])
}

func TestTraceIDsFromContext(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	var buf bytes.Buffer
	New(&buf, Options{}).InfoContext(ctx, "hello")
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, span.SpanContext().TraceID().String(), line["trace_id"])
	assert.Equal(t, span.SpanContext().SpanID().String(), line["span_id"])

	buf.Reset()
	New(&buf, Options{}).InfoContext(context.Background(), "no span")
	assert.NotContains(t, buf.String(), "trace_id")
}

func BenchmarkAccessLogLine(b *testing.B) {
	l := New(io.Discard, Options{Service: "gateway", Secrets: []string{jwtSecret, adminPass}})
	b.ReportAllocs()
	for b.Loop() {
		l.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", "GET"), slog.String("route", "/api/v1/matches"), slog.Int("status", 200),
			slog.Float64("duration_ms", 0.42), slog.String("client_ip", "127.0.0.1"), slog.String("sub", "chrome-extension"))
	}
}

func TestCaseVariantsOfBearerAreRedacted(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"Bearer abc.def", "bearer abc.def", "BEARER abc.def", "bEaReR abc.def", "Basic YWJjOmRlZg==", "BASIC YWJjOmRlZg=="} {
		var buf bytes.Buffer
		New(&buf, Options{}).Info("x", slog.String("v", v))
		assert.NotContains(t, buf.String(), strings.Fields(v)[1], v)
	}
}
