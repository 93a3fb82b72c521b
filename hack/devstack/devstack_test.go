package main

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/proctest"
)

// TestOfflineStack is `make run OFFLINE=1`: the stack comes up with nothing but the
// binaries, answers the health route with the envelope, and Ctrl-C leaves nothing behind.
func TestOfflineStack(t *testing.T) {
	t.Parallel()
	binDir := filepath.Dir(proctest.Binary(t, "gateway"))
	for _, svc := range []string{"cache", "provider-adapter"} {
		require.Equal(t, binDir, filepath.Dir(proctest.Binary(t, svc)))
	}
	ports := map[string]int{}
	for _, name := range []string{"GATEWAY_PORT", "CACHE_PORT", "ADAPTER_PORT"} {
		ports[name] = proctest.FreePort(t)
	}
	env := map[string]string{"OFFLINE": "1", "BIN_DIR": binDir}
	for k, v := range ports {
		env[k] = strconv.Itoa(v)
	}
	p := proctest.Start(t, "devstack", proctest.Options{NoPort: true, Env: env})
	gateway := "http://127.0.0.1:" + strconv.Itoa(ports["GATEWAY_PORT"])

	require.Eventually(t, func() bool { return strings.Contains(p.Stdout(), "Football Tracker is up") },
		60*time.Second, 50*time.Millisecond, "devstack: the stack never came up\n%s", p.Stderr())

	resp, err := http.Get(gateway + "/api/v1/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	var env1 struct {
		Success bool `json:"success"`
		Data    struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env1))
	assert.True(t, env1.Success)
	assert.Contains(t, []string{"healthy", "degraded"}, env1.Data.Status)
	assert.Contains(t, p.Stdout(), "password", "devstack prints the admin credentials it generated")

	p.Signal(syscall.SIGINT)
	code, err := p.Wait(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	for name, port := range ports {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		assert.Error(t, err, "%s still listening after Ctrl-C: a process was left behind", name)
	}
}
