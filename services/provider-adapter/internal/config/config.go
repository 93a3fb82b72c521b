// Package config holds the provider-adapter's Settings, read once from the environment.
package config

import (
	"net/url"
	"time"

	"github.com/football-tracker/backend/pkg/config"
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
}

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
	if s.UpstreamBudget < s.UpstreamTimeout {
		return config.Invalid("UPSTREAM_BUDGET", "must be at least UPSTREAM_TIMEOUT")
	}
	return nil
}
