package token_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/gateway/internal/token"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	single := redistest.Start(t)
	cluster := redistest.StartCluster(t)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	// Keys on several slots must be writable before the test starts: a fresh cluster
	// can still answer CLUSTERDOWN on some nodes.
	require.Eventually(t, func() bool {
		for _, k := range []string{"ft:probe:a", "ft:probe:b", "ft:probe:c", "ft:probe:d"} {
			if cc.Set(t.Context(), k, "1", time.Second).Err() != nil {
				return false
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond)
	for _, tc := range []struct {
		name string
		rdb  redis.UniversalClient
	}{{"single", single.Client()}, {"cluster", cc}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			s := token.NewSessions(tc.rdb, "ft:", time.Hour)
			exp := time.Now().Add(time.Hour)
			sid, jti1 := token.NewID(), token.NewID()
			r1, err := s.Create(ctx, sid, "alice", jti1, exp)
			require.NoError(t, err)

			jti2 := token.NewID()
			rot, err := s.Rotate(ctx, r1, jti2, exp)
			require.NoError(t, err)
			assert.Equal(t, "alice", rot.Subject)
			assert.Equal(t, sid, rot.Session)
			revoked, err := s.IsRevoked(ctx, jti1)
			require.NoError(t, err)
			assert.True(t, revoked, "rotation revokes the previous access token")

			_, err = s.Rotate(ctx, sid+"."+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", token.NewID(), exp)
			assert.ErrorIs(t, err, token.ErrRefreshInvalid, "an unknown secret does not revoke")
			_, err = s.Rotate(ctx, "garbage", token.NewID(), exp)
			assert.ErrorIs(t, err, token.ErrRefreshInvalid)

			_, err = s.Rotate(ctx, r1, token.NewID(), exp)
			assert.ErrorIs(t, err, token.ErrRefreshReused)
			revoked, err = s.IsRevoked(ctx, jti2)
			require.NoError(t, err)
			assert.True(t, revoked, "reuse revokes the family's live access token")
			_, err = s.Rotate(ctx, rot.Refresh, token.NewID(), exp)
			assert.ErrorIs(t, err, token.ErrRefreshRevoked)

			ttl, err := tc.rdb.PTTL(ctx, "ft:jwt:refresh:"+sid).Result()
			require.NoError(t, err)
			assert.Positive(t, ttl)
			ttl, err = tc.rdb.PTTL(ctx, s.RevokedKey(jti2)).Result()
			require.NoError(t, err)
			assert.Greater(t, ttl, 59*time.Minute)
		})
	}
}
