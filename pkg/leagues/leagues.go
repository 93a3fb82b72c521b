// Package leagues is the league registry: the allow-list of competitions the API serves
// and how each is named at every provider. An unknown league is refused before any
// upstream call.
package leagues

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/football-tracker/backend/pkg/domain"
)

// ErrUnknown is returned when a shortcut is not in the registry.
var ErrUnknown = errors.New("unknown league")

// shortcutPattern bounds what a shortcut may look like; it ends up in cache keys and
// upstream paths, so it is kept short and plain.
var shortcutPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)

// Entry is one league of the registry.
type Entry struct {
	Shortcut string `json:"shortcut"`
	Name     string `json:"name"`
	Country  string `json:"country"`
	// SportMonksID is the league's id at SportMonks; 0 means SportMonks is not used.
	SportMonksID int `json:"sportmonksId,omitempty"`
	// OpenLigaDB is the league's shortcut at OpenLigaDB; empty means not used.
	OpenLigaDB string `json:"openligadb,omitempty"`
}

// League is the entry as the domain model exposes it.
func (e Entry) League() domain.League {
	return domain.League{
		Shortcut: e.Shortcut,
		Name:     e.Name,
		Country:  e.Country,
		ProviderIDs: domain.ProviderIDs{
			SportMonks: e.SportMonksID,
			OpenLigaDB: e.OpenLigaDB,
		},
	}
}

// Registry is an immutable set of leagues keyed by shortcut.
type Registry struct {
	byShortcut map[string]Entry
	order      []string
}

// New builds a registry from entries after validating them.
func New(entries []Entry) (*Registry, error) {
	r := &Registry{byShortcut: make(map[string]Entry, len(entries))}
	for i, e := range entries {
		if !shortcutPattern.MatchString(e.Shortcut) {
			return nil, fmt.Errorf("league %d: shortcut %q must match %s", i, e.Shortcut, shortcutPattern)
		}
		if _, dup := r.byShortcut[e.Shortcut]; dup {
			return nil, fmt.Errorf("league %q listed twice", e.Shortcut)
		}
		if e.Name == "" {
			return nil, fmt.Errorf("league %q: name is required", e.Shortcut)
		}
		if e.SportMonksID < 0 {
			return nil, fmt.Errorf("league %q: sportmonksId must not be negative", e.Shortcut)
		}
		if e.SportMonksID == 0 && e.OpenLigaDB == "" {
			return nil, fmt.Errorf("league %q: needs a sportmonksId or an openligadb shortcut", e.Shortcut)
		}
		if e.OpenLigaDB != "" && !shortcutPattern.MatchString(e.OpenLigaDB) {
			return nil, fmt.Errorf("league %q: openligadb shortcut %q must match %s", e.Shortcut, e.OpenLigaDB, shortcutPattern)
		}
		r.byShortcut[e.Shortcut] = e
		r.order = append(r.order, e.Shortcut)
	}
	if len(r.order) == 0 {
		return nil, errors.New("the registry lists no league")
	}
	return r, nil
}

// Lookup returns the league with the shortcut or ErrUnknown.
func (r *Registry) Lookup(shortcut string) (Entry, error) {
	e, ok := r.byShortcut[shortcut]
	if !ok {
		return Entry{}, fmt.Errorf("%w: %q", ErrUnknown, shortcut)
	}
	return e, nil
}

// Has reports whether the shortcut is allowed.
func (r *Registry) Has(shortcut string) bool {
	_, ok := r.byShortcut[shortcut]
	return ok
}

// Entries lists the leagues in registry order.
func (r *Registry) Entries() []Entry {
	out := make([]Entry, 0, len(r.order))
	for _, s := range r.order {
		out = append(out, r.byShortcut[s])
	}
	return out
}

// Shortcuts lists the allowed shortcuts, sorted.
func (r *Registry) Shortcuts() []string {
	out := slices.Clone(r.order)
	slices.Sort(out)
	return out
}

// file is the LEAGUES_CONFIG format: YAML or JSON.
type file struct {
	Leagues []Entry `json:"leagues"`
}

// Load reads a registry file; an empty path gives the built-in registry.
func Load(path string) (*Registry, error) {
	if path == "" {
		return Builtin(), nil
	}
	raw, err := os.ReadFile(path) //nolint:gosec // the operator names this file in LEAGUES_CONFIG
	if err != nil {
		return nil, fmt.Errorf("reading league registry: %w", err)
	}
	return Parse(raw)
}

// Parse reads a registry from YAML or JSON; unknown fields are refused so that a typo
// does not silently drop a setting.
func Parse(raw []byte) (*Registry, error) {
	var f file
	if err := yaml.UnmarshalStrict(raw, &f); err != nil {
		return nil, fmt.Errorf("parsing league registry: %w", err)
	}
	r, err := New(f.Leagues)
	if err != nil {
		return nil, fmt.Errorf("validating league registry: %w", err)
	}
	return r, nil
}
