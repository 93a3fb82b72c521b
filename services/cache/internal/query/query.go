// Package query validates the cache's request parameters and turns them into the
// canonical form that names a cache entry. Only values that passed validation (a league
// from the registry, numbers in range, a status from the enum, an id of the documented
// shape) ever reach a Redis key or the adapter's URL, so a client cannot choose key
// bytes or grow the keyspace without bound.
package query

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/leagues"
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

// Season bounds: four-digit start years. The lower bound is older than any league the
// registry can hold at either provider; the upper one leaves room for fixtures announced
// years ahead without letting a client mint unbounded keys.
const (
	MinSeason   = 1900
	MaxSeason   = 2100
	MaxMatchday = 60
)

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
	VisitAll(f func(key, value []byte))
}

// Parser validates queries against a league registry.
type Parser struct {
	registry      *leagues.Registry
	defaultLeague string
}

// NewParser returns a parser; defaultLeague fills in an absent league so that the
// same answer is cached under one key whether or not the client named the default.
func NewParser(registry *leagues.Registry, defaultLeague string) *Parser {
	return &Parser{registry: registry, defaultLeague: defaultLeague}
}

// allowed lists each resource's parameters in canonical (sorted) order.
var allowed = map[Resource][]string{
	Matches: {"date", "league", "matchday", "season", "status"},
	Teams:   {"league", "season"},
	Leagues: {},
	Match:   {},
}

var datePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// Parse validates the parameters of a request for r (id is the path id of Match) and
// returns its canonical form, or a VALIDATION_ERROR naming every bad field.
func (p *Parser) Parse(r Resource, id string, args Args) (Query, *envelope.Error) {
	names := allowed[r]
	values := make([]string, len(names))
	seen := make([]bool, len(names))
	var details []envelope.FieldError
	args.VisitAll(func(k, v []byte) {
		i := slices.Index(names, string(k))
		if i < 0 {
			details = append(details, envelope.FieldError{Field: fieldName(k), Message: "unknown parameter"})
			return
		}
		if seen[i] {
			details = append(details, envelope.FieldError{Field: names[i], Message: "given more than once"})
			return
		}
		seen[i] = true
		values[i] = string(v)
	})
	q := Query{Resource: r}
	if r == Match {
		if !domain.IDPattern.MatchString(id) {
			details = append(details, envelope.FieldError{Field: "id", Message: "must look like sm-123 or ol-123"})
		}
		q.ID = id
		q.Canonical = "id=" + id
	}
	var b strings.Builder
	for i, name := range names {
		v, msg := p.normalise(name, values[i])
		if msg != "" {
			details = append(details, envelope.FieldError{Field: name, Message: msg})
			continue
		}
		if name == "league" {
			q.League = v
		}
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	if len(details) > 0 {
		return Query{}, envelope.Validation(details...)
	}
	switch {
	case r == Leagues:
		q.Canonical = "all"
	case r != Match:
		q.Canonical = b.String()
	}
	return q, nil
}

// normalise returns the canonical value of one parameter, "" for an absent optional
// one, or a message saying why the value is refused.
func (p *Parser) normalise(name, v string) (string, string) {
	switch name {
	case "league":
		if v == "" {
			return p.defaultLeague, ""
		}
		v = strings.ToLower(v)
		if !p.registry.Has(v) {
			return "", "unknown league"
		}
		return v, ""
	case "season":
		if v == "" {
			return "", ""
		}
		n, ok := number(v, 4)
		if !ok || len(v) != 4 || n < MinSeason || n > MaxSeason {
			return "", "must be a year between " + strconv.Itoa(MinSeason) + " and " + strconv.Itoa(MaxSeason)
		}
		return v, ""
	case "matchday":
		if v == "" {
			return "", ""
		}
		n, ok := number(v, 2)
		if !ok || n < 1 || n > MaxMatchday {
			return "", "must be a number between 1 and " + strconv.Itoa(MaxMatchday)
		}
		return strconv.Itoa(n), ""
	case "date":
		if v == "" {
			return "", ""
		}
		if !datePattern.MatchString(v) {
			return "", "must be a date like 2025-08-22"
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return "", "must be a date like 2025-08-22"
		}
		return v, ""
	case "status":
		if v == "" {
			return "", ""
		}
		v = strings.ToLower(v)
		if !domain.Status(v).Valid() {
			return "", "must be one of " + statusList
		}
		return v, ""
	}
	return "", "unknown parameter"
}

var statusList = func() string {
	s := make([]string, len(domain.Statuses))
	for i, st := range domain.Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}()

// number parses up to maxDigits ASCII digits.
func number(v string, maxDigits int) (int, bool) {
	if v == "" || len(v) > maxDigits {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

var fieldPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,32}$`)

// fieldName echoes an unknown parameter's name only when it is short and plain, so an
// error answer never reflects arbitrary client bytes.
func fieldName(k []byte) string {
	if fieldPattern.Match(k) {
		return string(k)
	}
	return "query"
}
