package ratelimit_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
)

// TestCluster runs the limiter and the pipelined revocation check on a real
// three-node Redis Cluster: one key per subject, so no CROSSSLOT, whatever the slots
// of the rate-limit key and the denylist key.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	// Keys on several slots must be writable before the test starts: a fresh cluster
	// can still answer CLUSTERDOWN on some nodes.
	require.Eventually(t, func() bool {
		for _, k := range []string{"ft:probe:a", "ft:probe:b", "ft:probe:c", "ft:probe:d"} {
			if rdb.Set(t.Context(), k, "1", time.Second).Err() != nil {
				return false
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, rdb.Set(t.Context(), "ft:jwt:revoked:j9", "1", time.Minute).Err())
	l := newLimiter(t, rdb, ratelimit.FailClosed)
	for _, sub := range []string{"alice", "bob", "carol", "dave"} {
		ws := ratelimit.Windows(3, 100)
		for i := range 3 {
			d, err := l.Allow(t.Context(), "ft:rl:user:"+sub, ws, "ft:jwt:revoked:j9")
			require.NoError(t, err)
			assert.True(t, d.Allowed, "%s request %d", sub, i+1)
			assert.True(t, d.Revoked)
		}
		d, err := l.Allow(t.Context(), "ft:rl:user:"+sub, ws, "ft:jwt:revoked:other")
		require.NoError(t, err)
		assert.False(t, d.Allowed, sub)
		assert.False(t, d.Revoked)
	}
}
