package upstream_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/cache/internal/upstream"
)

func TestGet(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/leagues":
			w.Header().Set("X-Provider", "sportmonks")
			_, _ = w.Write([]byte(`[]`))
		case "/v1/teams":
			w.Header().Set("X-Provider", "evil\r\nSet-Cookie: x")
			_, _ = w.Write([]byte(r.URL.RawQuery))
		case "/v1/matches":
			_, _ = w.Write([]byte(strings.Repeat("x", 100)))
		case "/v1/matches/ol-1":
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"success":false}`))
		}
	}))
	t.Cleanup(srv.Close)
	c := upstream.New(upstream.Options{BaseURL: srv.URL + "/", Timeout: 200 * time.Millisecond, MaxBody: 50})

	tests := []struct {
		name     string
		path     string
		query    string
		status   int
		body     string
		provider string
		err      error
	}{
		{name: "provider forwarded", path: "/v1/leagues", status: 200, body: `[]`, provider: "sportmonks"},
		{name: "unknown provider dropped, query sent", path: "/v1/teams", query: "league=bl1", status: 200, body: "league=bl1"},
		{name: "error status is an answer", path: "/v1/players", status: 404, body: `{"success":false}`},
		{name: "too large", path: "/v1/matches", err: upstream.ErrTooLarge},
		{name: "timeout", path: "/v1/matches/ol-1", err: upstream.ErrTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := c.Get(t.Context(), tc.path, tc.query)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.Status)
			assert.Equal(t, tc.body, string(resp.Body))
			assert.Equal(t, tc.provider, resp.Provider)
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		dead := upstream.New(upstream.Options{BaseURL: "http://127.0.0.1:1", Timeout: time.Second})
		_, err := dead.Get(t.Context(), "/v1/leagues", "")
		require.ErrorIs(t, err, upstream.ErrUnreachable)
		require.Error(t, dead.Ping(t.Context()))
	})
}
