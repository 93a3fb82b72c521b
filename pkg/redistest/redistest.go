// Package redistest starts real redis-server processes for tests: one private server
// per test (so a test may kill it) or a three-node Redis Cluster on loopback.
//
// There is no skip: a test that needs Redis and finds no redis-server fails and says how
// to get one (`make test` installs it).
package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/football-tracker/backend/pkg/proctest"
)

// Server is one running redis-server.
type Server struct {
	Addr string
	Port int
	dir  string
	cmd  *exec.Cmd
	t    testing.TB
}

func binary(t testing.TB, name string) string {
	t.Helper()
	if p := os.Getenv("REDIS_SERVER_BIN"); p != "" && name == "redis-server" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run the tests with `make test`, which installs it (apt-get install redis-server)", name)
	}
	return p
}

// Start runs a fresh redis-server for this test and stops it when the test ends.
func Start(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir()}
	s.Port = proctest.FreePort(t)
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
	s.start(extraArgs...)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(extraArgs ...string) {
	s.t.Helper()
	args := append([]string{
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}, extraArgs...)
	s.cmd = exec.CommandContext(context.Background(), binary(s.t, "redis-server"), args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	waitPing(s.t, s.Addr)
}

// Stop kills the server (a crash, not a shutdown) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_, _ = s.cmd.Process.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

func waitPing(t testing.TB, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer func() { _ = c.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer within 10s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Cluster is a three-master Redis Cluster on loopback.
type Cluster struct {
	Nodes []*Server
}

// Addrs lists the nodes' addresses, the REDIS_ADDRS of the services.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// StartCluster starts three cluster-enabled servers and joins them with
// `redis-cli --cluster create`.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range 3 {
		dir := t.TempDir()
		c.Nodes = append(c.Nodes, Start(t,
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "2000",
		))
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(context.Background(), binary(t, "redis-cli"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("creating redis cluster: %v\n%s", err, out)
	}
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer func() { _ = cl.Close() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := cl.ClusterInfo(context.Background()).Result()
		if err == nil && containsLine(info, "cluster_state:ok") {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis cluster not ok within 15s: %v %s", err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func containsLine(s, line string) bool {
	return slices.Contains(strings.Split(strings.ReplaceAll(s, "\r", ""), "\n"), line)
}

// String describes the server in failure messages.
func (s *Server) String() string { return fmt.Sprintf("redis-server %s", s.Addr) }
