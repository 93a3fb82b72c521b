// Package limitconfig is the rate-limit file format (RATE_LIMIT_CONFIG) shared by its
// writer, the controller, and its reader, the gateway: the tier defaults and the
// per-client overrides, with parsing, validation and a deterministic rendering.
package limitconfig

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"sigs.k8s.io/yaml"
)

// Tier is a rate-limit tier.
type Tier string

// The tiers of DESIGN.md.
const (
	TierAnonymous Tier = "anonymous"
	TierUser      Tier = "user"
	TierAdmin     Tier = "admin"
)

// Tiers lists the tiers in order.
var Tiers = []Tier{TierAnonymous, TierUser, TierAdmin}

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool { return slices.Contains(Tiers, t) }

// Bounds of a limit; the CRD enforces the same.
const (
	MaxPerMinute = 1_000_000
	MaxPerDay    = 100_000_000
)

// Limits are the two windows enforced on every request.
type Limits struct {
	PerMinute int `json:"perMinute"`
	PerDay    int `json:"perDay"`
}

// Client is one client's entry: its tier and optional overrides.
type Client struct {
	Tier      Tier `json:"tier"`
	PerMinute int  `json:"perMinute,omitempty"`
	PerDay    int  `json:"perDay,omitempty"`
	Suspended bool `json:"suspended,omitempty"`
}

// Config is the whole file.
type Config struct {
	Tiers   map[Tier]Limits   `json:"tiers"`
	Clients map[string]Client `json:"clients,omitempty"`
}

// Defaults returns the tier defaults of DESIGN.md with no clients.
func Defaults() Config {
	return Config{Tiers: map[Tier]Limits{
		TierAnonymous: {PerMinute: 60, PerDay: 1_000},
		TierUser:      {PerMinute: 100, PerDay: 10_000},
		TierAdmin:     {PerMinute: 200, PerDay: 50_000},
	}}
}

// clientName is a Kubernetes object name: it is also a JWT sub and part of a Redis key.
var clientName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// ValidClientName reports whether name may name a client.
func ValidClientName(name string) bool { return clientName.MatchString(name) }

// Parse reads a YAML or JSON file; tiers the file leaves out keep their defaults.
// Unknown fields are refused so that a typo is an error, not a silent default.
func Parse(raw []byte) (Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return Config{}, fmt.Errorf("parsing rate-limit config: %w", err)
	}
	def := Defaults()
	if c.Tiers == nil {
		c.Tiers = def.Tiers
	}
	for _, t := range Tiers {
		if _, ok := c.Tiers[t]; !ok {
			c.Tiers[t] = def.Tiers[t]
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks every tier and client.
func (c Config) Validate() error {
	var errs []error
	for _, t := range slices.Sorted(maps.Keys(c.Tiers)) {
		if !t.Valid() {
			errs = append(errs, fmt.Errorf("tiers: unknown tier %q", t))
			continue
		}
		if err := validateLimits(c.Tiers[t].PerMinute, c.Tiers[t].PerDay, true); err != nil {
			errs = append(errs, fmt.Errorf("tiers.%s: %w", t, err))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Clients)) {
		cl := c.Clients[name]
		if !ValidClientName(name) {
			errs = append(errs, fmt.Errorf("clients: %q is not a valid client name", name))
		}
		if !cl.Tier.Valid() {
			errs = append(errs, fmt.Errorf("clients.%s: unknown tier %q", name, cl.Tier))
		}
		if err := validateLimits(cl.PerMinute, cl.PerDay, false); err != nil {
			errs = append(errs, fmt.Errorf("clients.%s: %w", name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("validating rate-limit config: %w", errors.Join(errs...))
	}
	return nil
}

func validateLimits(perMinute, perDay int, required bool) error {
	if required && (perMinute == 0 || perDay == 0) {
		return errors.New("perMinute and perDay are required")
	}
	if perMinute < 0 || perMinute > MaxPerMinute {
		return fmt.Errorf("perMinute must be between 1 and %d, got %d", MaxPerMinute, perMinute)
	}
	if perDay < 0 || perDay > MaxPerDay {
		return fmt.Errorf("perDay must be between 1 and %d, got %d", MaxPerDay, perDay)
	}
	return nil
}

// Effective returns the limits that apply to a client: its tier's, with its overrides.
func (c Config) Effective(cl Client) Limits {
	l := c.Tiers[cl.Tier]
	if cl.PerMinute > 0 {
		l.PerMinute = cl.PerMinute
	}
	if cl.PerDay > 0 {
		l.PerDay = cl.PerDay
	}
	return l
}

// Render writes the config as YAML. Map keys come out sorted, so the same config always
// renders to the same bytes and the controller can skip writes that change nothing.
func (c Config) Render() ([]byte, error) {
	out, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("rendering rate-limit config: %w", err)
	}
	return out, nil
}
