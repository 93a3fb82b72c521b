package envelope

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCodeStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   Code
		status int
	}{
		{CodeValidation, 400},
		{CodeUnauthorized, 401},
		{CodeInvalidCredentials, 401},
		{CodeForbidden, 403},
		{CodeNotFound, 404},
		{CodeMethodNotAllowed, 405},
		{CodePayloadTooLarge, 413},
		{CodeUnsupportedMedia, 415},
		{CodeRateLimited, 429},
		{CodeInternal, 500},
		{CodeUpstream, 502},
		{CodeServiceUnavailable, 503},
		{CodeUpstreamTimeout, 504},
		{Code("MADE_UP"), 500},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.status, tt.code.Status())
			if tt.code.Valid() && tt.code != CodeInvalidCredentials {
				// Every documented status maps back onto its code (401 maps to UNAUTHORIZED).
				assert.Equal(t, tt.code, CodeForStatus(tt.status))
			}
		})
	}
}

func TestFromNeverLeaksInternalDetail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"documented error kept", New(CodeForbidden, "no"), CodeForbidden},
		{"wrapped documented error kept", errors.Join(errors.New("ctx"), New(CodeNotFound, "")), CodeNotFound},
		{"fiber 404", fiber.ErrNotFound, CodeNotFound},
		{"fiber 405", fiber.ErrMethodNotAllowed, CodeMethodNotAllowed},
		{"fiber 413", fiber.ErrRequestEntityTooLarge, CodePayloadTooLarge},
		{"fiber 431 (request line over the read buffer)", fiber.ErrRequestHeaderFieldsTooLarge, CodeValidation},
		{"fiber 408", fiber.ErrRequestTimeout, CodeValidation},
		{"fiber 501", fiber.ErrNotImplemented, CodeInternal},
		{"plain error", errors.New("dial tcp 10.0.0.7:6379: connection refused"), CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := From(tt.err)
			assert.Equal(t, tt.want, e.Code)
			assert.NotContains(t, e.Message, "10.0.0.7")
			assert.NotEmpty(t, e.Message)
		})
	}
}

func TestRateLimitedRoundsUp(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1, *RateLimited(10 * time.Millisecond).RetryAfter)
	assert.Equal(t, 2, *RateLimited(1500 * time.Millisecond).RetryAfter)
	assert.Equal(t, 1, *RateLimited(0).RetryAfter)
}

func TestEnvelopeShapes(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Get("/ok", func(c *fiber.Ctx) error { return OK(c, map[string]int{"n": 1}, true) })
	app.Get("/limited", func(c *fiber.Ctx) error { return Fail(c, RateLimited(3*time.Second)) })
	app.Get("/invalid", func(c *fiber.Ctx) error {
		return Fail(c, Validation(FieldError{Field: "league", Message: "unknown league"}))
	})

	t.Run("success", func(t *testing.T) {
		body, resp := get(t, app, "/ok")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		assert.Equal(t, true, body["success"])
		assert.Equal(t, true, body["cached"])
		assert.Equal(t, map[string]any{"n": float64(1)}, body["data"])
		_, err := time.Parse(time.RFC3339, body["timestamp"].(string))
		assert.NoError(t, err)
	})
	t.Run("rate limited", func(t *testing.T) {
		body, resp := get(t, app, "/limited")
		assert.Equal(t, 429, resp.StatusCode)
		assert.Equal(t, "3", resp.Header.Get("Retry-After"))
		assert.Equal(t, false, body["success"])
		e := body["error"].(map[string]any)
		assert.Equal(t, "RATE_LIMITED", e["code"])
		assert.Equal(t, float64(3), e["retryAfter"])
	})
	t.Run("validation details", func(t *testing.T) {
		body, resp := get(t, app, "/invalid")
		assert.Equal(t, 400, resp.StatusCode)
		e := body["error"].(map[string]any)
		assert.Equal(t, "VALIDATION_ERROR", e["code"])
		assert.Equal(t, []any{map[string]any{"field": "league", "message": "unknown league"}}, e["details"])
		assert.NotContains(t, e, "retryAfter")
	})
}

func get(t *testing.T, app *fiber.App, path string) (map[string]any, *http.Response) {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	return body, resp
}
