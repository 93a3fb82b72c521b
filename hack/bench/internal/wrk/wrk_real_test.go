//go:build bench

// Run with `go test -tags bench ./bench/...` in hack/ where wrk is installed (`make
// bench` installs it); `make test` does not install wrk, so this file is left out there.

package wrk

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The embedded Lua scripts against the real wrk: the summary line is printed and the
// status counts add up across threads.
func TestRunRealWrk(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if served.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)

	res, err := Run(t.Context(), Options{
		URL: srv.URL, Threads: 2, Connections: 4, Duration: time.Second,
		Headers: []string{"Authorization: Bearer t"}, CountStatuses: true, ScriptDir: t.TempDir(),
	})
	require.NoError(t, err, res.Output)
	require.Positive(t, res.Requests)
	var total int64
	for _, n := range res.Statuses {
		total += n
	}
	assert.Equal(t, res.Requests, total, "every completed request is counted once")
	assert.Positive(t, res.Statuses[http.StatusTooManyRequests])
	assert.Positive(t, res.Statuses[http.StatusInternalServerError])
	assert.NotContains(t, res.Statuses, http.StatusUnauthorized, "the header reached the server")
	assert.Equal(t, res.Requests, res.Errors.Status, "wrk counts every non-2xx answer")
	assert.Positive(t, res.CPU)
	assert.LessOrEqual(t, res.P50, res.P99)
}
