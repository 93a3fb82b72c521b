package openligadb

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/football-tracker/backend/pkg/domain"
)

// ErrInvalidMatch is returned for a match object that cannot be a domain match.
var ErrInvalidMatch = errors.New("invalid openligadb match")

// Result type ids: results must be picked by type, their order changes by season.
const (
	resultHalftime = 1
	resultFinal    = 2
)

// The wire types hold only what the mapping reads.
type match struct {
	MatchID          int64    `json:"matchID"`
	MatchDateTimeUTC string   `json:"matchDateTimeUTC"`
	LeagueSeason     any      `json:"leagueSeason"` // an int here, a string in league data
	LeagueShortcut   string   `json:"leagueShortcut"`
	Group            *group   `json:"group"`
	Team1            *team    `json:"team1"`
	Team2            *team    `json:"team2"`
	LastUpdate       *string  `json:"lastUpdateDateTime"`
	MatchIsFinished  bool     `json:"matchIsFinished"`
	MatchResults     []result `json:"matchResults"`
	Goals            []goal   `json:"goals"`
}

type group struct {
	GroupOrderID int `json:"groupOrderID"`
}

type team struct {
	TeamID      int64  `json:"teamId"`
	TeamName    string `json:"teamName"`
	ShortName   string `json:"shortName"`
	TeamIconURL string `json:"teamIconUrl"`
}

type result struct {
	PointsTeam1  *int `json:"pointsTeam1"`
	PointsTeam2  *int `json:"pointsTeam2"`
	ResultTypeID int  `json:"resultTypeID"`
}

type goal struct {
	ScoreTeam1     *int   `json:"scoreTeam1"`
	ScoreTeam2     *int   `json:"scoreTeam2"`
	MatchMinute    *int   `json:"matchMinute"`
	GoalGetterName string `json:"goalGetterName"`
	IsPenalty      bool   `json:"isPenalty"`
	IsOwnGoal      bool   `json:"isOwnGoal"`
}

// berlin is the zone of lastUpdateDateTime, which carries no offset.
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// Mapper turns OpenLigaDB payloads into domain values.
type Mapper struct {
	// League names an OpenLigaDB shortcut by its registry shortcut ("" when unknown).
	League func(openLigaDB string) string
	// Now decides "in play": OpenLigaDB has no live state, so a match whose kick-off
	// has passed and that is not finished is in play.
	Now func() time.Time
}

func (m Mapper) now() time.Time {
	if m.Now == nil {
		return time.Now().UTC()
	}
	return m.Now().UTC()
}

// ParseMatch decodes and maps one match object.
func (m Mapper) ParseMatch(raw []byte) (domain.Match, error) {
	var x match
	if err := json.Unmarshal(raw, &x); err != nil {
		return domain.Match{}, fmt.Errorf("%w: %w", ErrInvalidMatch, err)
	}
	return m.Match(x)
}

// Match maps one decoded match.
func (m Mapper) Match(x match) (domain.Match, error) {
	if x.MatchID <= 0 || x.MatchID > 999_999_999_999 {
		return domain.Match{}, fmt.Errorf("%w: id %d", ErrInvalidMatch, x.MatchID)
	}
	// matchDateTime is German local time without an offset; only the UTC field is used.
	kickoff, err := time.Parse(time.RFC3339, x.MatchDateTimeUTC)
	if err != nil {
		return domain.Match{}, fmt.Errorf("%w %d: kick-off: %w", ErrInvalidMatch, x.MatchID, err)
	}
	kickoff = kickoff.UTC()
	if x.Team1 == nil || x.Team2 == nil || x.Team1.TeamID <= 0 || x.Team2.TeamID <= 0 ||
		x.Team1.TeamID > 999_999_999_999 || x.Team2.TeamID > 999_999_999_999 {
		return domain.Match{}, fmt.Errorf("%w %d: teams missing", ErrInvalidMatch, x.MatchID)
	}
	out := domain.Match{
		ID:       domain.NewID(domain.ProviderOpenLigaDB, x.MatchID),
		Season:   seasonOf(x.LeagueSeason),
		Kickoff:  kickoff,
		HomeTeam: teamOf(*x.Team1),
		AwayTeam: teamOf(*x.Team2),
		Goals:    []domain.Goal{},
		Provider: domain.ProviderOpenLigaDB,
	}
	if m.League != nil {
		out.League = m.League(strings.ToLower(x.LeagueShortcut))
	}
	if x.Group != nil && x.Group.GroupOrderID > 0 && x.Group.GroupOrderID < 1000 {
		out.Matchday = x.Group.GroupOrderID
	}
	now := m.now()
	switch {
	case x.MatchIsFinished:
		out.Status = domain.StatusFinished
	case !kickoff.After(now):
		out.Status = domain.StatusInPlay
	default:
		out.Status = domain.StatusScheduled
	}
	out.LastUpdated = lastUpdated(x.LastUpdate, now)
	final, _ := results(x)
	out.Goals = goalsOf(x.Goals, final)
	out.Score = scoreOf(x, out.Status, out.Goals)
	return out, nil
}

