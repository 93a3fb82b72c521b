package adapter_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/providerstub"
)

// TestTokenNeverLeaks drives every route through healthy and broken SportMonks
// answers, then looks for the token everywhere it could surface: responses, log
// lines, span names, attributes, events and statuses, metrics, and the URLs the
// provider received. It must appear only in the Authorization header sent upstream.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	paths := []string{
		"/v1/matches?league=pl&season=2024", "/v1/matches?league=pl&date=2025-05-25",
		"/v1/matches/sm-19135043", "/v1/matches/sm-1", "/v1/teams?league=pl&season=2024", "/v1/leagues",
		"/v1/matches?league=dual&season=2024",
	}
	var answers []answer
	for _, fault := range []providerstub.Fault{providerstub.FaultNone, providerstub.Fault401, providerstub.Fault500, providerstub.FaultGarbage, providerstub.FaultHang} {
		e.stub.SetFault(providerstub.SportMonks, fault)
		for _, p := range paths {
			answers = append(answers, e.get(t, p))
		}
	}
	answers = append(answers, e.get(t, "/metrics"), e.get(t, "/readyz"))

	for _, a := range answers {
		assert.NotContains(t, string(a.body), testToken)
		assert.NotContains(t, fmt.Sprint(a.header), testToken)
	}
	require.NotEmpty(t, e.logs.String())
	assert.NotContains(t, e.logs.String(), testToken)

	spans := e.spans.GetSpans()
	require.NotEmpty(t, spans)
	var upstreamSpans int
	for _, s := range spans {
		assert.NotContains(t, s.Name, testToken)
		assert.NotContains(t, s.Status.Description, testToken)
		for _, kv := range s.Attributes {
			assert.NotContains(t, kv.Value.String(), testToken, "span %q attribute %s", s.Name, kv.Key)
			assert.NotEqual(t, "http.request.header.authorization", string(kv.Key))
		}
		for _, ev := range s.Events {
			assert.NotContains(t, ev.Name, testToken)
			for _, kv := range ev.Attributes {
				assert.NotContains(t, kv.Value.String(), testToken)
			}
		}
		if strings.HasPrefix(s.Name, "sportmonks GET /v3/football/") {
			upstreamSpans++
		}
	}
	assert.Positive(t, upstreamSpans, "one client span per SportMonks call, named by endpoint template")

	var sm int
	for _, r := range e.stub.Requests() {
		assert.NotContains(t, r.URL, testToken)
		assert.NotContains(t, r.URL, "api_token")
		if r.Provider == providerstub.SportMonks {
			sm++
			assert.Equal(t, testToken, r.Header.Get("Authorization"), "the token travels in the header only")
		} else {
			assert.Empty(t, r.Header.Get("Authorization"), "OpenLigaDB never sees the SportMonks token")
		}
	}
	assert.Positive(t, sm)
}

func TestSpanPerUpstreamCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.get(t, "/v1/matches/sm-19135043")
	require.Equal(t, http.StatusOK, a.status)
	var found bool
	for _, s := range e.spans.GetSpans() {
		if s.Name != "sportmonks GET /v3/football/fixtures/{id}" {
			continue
		}
		found = true
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.String()
		}
		assert.Equal(t, "sportmonks", attrs["provider"])
		assert.Equal(t, "/v3/football/fixtures/{id}", attrs["provider.endpoint"])
		assert.Equal(t, "200", attrs["http.response.status_code"])
	}
	assert.True(t, found)
}
