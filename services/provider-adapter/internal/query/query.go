// Package query holds what the adapter asks every provider, already validated: the
// league is a registry entry, the season a sane start year.
package query

import (
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
