// Package domain is the one data model both providers are mapped onto and every
// service speaks: leagues, teams, matches, scores and goals.
package domain

import (
	"time"
)

// Status is the state of a match. SportMonks' states and OpenLigaDB's flags both map
// onto it.
type Status string

// The match states of the public API.
const (
	StatusScheduled Status = "scheduled"
	StatusInPlay    Status = "in_play"
	StatusPaused    Status = "paused"
	StatusFinished  Status = "finished"
	StatusPostponed Status = "postponed"
	StatusSuspended Status = "suspended"
	StatusCancelled Status = "cancelled"
	StatusAwarded   Status = "awarded"
)

// Statuses lists every valid status in a stable order.
var Statuses = []Status{
	StatusScheduled, StatusInPlay, StatusPaused, StatusFinished,
	StatusPostponed, StatusSuspended, StatusCancelled, StatusAwarded,
}

// Valid reports whether s is one of the documented states.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Side says which team of a match something belongs to.
type Side string

// The two sides of a match.
const (
	SideHome Side = "home"
	SideAway Side = "away"
)

// ProviderIDs are a league's identifiers at each provider; zero values mean the
// provider does not carry the league.
type ProviderIDs struct {
	SportMonks int    `json:"sportmonks,omitempty"`
	OpenLigaDB string `json:"openligadb,omitempty"`
}

// League is a competition the API serves.
type League struct {
	Shortcut      string      `json:"shortcut"`
	Name          string      `json:"name"`
	Country       string      `json:"country"`
	CurrentSeason int         `json:"currentSeason,omitempty"`
	ProviderIDs   ProviderIDs `json:"providerIds"`
}

// Team is one club or national side.
type Team struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ShortName string `json:"shortName"`
	CrestURL  string `json:"crestUrl,omitempty"`
}

// ScoreLine is the goals of each side at one point of a match.
type ScoreLine struct {
	Home int `json:"home"`
	Away int `json:"away"`
}

// Score is the current (or final) score and the half-time score when known.
type Score struct {
	Home     int        `json:"home"`
	Away     int        `json:"away"`
	Halftime *ScoreLine `json:"halftime"`
}

// Goal is one goal of a match. Minute and scorer may be unknown at the provider.
type Goal struct {
	Minute  *int   `json:"minute"`
	Scorer  string `json:"scorer,omitempty"`
	Team    Side   `json:"team"`
	OwnGoal bool   `json:"ownGoal"`
	Penalty bool   `json:"penalty"`
	// ScoreHome and ScoreAway are the score right after the goal, when known.
	ScoreHome *int `json:"scoreHome,omitempty"`
	ScoreAway *int `json:"scoreAway,omitempty"`
}

// Match is one fixture with its teams, state and result. Score is nil before kick-off.
type Match struct {
	ID          string    `json:"id"`
	League      string    `json:"league"`
	Season      int       `json:"season"`
	Matchday    int       `json:"matchday,omitempty"`
	Kickoff     time.Time `json:"kickoff"`
	Status      Status    `json:"status"`
	HomeTeam    Team      `json:"homeTeam"`
	AwayTeam    Team      `json:"awayTeam"`
	Score       *Score    `json:"score"`
	Goals       []Goal    `json:"goals"`
	Provider    string    `json:"provider"`
	LastUpdated time.Time `json:"lastUpdated"`
}
