package config

import (
	"time"
)

// Server holds the settings every HTTP service shares. Services embed it; the env
// library flattens embedded structs, so the variables keep their plain names.
type Server struct {
	Port            int           `env:"PORT" envDefault:"8080"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s"`
	// DrainDelay is how long a terminating instance keeps serving (answering with
	// Connection: close and failing readiness) before it closes its listener, so load
	// balancers and keep-alive clients move away before any connection is cut.
	DrainDelay time.Duration `env:"SHUTDOWN_DRAIN_DELAY" envDefault:"1s"`
	LogLevel   string        `env:"LOG_LEVEL" envDefault:"info"`
	Version    string        `env:"SERVICE_VERSION" envDefault:"dev"`
}

// Validate checks the shared server settings.
func (s Server) Validate() error {
	if s.Port < 1 || s.Port > 65535 {
		return Invalid("PORT", "must be between 1 and 65535, got %d", s.Port)
	}
	if s.ShutdownTimeout <= 0 || s.ShutdownTimeout > 5*time.Minute {
		return Invalid("SHUTDOWN_TIMEOUT", "must be between 0s and 5m, got %s", s.ShutdownTimeout)
	}
	if s.DrainDelay < 0 || s.DrainDelay >= s.ShutdownTimeout {
		return Invalid("SHUTDOWN_DRAIN_DELAY", "must be at least 0s and shorter than SHUTDOWN_TIMEOUT (%s), got %s", s.ShutdownTimeout, s.DrainDelay)
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return Invalid("LOG_LEVEL", "must be one of debug, info, warn, error, got %q", s.LogLevel)
	}
	return nil
}

// Redis holds the settings of the Redis connection shared by gateway and cache.
type Redis struct {
	URL         string        `env:"REDIS_URL"`
	Addrs       []string      `env:"REDIS_ADDRS"`
	Password    string        `env:"REDIS_PASSWORD"`
	KeyPrefix   string        `env:"REDIS_KEY_PREFIX" envDefault:"ft:"`
	DialTimeout time.Duration `env:"REDIS_DIAL_TIMEOUT" envDefault:"500ms"`
	ReadTimeout time.Duration `env:"REDIS_TIMEOUT" envDefault:"250ms"`
	PoolSize    int           `env:"REDIS_POOL_SIZE" envDefault:"0"`
}

// Validate checks that exactly one way to reach Redis is given.
func (r Redis) Validate() error {
	if r.URL != "" && len(r.Addrs) > 0 {
		return Invalid("REDIS_ADDRS", "set either REDIS_URL (one server) or REDIS_ADDRS (cluster), not both")
	}
	if r.URL == "" && len(r.Addrs) == 0 {
		return Invalid("REDIS_URL", "is required (or REDIS_ADDRS for Redis Cluster)")
	}
	if r.DialTimeout <= 0 {
		return Invalid("REDIS_DIAL_TIMEOUT", "must be positive")
	}
	if r.ReadTimeout <= 0 {
		return Invalid("REDIS_TIMEOUT", "must be positive")
	}
	if r.PoolSize < 0 {
		return Invalid("REDIS_POOL_SIZE", "must not be negative")
	}
	return nil
}
