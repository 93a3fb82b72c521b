// Package query holds the data API's query parameters and the rules every service
// checks them with, so the gateway, the cache and the provider-adapter accept exactly
// the same requests and turn them into the same canonical form. Nothing a client typed
// reaches a cache key or an upstream URL without having passed these rules.
package query

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/leagues"
)

// Rule checks one value and returns its canonical form, or a message saying why it is
// refused. Messages never echo the value.
type Rule func(v string) (canonical string, msg string)

// Spec is the set of parameters an endpoint accepts.
type Spec map[string]Rule

// Values are the canonical values of the parameters a request gave.
type Values map[string]string

// MaxValueLen bounds any single value before a rule looks at it.
const MaxValueLen = 64

// Bounds shared by every service.
const (
	// MinSeason is the first season any provider serves.
	MinSeason = 2000
	// MaxMatchday is above the longest league season (38 match days) and cup formats.
	MaxMatchday = 60
)

// Matches is the spec of the match list: /api/v1/matches and /v1/matches.
func Matches(reg *leagues.Registry, now func() time.Time) Spec {
	return Spec{
		"league":   League(reg),
		"season":   Season(now),
		"date":     Date,
		"status":   Status,
		"matchday": IntRange(1, MaxMatchday),
	}
}

// Teams is the spec of the team list.
func Teams(reg *leagues.Registry, now func() time.Time) Spec {
	return Spec{"league": League(reg), "season": Season(now)}
}

// None is the spec of an endpoint that takes no query parameters.
var None = Spec{}

// Parse validates a raw (URL-encoded) query string against the spec and returns the
// canonical values, or a VALIDATION_ERROR naming each bad field. Unknown and repeated
// parameters are refused.
func (s Spec) Parse(rawQuery []byte) (Values, *envelope.Error) {
	vals := Values{}
	if len(rawQuery) == 0 {
		return vals, nil
	}
	var details []envelope.FieldError
	seen := make(map[string]bool, len(s))
	for part := range bytes.SplitSeq(rawQuery, []byte{'&'}) {
		if len(part) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(part, []byte{'='})
		key, err1 := url.QueryUnescape(string(k))
		val, err2 := url.QueryUnescape(string(v))
		if err1 != nil || err2 != nil {
			details = append(details, envelope.FieldError{Field: "query", Message: "is not a valid URL query"})
			continue
		}
		rule, ok := s[key]
		if !ok {
			details = append(details, envelope.FieldError{Field: FieldName(key), Message: "is not a known parameter"})
			continue
		}
		if seen[key] {
			details = append(details, envelope.FieldError{Field: key, Message: "must be given at most once"})
			continue
		}
		seen[key] = true
		if val == "" {
			// An empty value is an absent parameter: URL builders emit them.
			continue
		}
		if len(val) > MaxValueLen {
			details = append(details, envelope.FieldError{Field: key, Message: "is too long"})
			continue
		}
		canon, msg := rule(val)
		if msg != "" {
			details = append(details, envelope.FieldError{Field: key, Message: msg})
			continue
		}
		vals[key] = canon
	}
	if len(details) > 0 {
		return nil, envelope.Validation(details...)
	}
	return vals, nil
}

// Encode is the canonical query string: keys sorted, values canonical and escaped.
func (v Values) Encode() string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(v)) {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v[k]))
	}
	return b.String()
}

// FieldName keeps an unknown parameter's name out of an answer when it is not a plain
// identifier, so a response never reflects arbitrary client bytes.
func FieldName(key string) string {
	if len(key) == 0 || len(key) > 32 {
		return "query"
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "query"
		}
	}
	return key
}

// League accepts a shortcut of the registry, in any case.
func League(reg *leagues.Registry) Rule {
	return func(v string) (string, string) {
		v = strings.ToLower(v)
		if !reg.Has(v) {
			return "", "must be one of the supported leagues (see GET /api/v1/leagues)"
		}
		return v, ""
	}
}

// Season accepts a four-digit start year from MinSeason to next year, relative to now.
func Season(now func() time.Time) Rule {
	return func(v string) (string, string) {
		maxSeason := now().UTC().Year() + 1
		n, err := strconv.Atoi(v)
		if len(v) != 4 || err != nil || n < MinSeason || n > maxSeason {
			return "", fmt.Sprintf("must be a year between %d and %d", MinSeason, maxSeason)
		}
		return v, ""
	}
}

// Date accepts an ISO calendar date, YYYY-MM-DD.
func Date(v string) (string, string) {
	if len(v) != len(time.DateOnly) {
		return "", "must be a date like 2025-08-22"
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || d.Year() < MinSeason || d.Year() > 2100 {
		return "", "must be a date like 2025-08-22"
	}
	return d.Format(time.DateOnly), ""
}

// Status accepts a value of the match status enum, in any case.
func Status(v string) (string, string) {
	v = strings.ToLower(v)
	if !domain.Status(v).Valid() {
		return "", "must be one of scheduled, in_play, paused, finished, postponed, suspended, cancelled, awarded"
	}
	return v, ""
}

// IntRange accepts an integer in [lo, hi] without sign or leading zeros.
func IntRange(lo, hi int) Rule {
	msg := fmt.Sprintf("must be an integer between %d and %d", lo, hi)
	return func(v string) (string, string) {
		if v == "" || len(v) > 9 || v[0] == '0' || v[0] == '+' || v[0] == '-' {
			return "", msg
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return "", msg
		}
		return strconv.Itoa(n), ""
	}
}

// MatchID accepts a public match id.
func MatchID(v string) (string, string) {
	if len(v) > 20 || !domain.IDPattern.MatchString(v) {
		return "", "must be a match id like ol-66640 or sm-19134453"
	}
	return v, ""
}
