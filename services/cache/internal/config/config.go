// Package config holds the cache service's Settings, read once from the environment.
package config

import (
	"net/url"
	"time"

	"github.com/football-tracker/backend/pkg/config"
)

// Settings is every variable the cache service reads.
type Settings struct {
	config.Server
	config.Redis

	AdapterURL      string         `env:"ADAPTER_URL" envDefault:"http://localhost:8081"`
	TTLMatches      config.Seconds `env:"CACHE_TTL_MATCHES" envDefault:"60"`
	TTLMatch        config.Seconds `env:"CACHE_TTL_MATCH" envDefault:"120"`
	TTLLeagues      config.Seconds `env:"CACHE_TTL_LEAGUES" envDefault:"3600"`
	TTLTeams        config.Seconds `env:"CACHE_TTL_TEAMS" envDefault:"3600"`
	StaleTTL        config.Seconds `env:"CACHE_STALE_TTL" envDefault:"600"`
	MaxEntryBytes   int            `env:"CACHE_MAX_ENTRY_BYTES" envDefault:"1048576"`
	UpstreamTimeout time.Duration  `env:"UPSTREAM_TIMEOUT" envDefault:"10s"`
	LeaguesConfig   string         `env:"LEAGUES_CONFIG"`
}

// Validate checks what the tags cannot.
func (s *Settings) Validate() error {
	if err := s.Server.Validate(); err != nil {
		return err
	}
	if err := s.Redis.Validate(); err != nil {
		return err
	}
	if u, err := url.Parse(s.AdapterURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config.Invalid("ADAPTER_URL", "must be an http(s) URL")
	}
	for name, v := range map[string]config.Seconds{
		"CACHE_TTL_MATCHES": s.TTLMatches, "CACHE_TTL_MATCH": s.TTLMatch,
		"CACHE_TTL_LEAGUES": s.TTLLeagues, "CACHE_TTL_TEAMS": s.TTLTeams,
	} {
		if v.Duration() <= 0 || v.Duration() > 7*24*time.Hour {
			return config.Invalid(name, "must be between 0 and 7 days")
		}
	}
	if s.StaleTTL.Duration() < 0 {
		return config.Invalid("CACHE_STALE_TTL", "must not be negative")
	}
	if s.MaxEntryBytes <= 0 {
		return config.Invalid("CACHE_MAX_ENTRY_BYTES", "must be positive")
	}
	if s.UpstreamTimeout <= 0 {
		return config.Invalid("UPSTREAM_TIMEOUT", "must be positive")
	}
	return nil
}
