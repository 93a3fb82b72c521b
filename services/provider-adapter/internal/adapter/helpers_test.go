package adapter_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/health"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/logging"
	"github.com/football-tracker/backend/pkg/metrics"
	"github.com/football-tracker/backend/pkg/proctest"
	"github.com/football-tracker/backend/pkg/providerstub"

	"github.com/football-tracker/backend/services/provider-adapter/internal/adapter"
	settings "github.com/football-tracker/backend/services/provider-adapter/internal/config"
)

const testToken = "sm-test-token-4f9a1c7e2b"

// dualRegistry adds a league both providers carry with recorded data for the same
// season (SportMonks' Premier League 2024 and OpenLigaDB's bl1 2024), so a failover
// has a real answer to fall back to.
const dualRegistry = `leagues:
  - {shortcut: dual, name: Both providers, country: Test, sportmonksId: 8, openligadb: bl1}
  - {shortcut: pl, name: Premier League, country: England, sportmonksId: 8}
  - {shortcut: bl1, name: Bundesliga, country: Germany, sportmonksId: 82, openligadb: bl1}
`

type testEnv struct {
	stub     *providerstub.Stub
	stubURL  string
	url      string
	logs     *proctest.Buffer
	registry *prometheus.Registry
	spans    *tracetest.InMemoryExporter
	settings settings.Settings
}

type envOptions struct {
	vars     map[string]string
	noToken  bool
	registry string
}

// newEnv runs the adapter (the same Mount as main) on a real listener against a
// providerstub on a real httptest server.
func newEnv(t *testing.T, o envOptions) *testEnv {
	t.Helper()
	stub := providerstub.New()
	stub.SportMonksToken = testToken
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)

	vars := map[string]string{
		"SPORTMONKS_API_TOKEN":  testToken,
		"SPORTMONKS_BASE_URL":   srv.URL,
		"OPENLIGADB_BASE_URL":   srv.URL,
		"UPSTREAM_TIMEOUT":      "1s",
		"UPSTREAM_BUDGET":       "3s",
		"BREAKER_FAILURES":      "3",
		"BREAKER_OPEN_DURATION": "30s",
		"DEFAULT_LEAGUE":        "bl1",
	}
	if o.noToken {
		delete(vars, "SPORTMONKS_API_TOKEN")
	}
	reg := o.registry
	if reg == "" {
		reg = dualRegistry
	}
	path := filepath.Join(t.TempDir(), "leagues.yaml")
	require.NoError(t, os.WriteFile(path, []byte(reg), 0o600))
	vars["LEAGUES_CONFIG"] = path
	for k, v := range o.vars {
		vars[k] = v
	}
	var s settings.Settings
	require.NoError(t, config.LoadFrom(&s, vars))

	logs := &proctest.Buffer{}
	// No secrets are given to the logger: a token that reached a log line would show.
	log := logging.New(logs, logging.Options{Service: "provider-adapter", Level: -4})
	registry := metrics.NewRegistry()
	checker := health.New(time.Second)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })

	app := httpserver.New(httpserver.Config{Service: "provider-adapter", Logger: log, Health: checker, Registry: registry})
	_, err := adapter.Mount(app, &s, adapter.Deps{
		Logger: log, Health: checker, Registry: registry, TracerProvider: tp,
		HTTP: func(string) *http.Client {
			return &http.Client{Timeout: s.UpstreamTimeout, Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp))}
		},
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return &testEnv{stub: stub, stubURL: srv.URL, url: "http://" + ln.Addr().String(), logs: logs, registry: registry, spans: spans, settings: s}
}

type answer struct {
	status   int
	header   http.Header
	body     []byte
	elapsed  time.Duration
	provider string
}

func (e *testEnv) get(t *testing.T, path string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+path, nil)
	require.NoError(t, err)
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: body, elapsed: time.Since(start), provider: resp.Header.Get("X-Provider")}
}

// errorCode reads the envelope's error code.
func (a answer) errorCode(t *testing.T) string {
	t.Helper()
	var env struct {
		Success bool `json:"success"`
		Error   struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(a.body, &env), string(a.body))
	require.False(t, env.Success)
	return env.Error.Code
}

func (e *testEnv) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := e.registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
