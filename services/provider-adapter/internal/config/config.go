// Package config holds the provider-adapter's Settings, read once from the environment.
package config

import (
	"net/url"
	"time"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/leagues"
)

// Settings is every variable the provider-adapter reads.
type Settings struct {
	config.Server

	SportMonksToken   string        `env:"SPORTMONKS_API_TOKEN"`
	SportMonksBaseURL string        `env:"SPORTMONKS_BASE_URL" envDefault:"https://api.sportmonks.com"`
	OpenLigaDBBaseURL string        `env:"OPENLIGADB_BASE_URL" envDefault:"https://api.openligadb.de"`
	DefaultLeague     string        `env:"DEFAULT_LEAGUE" envDefault:"bl1"`
	LeaguesConfig     string        `env:"LEAGUES_CONFIG"`
	UpstreamTimeout   time.Duration `env:"UPSTREAM_TIMEOUT" envDefault:"3s"`
	UpstreamBudget    time.Duration `env:"UPSTREAM_BUDGET" envDefault:"8s"`
	// BreakerFailures consecutive failures of a provider open its circuit breaker.
	BreakerFailures uint32 `env:"BREAKER_FAILURES" envDefault:"5"`
	// BreakerOpenDuration is how long an open breaker waits before one probe request.
	BreakerOpenDuration time.Duration `env:"BREAKER_OPEN_DURATION" envDefault:"30s"`

	registry *leagues.Registry
}

// Registry is the league registry Validate loaded (built-in or LEAGUES_CONFIG).
func (s *Settings) Registry() *leagues.Registry { return s.registry }

// Validate checks what the tags cannot.
func (s *Settings) Validate() error {
	if err := s.Server.Validate(); err != nil {
		return err
	}
	for name, v := range map[string]string{"SPORTMONKS_BASE_URL": s.SportMonksBaseURL, "OPENLIGADB_BASE_URL": s.OpenLigaDBBaseURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config.Invalid(name, "must be an http(s) URL")
		}
	}
	if s.UpstreamTimeout <= 0 || s.UpstreamTimeout > time.Minute {
		return config.Invalid("UPSTREAM_TIMEOUT", "must be between 0 and 1m")
	}
	if s.UpstreamBudget < s.UpstreamTimeout || s.UpstreamBudget > 5*time.Minute {
		return config.Invalid("UPSTREAM_BUDGET", "must be at least UPSTREAM_TIMEOUT and at most 5m")
	}
	if s.BreakerFailures < 1 || s.BreakerFailures > 1000 {
		return config.Invalid("BREAKER_FAILURES", "must be between 1 and 1000")
	}
	if s.BreakerOpenDuration < 100*time.Millisecond || s.BreakerOpenDuration > time.Hour {
		return config.Invalid("BREAKER_OPEN_DURATION", "must be between 100ms and 1h")
	}
	reg, err := leagues.Load(s.LeaguesConfig)
	if err != nil {
		return config.Invalid("LEAGUES_CONFIG", "%v", err)
	}
	if !reg.Has(s.DefaultLeague) {
		return config.Invalid("DEFAULT_LEAGUE", "must be a league of the registry (%v)", reg.Shortcuts())
	}
	s.registry = reg
	return nil
}
