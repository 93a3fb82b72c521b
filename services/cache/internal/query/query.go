// Package query validates the cache's request parameters and turns them into the
// canonical form that names a cache entry. Only values that passed validation (a league
// from the registry, numbers in range, a status from the enum, an id of the documented
// shape) ever reach a Redis key or the adapter's URL, so a client cannot choose key
// bytes or grow the keyspace without bound.
package query

import (
	"slices"
	"time"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/leagues"
	rules "github.com/football-tracker/backend/pkg/query"
)

// Resource is one kind of cached answer; each has its own TTL and namespace.
type Resource string

// The cached resources.
const (
	Matches Resource = "matches"
	Match   Resource = "match"
	Leagues Resource = "leagues"
	Teams   Resource = "teams"
)

// Resources lists every resource in a stable order.
var Resources = []Resource{Matches, Match, Leagues, Teams}

// Valid reports whether r is a known resource.
func (r Resource) Valid() bool { return slices.Contains(Resources, r) }

// PerLeague reports whether the resource's entries are namespaced by league, so that
// invalidating one league leaves the others cached.
func (r Resource) PerLeague() bool { return r == Matches || r == Teams }

// Query is a validated, normalised request for one resource.
type Query struct {
	Resource Resource
	// League is the namespace league of per-league resources (defaulted when absent).
	League string
	// Canonical is the sorted `k=v&k=v` form of the parameters; it is both the
	// variable part of the cache key and the query string sent to the adapter.
	Canonical string
	// ID is the match id of the match resource.
	ID string
}

// Tag is the namespace the query's entry lives in: the Redis Cluster hash tag and the
// unit of invalidation.
func (q Query) Tag() string { return Tag(q.Resource, q.League) }

// Tag names a namespace: per-league resources get one per league.
func Tag(r Resource, league string) string {
	if r.PerLeague() {
		return string(r) + ":" + league
	}
	return string(r)
}

// Path is the adapter path (without the query string) that answers the query.
func (q Query) Path() string {
	if q.Resource == Match {
		return "/v1/matches/" + q.ID
	}
	return "/v1/" + string(q.Resource)
}

// RawQuery is the query string sent to the adapter.
func (q Query) RawQuery() string {
	if q.Resource == Match || q.Resource == Leagues {
		return ""
	}
	return q.Canonical
}

// Args is a parsed query string; fasthttp's Args (what fiber hands out) satisfies it.
type Args interface {
	QueryString() []byte
}

// Parser validates queries with the rules every service shares (pkg/query) and fills
// in the default league.
type Parser struct {
	specs         map[Resource]rules.Spec
	defaultLeague string
}

// NewParser returns a parser; defaultLeague fills in an absent league so that the
// same answer is cached under one key whether or not the client named the default.
func NewParser(registry *leagues.Registry, defaultLeague string) *Parser {
	return &Parser{
		specs: map[Resource]rules.Spec{
			Matches: rules.Matches(registry, time.Now),
			Teams:   rules.Teams(registry, time.Now),
			Leagues: rules.None,
			Match:   rules.None,
		},
		defaultLeague: defaultLeague,
	}
}

// Parse validates the parameters of a request for r (id is the path id of Match) and
// returns its canonical form, or a VALIDATION_ERROR naming every bad field.
func (p *Parser) Parse(r Resource, id string, args Args) (Query, *envelope.Error) {
	vals, verr := p.specs[r].Parse(args.QueryString())
	var details []envelope.FieldError
	if verr != nil {
		details = verr.Details
	}
	q := Query{Resource: r}
	if r == Match {
		if _, msg := rules.MatchID(id); msg != "" {
			details = append(details, envelope.FieldError{Field: "id", Message: msg})
		}
		q.ID = id
		q.Canonical = "id=" + id
	}
	if len(details) > 0 {
		return Query{}, envelope.Validation(details...)
	}
	if r.PerLeague() {
		if vals["league"] == "" {
			vals["league"] = p.defaultLeague
		}
		q.League = vals["league"]
	}
	switch r {
	case Leagues:
		q.Canonical = "all"
	case Matches, Teams:
		q.Canonical = vals.Encode()
	}
	return q, nil
}
