// Package config holds the gateway's Settings, read once from the environment.
package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/football-tracker/backend/pkg/config"

	"github.com/football-tracker/backend/services/gateway/internal/clientip"
)

// Settings is every variable the gateway reads.
type Settings struct {
	config.Server
	config.Redis

	CacheURL   string `env:"CACHE_URL" envDefault:"http://localhost:8082"`
	AdapterURL string `env:"ADAPTER_URL" envDefault:"http://localhost:8081"`

	JWTSecret   string        `env:"JWT_SECRET,required"`
	JWTIssuer   string        `env:"JWT_ISSUER" envDefault:"football-tracker"`
	JWTAudience string        `env:"JWT_AUDIENCE" envDefault:"football-tracker-clients"`
	JWTTTL      time.Duration `env:"JWT_TTL" envDefault:"24h"`
	RefreshTTL  time.Duration `env:"REFRESH_TTL" envDefault:"720h"`
	AdminUser   string        `env:"ADMIN_USER,required"`
	AdminPass   string        `env:"ADMIN_PASS,required"`

	CORSAllowedOrigins []string      `env:"CORS_ALLOWED_ORIGINS"`
	RateLimitConfig    string        `env:"RATE_LIMIT_CONFIG"`
	ClientCredentials  string        `env:"CLIENT_CREDENTIALS"`
	TrustedProxies     []string      `env:"TRUSTED_PROXIES"`
	RateLimitFailMode  string        `env:"RATE_LIMIT_FAIL_MODE" envDefault:"open"`
	MaxBodyBytes       int           `env:"MAX_BODY_BYTES" envDefault:"16384"`
	LeaguesConfig      string        `env:"LEAGUES_CONFIG"`
	UpstreamTimeout    time.Duration `env:"UPSTREAM_TIMEOUT" envDefault:"10s"`

	// LoginPerIPPerMinute and LoginPerUserPerMinute bound password guessing: login
	// attempts from one client IP and against one username.
	LoginPerIPPerMinute   int `env:"LOGIN_RATE_PER_IP" envDefault:"20"`
	LoginPerUserPerMinute int `env:"LOGIN_RATE_PER_USER" envDefault:"5"`
	// TokenCacheSize bounds the LRU of verified access tokens (one entry ≈ 300 B).
	TokenCacheSize int `env:"TOKEN_CACHE_SIZE" envDefault:"16384"`

	// ResponseCacheSize bounds the entries of the in-process cache of hot cache-service
	// answers; 0 disables it. ResponseCacheTTL caps how long one is kept (the cache
	// service's max-age is shorter near an entry's expiry): an invalidation made through
	// another replica shows here within it. ResponseCacheMaxBytes bounds the bodies kept.
	ResponseCacheSize     int           `env:"RESPONSE_CACHE_SIZE" envDefault:"1024"`
	ResponseCacheTTL      time.Duration `env:"RESPONSE_CACHE_TTL" envDefault:"2s"`
	ResponseCacheMaxBytes int           `env:"RESPONSE_CACHE_MAX_BYTES" envDefault:"16777216"`
}

// Validate checks what the tags cannot.
func (s *Settings) Validate() error {
	if err := s.Server.Validate(); err != nil {
		return err
	}
	if err := s.Redis.Validate(); err != nil {
		return err
	}
	for name, v := range map[string]string{"CACHE_URL": s.CacheURL, "ADAPTER_URL": s.AdapterURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config.Invalid(name, "must be an http(s) URL")
		}
	}
	if len(s.JWTSecret) < 32 {
		return config.Invalid("JWT_SECRET", "must be at least 32 bytes, got %d", len(s.JWTSecret))
	}
	if s.JWTTTL <= 0 || s.JWTTTL > 7*24*time.Hour {
		return config.Invalid("JWT_TTL", "must be between 0 and 168h")
	}
	if s.RefreshTTL <= s.JWTTTL {
		return config.Invalid("REFRESH_TTL", "must be longer than JWT_TTL")
	}
	if len(s.AdminPass) < 12 {
		return config.Invalid("ADMIN_PASS", "must be at least 12 characters")
	}
	for _, o := range s.CORSAllowedOrigins {
		if o == "*" {
			return config.Invalid("CORS_ALLOWED_ORIGINS", "a wildcard is not allowed: list the origins")
		}
		if !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "chrome-extension://") {
			return config.Invalid("CORS_ALLOWED_ORIGINS", "%q is not an origin (scheme://host)", o)
		}
	}
	switch s.RateLimitFailMode {
	case "open", "closed":
	default:
		return config.Invalid("RATE_LIMIT_FAIL_MODE", "must be open or closed, got %q", s.RateLimitFailMode)
	}
	if s.MaxBodyBytes < 256 || s.MaxBodyBytes > 10<<20 {
		return config.Invalid("MAX_BODY_BYTES", "must be between 256 and 10485760")
	}
	if s.LoginPerIPPerMinute < 1 || s.LoginPerIPPerMinute > 10000 {
		return config.Invalid("LOGIN_RATE_PER_IP", "must be between 1 and 10000")
	}
	if s.LoginPerUserPerMinute < 1 || s.LoginPerUserPerMinute > 10000 {
		return config.Invalid("LOGIN_RATE_PER_USER", "must be between 1 and 10000")
	}
	if s.TokenCacheSize < 0 || s.TokenCacheSize > 10_000_000 {
		return config.Invalid("TOKEN_CACHE_SIZE", "must be between 0 and 10000000")
	}
	if s.ResponseCacheSize < 0 || s.ResponseCacheSize > 1_000_000 {
		return config.Invalid("RESPONSE_CACHE_SIZE", "must be between 0 (off) and 1000000")
	}
	if s.ResponseCacheSize > 0 {
		if s.ResponseCacheTTL <= 0 || s.ResponseCacheTTL > time.Minute {
			return config.Invalid("RESPONSE_CACHE_TTL", "must be between 0 and 1m: it is how late an invalidation through another replica shows")
		}
		if s.ResponseCacheMaxBytes < 1<<16 || s.ResponseCacheMaxBytes > 1<<30 {
			return config.Invalid("RESPONSE_CACHE_MAX_BYTES", "must be between 65536 and 1073741824")
		}
	}
	for _, p := range s.TrustedProxies {
		if _, err := clientip.ParseTrusted([]string{p}); err != nil {
			return config.Invalid("TRUSTED_PROXIES", "%q is neither an IP nor a CIDR", p)
		}
	}
	if s.UpstreamTimeout <= 0 {
		return config.Invalid("UPSTREAM_TIMEOUT", "must be positive")
	}
	return nil
}