func seasonOf(v any) int {
	switch s := v.(type) {
	case float64:
		if s >= 1900 && s < 3000 {
			return int(s)
		}
	case string:
		var y int
		if _, err := fmt.Sscanf(s, "%4d", &y); err == nil && y >= 1900 && y < 3000 {
			return y
		}
	}
	return 0
}

func teamOf(t team) domain.Team {
	short := t.ShortName
	if short == "" {
		short = t.TeamName
	}
	return domain.Team{ID: domain.NewID(domain.ProviderOpenLigaDB, t.TeamID), Name: t.TeamName, ShortName: short, CrestURL: t.TeamIconURL}
}

func lastUpdated(v *string, fallback time.Time) time.Time {
	if v == nil {
		return fallback
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, *v, berlin); err == nil {
			return t.UTC()
		}
	}
	return fallback
}

func scoreOf(x match, status domain.Status, goals []domain.Goal) *domain.Score {
	final, half := results(x)
	if final == nil && half == nil && len(goals) == 0 && status == domain.StatusScheduled {
		return nil
	}
	out := &domain.Score{}
	switch {
	case final != nil:
		out.Home, out.Away = *final.PointsTeam1, *final.PointsTeam2
	case len(goals) > 0:
		// Live: the latest goal's running score is the current one.
		last := goals[len(goals)-1]
		out.Home, out.Away = *last.ScoreHome, *last.ScoreAway
	case half != nil:
		out.Home, out.Away = *half.PointsTeam1, *half.PointsTeam2
	}
	if half != nil {
		out.Halftime = &domain.ScoreLine{Home: *half.PointsTeam1, Away: *half.PointsTeam2}
	}
	return out
}

// results picks the final and half-time results by type, never by position.
func results(x match) (final, half *result) {
	for i := range x.MatchResults {
		r := &x.MatchResults[i]
		if r.PointsTeam1 == nil || r.PointsTeam2 == nil || *r.PointsTeam1 < 0 || *r.PointsTeam2 < 0 {
			continue
		}
		switch r.ResultTypeID {
		case resultFinal:
			final = r
		case resultHalftime:
			half = r
		}
	}
	return final, half
}

// goalsOf orders goals by their running score (the API's order is edit order) and
// credits each to the side whose count rose, own goals included. Goals that do not
// advance the score, or that go past a known final result (community edits leave
// such ghosts behind), are dropped.
func goalsOf(gs []goal, final *result) []domain.Goal {
	valid := make([]goal, 0, len(gs))
	for _, g := range gs {
		if g.ScoreTeam1 == nil || g.ScoreTeam2 == nil || *g.ScoreTeam1 < 0 || *g.ScoreTeam2 < 0 {
			continue
		}
		if final != nil && (*g.ScoreTeam1 > *final.PointsTeam1 || *g.ScoreTeam2 > *final.PointsTeam2) {
			continue
		}
		valid = append(valid, g)
	}
	slices.SortStableFunc(valid, func(a, b goal) int {
		if d := (*a.ScoreTeam1 + *a.ScoreTeam2) - (*b.ScoreTeam1 + *b.ScoreTeam2); d != 0 {
			return d
		}
		return minuteOf(a) - minuteOf(b)
	})
	out := make([]domain.Goal, 0, len(valid))
	prev1, prev2 := 0, 0
	for _, g := range valid {
		d := domain.Goal{Scorer: strings.TrimSpace(g.GoalGetterName), OwnGoal: g.IsOwnGoal, Penalty: g.IsPenalty}
		if g.MatchMinute != nil && *g.MatchMinute >= 0 && *g.MatchMinute <= 200 {
			minute := *g.MatchMinute
			d.Minute = &minute
		}
		h, a := *g.ScoreTeam1, *g.ScoreTeam2
		switch {
		case h == prev1+1 && a == prev2:
			d.Team = domain.SideHome
		case a == prev2+1 && h == prev1:
			d.Team = domain.SideAway
		default:
			continue
		}
		prev1, prev2 = h, a
		d.ScoreHome, d.ScoreAway = &h, &a
		out = append(out, d)
	}
	return out
}

func minuteOf(g goal) int {
	if g.MatchMinute == nil {
		return 1 << 20
	}
	return *g.MatchMinute
}

// Team maps a team object.
func (m Mapper) Team(t team) (domain.Team, error) {
	if t.TeamID <= 0 || t.TeamID > 999_999_999_999 || t.TeamName == "" {
		return domain.Team{}, fmt.Errorf("%w: team without id or name", ErrInvalidMatch)
	}
	return teamOf(t), nil
}
