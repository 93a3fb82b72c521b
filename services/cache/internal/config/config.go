// Package config holds the cache service's Settings, read once from the environment.
package config

import (
	"net/url"
	"time"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/leagues"
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
	DefaultLeague   string         `env:"DEFAULT_LEAGUE" envDefault:"bl1"`

	// StaleIfErrorTTL is how long past its TTL an entry may still stand in for a
	// failing adapter (CACHE_STALE_TTL is the shorter window in which it is served at
	// once while a background refresh runs).
	StaleIfErrorTTL config.Seconds `env:"CACHE_STALE_IF_ERROR_TTL" envDefault:"3600"`
	// WaitTimeout bounds how long a request waits on a fetch it did not start: another
	// replica's (then it fetches itself) or a slow adapter while a stale copy exists
	// (then it gets the stale copy).
	WaitTimeout config.Seconds `env:"CACHE_WAIT_TIMEOUT" envDefault:"2"`
	// RedisBreakerCooldown is how long the cache serves uncached after Redis failed
	// before it tries Redis again.
	RedisBreakerCooldown config.Seconds `env:"CACHE_REDIS_BREAKER_COOLDOWN" envDefault:"5"`
}

// Leagues loads the league registry and checks DEFAULT_LEAGUE against it.
func (s *Settings) Leagues() (*leagues.Registry, error) {
	reg, err := leagues.Load(s.LeaguesConfig)
	if err != nil {
		return nil, config.Invalid("LEAGUES_CONFIG", "%v", err)
	}
	if !reg.Has(s.DefaultLeague) {
		return nil, config.Invalid("DEFAULT_LEAGUE", "%q is not in the league registry", s.DefaultLeague)
	}
	return reg, nil
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
	for name, v := range map[string]config.Seconds{
		"CACHE_STALE_TTL": s.StaleTTL, "CACHE_STALE_IF_ERROR_TTL": s.StaleIfErrorTTL,
	} {
		if v.Duration() < 0 || v.Duration() > 7*24*time.Hour {
			return config.Invalid(name, "must be between 0 and 7 days")
		}
	}
	for name, v := range map[string]config.Seconds{
		"CACHE_WAIT_TIMEOUT": s.WaitTimeout, "CACHE_REDIS_BREAKER_COOLDOWN": s.RedisBreakerCooldown,
	} {
		if v.Duration() <= 0 || v.Duration() > 5*time.Minute {
			return config.Invalid(name, "must be between 0 and 5 minutes")
		}
	}
	if s.MaxEntryBytes <= 0 {
		return config.Invalid("CACHE_MAX_ENTRY_BYTES", "must be positive")
	}
	if s.UpstreamTimeout <= 0 {
		return config.Invalid("UPSTREAM_TIMEOUT", "must be positive")
	}
	return nil
}
