package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassification(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		kind      Kind
		retryable bool
	}{
		{"ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) }, "", false},
		{"404", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }, KindNotFound, false},
		{"429", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}, KindRateLimited, false},
		{"401", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) }, KindUnauthorized, false},
		{"403", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }, KindUnauthorized, false},
		{"500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, KindStatus, true},
		{"503", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, KindStatus, true},
		{"418", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }, KindStatus, false},
		{"too large", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(strings.Repeat("x", 2048))) }, KindTooLarge, false},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, KindTimeout, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			c := New(Config{Provider: "p", HTTP: srv.Client(), MaxBody: 1024})
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			_, err := c.Get(ctx, Request{Endpoint: "/x/{id}", URL: srv.URL + "/x/1?secret=s3cr3t"})
			assert.Equal(t, tc.kind, KindOf(err))
			assert.Equal(t, tc.retryable, Retryable(err))
			if err != nil {
				assert.NotContains(t, err.Error(), "127.0.0.1")
				assert.NotContains(t, err.Error(), "s3cr3t")
				assert.Contains(t, err.Error(), "/x/{id}")
			}
			if tc.kind == KindRateLimited {
				var ue *Error
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, 7*time.Second, ue.RetryAfter)
			}
		})
	}
}

func TestNetworkErrorsHideTheURL(t *testing.T) {
	t.Parallel()
	c := New(Config{Provider: "p"})
	_, err := c.Get(t.Context(), Request{Endpoint: "/x", URL: "http://127.0.0.1:1/x?token=abc"})
	require.Error(t, err)
	assert.Equal(t, KindNetwork, KindOf(err))
	assert.True(t, Retryable(err))
	assert.NotContains(t, fmt.Sprint(err), "127.0.0.1")
	assert.NotContains(t, fmt.Sprint(err), "token=abc")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Get(ctx, Request{Endpoint: "/x", URL: "http://127.0.0.1:1/x"})
	assert.Equal(t, KindCanceled, KindOf(err))
}
