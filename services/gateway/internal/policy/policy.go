// Package policy is the gateway's live view of who may do what: the rate-limit config
// (tiers, per-client overrides, suspensions) and the client credentials, both swapped
// atomically when their files change, read lock-free on every request.
package policy

import (
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/limitconfig"

	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
	"github.com/football-tracker/backend/services/gateway/internal/token"
)

type limits struct {
	cfg     limitconfig.Config
	tiers   map[limitconfig.Tier]ratelimit.Plan
	clients map[string]ratelimit.Plan
}

func compile(cfg limitconfig.Config) *limits {
	l := &limits{cfg: cfg, tiers: map[limitconfig.Tier]ratelimit.Plan{}, clients: map[string]ratelimit.Plan{}}
	for t, lim := range cfg.Tiers {
		l.tiers[t] = ratelimit.NewPlan(lim.PerMinute, lim.PerDay)
	}
	for name, cl := range cfg.Clients {
		eff := cfg.Effective(cl)
		l.clients[name] = ratelimit.NewPlan(eff.PerMinute, eff.PerDay)
	}
	return l
}

// Policy is safe for concurrent use.
type Policy struct {
	adminUser string
	limits    atomic.Pointer[limits]
	creds     atomic.Pointer[limitconfig.Credentials]
}

// New returns a policy with the tier defaults, no clients and no credentials.
func New(adminUser string) *Policy {
	p := &Policy{adminUser: adminUser}
	p.SetLimits(limitconfig.Defaults())
	p.SetCredentials(limitconfig.Credentials{})
	return p
}

// SetLimits installs a validated rate-limit config.
func (p *Policy) SetLimits(cfg limitconfig.Config) { p.limits.Store(compile(cfg)) }

// SetCredentials installs a validated credentials file.
func (p *Policy) SetCredentials(c limitconfig.Credentials) { p.creds.Store(&c) }

// LoadLimits parses, validates and installs a RATE_LIMIT_CONFIG file; on error the
// config in force is kept.
func (p *Policy) LoadLimits(raw []byte) error {
	cfg, err := limitconfig.Parse(raw)
	if err != nil {
		return err
	}
	p.SetLimits(cfg)
	return nil
}

// LoadCredentials parses and installs a CLIENT_CREDENTIALS file; on error the
// credentials in force are kept.
func (p *Policy) LoadCredentials(raw []byte) error {
	c, err := limitconfig.ParseCredentials(raw)
	if err != nil {
		return err
	}
	p.SetCredentials(c)
	return nil
}

// AdminUser is ADMIN_USER.
func (p *Policy) AdminUser() string { return p.adminUser }

// Anonymous is the plan of unauthenticated requests.
func (p *Policy) Anonymous() ratelimit.Plan {
	return p.limits.Load().tiers[limitconfig.TierAnonymous]
}

// PasswordHash returns the bcrypt hash of a client, if it has credentials.
func (p *Policy) PasswordHash(client string) (string, bool) {
	h, ok := (*p.creds.Load())[client]
	return h, ok
}

// HashCost is the bcrypt cost of the credentials in force (the first entry's; the
// controller writes them all alike), or bcrypt's default without credentials.
func (p *Policy) HashCost() int {
	for _, h := range *p.creds.Load() {
		if c, err := bcrypt.Cost([]byte(h)); err == nil {
			return c
		}
	}
	return bcrypt.DefaultCost
}

// Subject is what the policy says about an authenticated subject right now.
type Subject struct {
	// Known is false for a subject that is neither the admin nor a client with
	// credentials (deleted, or its Secret is missing): its tokens stop working.
	Known     bool
	Suspended bool
	// Role is the highest role the subject may hold now: admin for ADMIN_USER and for
	// clients whose tier is admin, user otherwise.
	Role string
	Tier limitconfig.Tier
	Plan ratelimit.Plan
}

// Lookup resolves sub against the config in force.
func (p *Policy) Lookup(sub string) Subject {
	l := p.limits.Load()
	cl, listed := l.cfg.Clients[sub]
	s := Subject{Tier: limitconfig.TierUser, Role: token.RoleUser}
	switch sub {
	case p.adminUser:
		s.Known, s.Role, s.Tier = true, token.RoleAdmin, limitconfig.TierAdmin
	default:
		_, s.Known = (*p.creds.Load())[sub]
		if listed && cl.Tier == limitconfig.TierAdmin {
			s.Role, s.Tier = token.RoleAdmin, limitconfig.TierAdmin
		}
	}
	s.Plan = l.tiers[s.Tier]
	if listed {
		s.Suspended = cl.Suspended
		if sub != p.adminUser {
			s.Tier = cl.Tier
		}
		s.Plan = l.clients[sub]
	}
	return s
}
