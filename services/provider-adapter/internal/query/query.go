// Package query holds what the adapter asks every provider, already validated: the
// league is a registry entry, the season a sane start year.
package query

import (
	"encoding/json"
	"time"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"
)

// Matches asks for the matches of one league and season, optionally narrowed.
type Matches struct {
	League leagues.Entry
	Season int
	// Matchday narrows to one match day; 0 means all.
	Matchday int
	// Date narrows to one UTC day; zero means any day.
	Date time.Time
	// Status narrows to one state; empty means any.
	Status domain.Status
}

// Keep reports whether a mapped match passes the narrowing filters. Providers that
// cannot filter upstream (or only partly) use it on their answer.
func (q Matches) Keep(m domain.Match) bool {
	if q.Matchday != 0 && m.Matchday != q.Matchday {
		return false
	}
	if !q.Date.IsZero() {
		y, mo, d := m.Kickoff.UTC().Date()
		qy, qmo, qd := q.Date.UTC().Date()
		if y != qy || mo != qmo || d != qd {
			return false
		}
	}
	if q.Status != "" && m.Status != q.Status {
		return false
	}
	return true
}

// Teams asks for the teams of one league and season.
type Teams struct {
	League leagues.Entry
	Season int
}

// Collect maps a provider's raw match list with parse and keeps what the query asks
// for: a record that does not map is reported to skipped and left out, never failing
// the whole answer; a match without a league gets the requested one.
func (q Matches) Collect(raw []json.RawMessage, parse func([]byte) (domain.Match, error), skipped func(error)) []domain.Match {
	out := make([]domain.Match, 0, len(raw))
	for _, r := range raw {
		m, err := parse(r)
		if err != nil {
			skipped(err)
			continue
		}
		if m.League == "" {
			m.League = q.League.Shortcut
		}
		if q.Keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// Each decodes every raw record into T and maps it with f, leaving out the records that
// do not decode or map.
func Each[T, D any](raw []json.RawMessage, f func(T) (D, error)) []D {
	out := make([]D, 0, len(raw))
	for _, r := range raw {
		var t T
		if json.Unmarshal(r, &t) != nil {
			continue
		}
		if d, err := f(t); err == nil {
			out = append(out, d)
		}
	}
	return out
}
