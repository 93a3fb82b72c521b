// Package redisclient builds the one Redis client constructor the services share: a
// single server from REDIS_URL (redis:// or rediss://) or a Redis Cluster from
// REDIS_ADDRS, traced with redisotel.
package redisclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"

	"github.com/football-tracker/backend/pkg/config"
)

// New returns a UniversalClient for the settings. It does not dial: services start and
// report Redis as down rather than refusing to start when Redis is late.
func New(s config.Redis) (redis.UniversalClient, error) {
	var client redis.UniversalClient
	switch {
	case len(s.Addrs) > 0:
		client = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:        s.Addrs,
			Password:     s.Password,
			DialTimeout:  s.DialTimeout,
			ReadTimeout:  s.ReadTimeout,
			WriteTimeout: s.ReadTimeout,
			PoolSize:     s.PoolSize,
			MaxRetries:   1,
			// go-redis retries a failed dial five times by default, so every call against
			// a dead server would wait far longer than REDIS_DIAL_TIMEOUT.
			DialerRetries: 1,
		})
	case s.URL != "":
		opts, err := redis.ParseURL(s.URL)
		if err != nil {
			// The URL may hold a password: name the variable, not the value.
			return nil, errors.New("parsing REDIS_URL: not a valid redis:// or rediss:// URL")
		}
		if s.Password != "" {
			opts.Password = s.Password
		}
		opts.DialTimeout = s.DialTimeout
		opts.ReadTimeout = s.ReadTimeout
		opts.WriteTimeout = s.ReadTimeout
		if s.PoolSize > 0 {
			opts.PoolSize = s.PoolSize
		}
		// One retry hides a dropped pooled connection; more would multiply the latency a
		// caller waits for when Redis is really gone.
		opts.MaxRetries = 1
		opts.DialerRetries = 1
		client = redis.NewClient(opts)
	default:
		return nil, errors.New("no Redis configured: set REDIS_URL or REDIS_ADDRS")
	}
	if err := redisotel.InstrumentTracing(client, redisotel.WithDBStatement(false),
		// Looking up the calling file and line costs a stack walk per command on the hot path.
		redisotel.WithCallerEnabled(false)); err != nil {
		return nil, fmt.Errorf("instrumenting redis client: %w", err)
	}
	return client, nil
}

// Ping is a health check for the client.
func Ping(client redis.UniversalClient) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		if err := client.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("pinging redis: %w", err)
		}
		return nil
	}
}
