package e2e

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/proctest"
)

func testNothingLeaks(t *testing.T, s *stack) {
	secrets := map[string]string{
		"JWT secret":       jwtSecret,
		"admin password":   adminPass,
		"client password":  clientPass,
		"SportMonks token": sportMonksToken,
	}
	// Stop the services first so every log line they buffered is written out and scanned.
	for _, p := range []*proctest.Process{s.gateway, s.cache, s.adapter} {
		p.Signal(syscall.SIGTERM)
		code, err := p.Wait(15 * time.Second)
		require.NoError(t, err, "%s did not stop", p.Name)
		assert.Equal(t, 0, code, "%s exit code", p.Name)
	}
	s.captured.mu.Lock()
	responses := append([]string(nil), s.captured.responses...)
	issued := append([]string(nil), s.captured.tokens...)
	s.captured.mu.Unlock()

	check := func(where, text string, withTokens bool) {
		for name, secret := range secrets {
			assert.NotContains(t, text, secret, "%s leaks the %s", where, name)
		}
		if !withTokens {
			return
		}
		for _, tok := range issued {
			if strings.Contains(text, tok) {
				t.Errorf("%s leaks an issued token", where)
			}
			// The signature alone is as good as the token to whoever has the rest.
			if sig := tok[strings.LastIndex(tok, ".")+1:]; len(sig) > 20 && strings.Contains(text, sig) {
				t.Errorf("%s leaks an issued token's signature", where)
			}
		}
	}
	for i, r := range responses {
		// Login and refresh answers carry the tokens they issue, by design.
		issuing := strings.HasPrefix(r, "POST /api/v1/auth/login") || strings.HasPrefix(r, "POST /api/v1/auth/refresh")
		check("response "+strings.SplitN(r, "\n", 2)[0]+" #"+strconv.Itoa(i), r, !issuing)
	}
	for service, log := range s.logs() {
		check(service+" log", log, true)
	}
	check("exported spans", s.otlp.payloads(), true)
	for _, req := range s.stub.Requests() {
		assert.NotContains(t, req.URL, sportMonksToken, "provider-adapter put the SportMonks token in a URL")
	}
}
