package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/redistest"
)

func TestInvalidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	checkKeysAndInvalidation(t, h.instance, h.adapter, h.rdb)
}

// TestClusterKeysAndInvalidation runs the key and invalidation cases on a real
// three-node Redis Cluster: every key of a namespace shares a hash tag, so the
// entry+generation MGET and the lock stay on one node.
func TestClusterKeysAndInvalidation(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t)
	adapter := newStubAdapter(t)
	env := testEnv(map[string]string{"REDIS_ADDRS": joinAddrs(cluster.Addrs())}, adapter.URL, nil)
	inst := startInstance(t, env, newFakeClock())
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	checkKeysAndInvalidation(t, inst, adapter, rdb)

	// Two namespaces land in different slots; each namespace's keys share one.
	ctx := t.Context()
	for _, tag := range []string{"matches:bl1", "teams:bl1", "match", "leagues"} {
		entrySlot, err := rdb.ClusterKeySlot(ctx, "ft:cache:v1:{"+tag+"}:x").Result()
		require.NoError(t, err)
		genSlot, err := rdb.ClusterKeySlot(ctx, "ft:cache:v1:{"+tag+"}:gen").Result()
		require.NoError(t, err)
		assert.Equal(t, entrySlot, genSlot, "namespace %s shares a slot", tag)
	}
}

func joinAddrs(a []string) string {
	out := ""
	for i, s := range a {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

type invalidated struct {
	Invalidated []string `json:"invalidated"`
}

func checkKeysAndInvalidation(t *testing.T, inst *instance, adapter *stubAdapter, rdb redis.UniversalClient) {
	t.Helper()
	paths := map[string]string{
		"matches:bl1": "/v1/matches?league=bl1&season=2025",
		"matches:pl":  "/v1/matches?league=pl&season=2025",
		"match":       "/v1/matches/ol-66640",
		"leagues":     "/v1/leagues",
		"teams:bl1":   "/v1/teams?league=bl1",
	}
	keys := map[string]string{
		"matches:bl1": "ft:cache:v1:{matches:bl1}:league=bl1&season=2025",
		"matches:pl":  "ft:cache:v1:{matches:pl}:league=pl&season=2025",
		"match":       "ft:cache:v1:{match}:id=ol-66640",
		"leagues":     "ft:cache:v1:{leagues}:all",
		"teams:bl1":   "ft:cache:v1:{teams:bl1}:league=bl1",
	}
	warm := func(t *testing.T) {
		t.Helper()
		for name, p := range paths {
			a := get(t, inst.URL, p)
			require.Equal(t, http.StatusOK, a.Status, "%s: %s", name, a.Body)
		}
		for name, p := range paths {
			require.Equal(t, "HIT", get(t, inst.URL, p).XCache, "%s warmed", name)
		}
		for name, k := range keys {
			n, err := rdb.Exists(t.Context(), k).Result()
			require.NoError(t, err)
			require.EqualValues(t, 1, n, "%s stored as %s", name, k)
		}
	}
	tests := []struct {
		name string
		body string
		// gone are the namespaces whose entries must be refetched.
		gone []string
	}{
		{name: "one league's matches", body: `{"resource":"matches","league":"bl1"}`, gone: []string{"matches:bl1"}},
		{name: "all matches", body: `{"resource":"matches"}`, gone: []string{"matches:bl1", "matches:pl"}},
		{name: "single matches", body: `{"resource":"match"}`, gone: []string{"match"}},
		{name: "leagues", body: `{"resource":"leagues"}`, gone: []string{"leagues"}},
		{name: "one league's teams", body: `{"resource":"teams","league":"bl1"}`, gone: []string{"teams:bl1"}},
		{name: "everything", body: `{"resource":"all"}`, gone: []string{"matches:bl1", "matches:pl", "match", "leagues", "teams:bl1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			warm(t)
			a := post(t, inst.URL, "/v1/invalidate", tc.body)
			require.Equal(t, http.StatusOK, a.Status, "%s", a.Body)
			var got invalidated
			require.NoError(t, json.Unmarshal(a.Body, &got))
			for _, g := range tc.gone {
				assert.Contains(t, got.Invalidated, g)
			}
			for name, p := range paths {
				before := adapter.count(adapterURI(p))
				ans := get(t, inst.URL, p)
				if contains(tc.gone, name) {
					assert.Equal(t, "MISS", ans.XCache, "%s invalidated", name)
					assert.Equal(t, before+1, adapter.count(adapterURI(p)), "%s refetched", name)
				} else {
					assert.Equal(t, "HIT", ans.XCache, "%s still cached", name)
				}
			}
		})
	}

	t.Run("bad requests", func(t *testing.T) {
		for _, body := range []string{`{"resource":"players"}`, `{"resource":"matches","league":"xx1"}`, `not json`, `{"resource":"all","extra":1}`} {
			a := post(t, inst.URL, "/v1/invalidate", body)
			assert.Equal(t, http.StatusBadRequest, a.Status, body)
			assert.Equal(t, envelope.CodeValidation, a.errorCode(t), body)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, inst.URL+"/v1/invalidate", strings.NewReader(`{"resource":"all"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "text/plain")
		resp, err := httpClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	})
}

// adapterURI is what the adapter sees for a cache path (the league is defaulted and
// the parameters sorted; these test paths are already canonical).
func adapterURI(p string) string { return p }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
