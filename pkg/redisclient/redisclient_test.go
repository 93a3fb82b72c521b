package redisclient

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/redistest"
)

func settings() config.Redis {
	return config.Redis{DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond}
}

func TestSingleServerFromURL(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := settings()
	s.URL = srv.URL()
	c, err := New(s)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, Ping(c)(t.Context()))
	require.NoError(t, c.Set(t.Context(), "k", "v", time.Minute).Err())

	srv.Stop()
	start := time.Now()
	assert.Error(t, Ping(c)(t.Context()), "a dead Redis is reported")
	assert.Less(t, time.Since(start), 2*time.Second, "and reported fast")
}

func TestClusterFromAddrs(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	s := settings()
	s.Addrs = cl.Addrs()
	s.ReadTimeout = time.Second
	c, err := New(s)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, Ping(c)(t.Context()))
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		require.NoError(t, c.Set(t.Context(), k, k, time.Minute).Err(), "keys land on every slot owner")
	}
}

func TestBadURLDoesNotEchoIt(t *testing.T) {
	t.Parallel()
	s := settings()
	s.URL = "http://user:hunter2@host"
	_, err := New(s)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.Contains(t, err.Error(), "REDIS_URL")
}
