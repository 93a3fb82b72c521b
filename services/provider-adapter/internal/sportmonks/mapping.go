package sportmonks

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/football-tracker/backend/pkg/domain"

	"github.com/football-tracker/backend/services/provider-adapter/internal/season"
)

// ErrInvalidFixture is returned for a fixture that cannot be a domain match (no id,
// no home or away team, no kick-off time).
var ErrInvalidFixture = errors.New("invalid sportmonks fixture")

// The wire types hold only what the mapping reads; everything else of the payload is
// dropped at decode time and cannot reach a client.
type fixture struct {
	ID           int64         `json:"id"`
	LeagueID     int           `json:"league_id"`
	SeasonID     int           `json:"season_id"`
	StateID      int           `json:"state_id"`
	StartingAt   string        `json:"starting_at"`
	Timestamp    *int64        `json:"starting_at_timestamp"`
	Participants []participant `json:"participants"`
	Scores       []score       `json:"scores"`
	State        *state        `json:"state"`
	Season       *seasonItem   `json:"season"`
	Round        *round        `json:"round"`
	Events       []event       `json:"events"`
}

type participant struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ShortCode string `json:"short_code"`
	ImagePath string `json:"image_path"`
	Meta      struct {
		Location string `json:"location"`
	} `json:"meta"`
}

type score struct {
	ParticipantID int64 `json:"participant_id"`
	Score         struct {
		Goals       *int   `json:"goals"`
		Participant string `json:"participant"`
	} `json:"score"`
	Description string `json:"description"`
}

type state struct {
	ID            int    `json:"id"`
	DeveloperName string `json:"developer_name"`
}

type seasonItem struct {
	ID        int    `json:"id"`
	LeagueID  int    `json:"league_id"`
	Name      string `json:"name"`
	IsCurrent bool   `json:"is_current"`
	Starting  string `json:"starting_at"`
}

type round struct {
	Name string `json:"name"`
}

type event struct {
	ID            int64  `json:"id"`
	TypeID        int    `json:"type_id"`
	ParticipantID int64  `json:"participant_id"`
	PlayerName    string `json:"player_name"`
	Result        string `json:"result"`
	Minute        *int   `json:"minute"`
	ExtraMinute   *int   `json:"extra_minute"`
	SortOrder     int    `json:"sort_order"`
	Type          *struct {
		DeveloperName string `json:"developer_name"`
	} `json:"type"`
}

type team struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ShortCode string `json:"short_code"`
	ImagePath string `json:"image_path"`
}

// statusByState maps every documented state's developer_name onto the domain enum.
var statusByState = map[string]domain.Status{
	"NS":                 domain.StatusScheduled,
	"TBA":                domain.StatusScheduled,
	"PENDING":            domain.StatusScheduled,
	"DELAYED":            domain.StatusScheduled,
	"INPLAY_1ST_HALF":    domain.StatusInPlay,
	"INPLAY_2ND_HALF":    domain.StatusInPlay,
	"INPLAY_ET":          domain.StatusInPlay,
	"INPLAY_ET_2ND_HALF": domain.StatusInPlay,
	"INPLAY_PENALTIES":   domain.StatusInPlay,
	"AWAITING_UPDATES":   domain.StatusInPlay,
	"HT":                 domain.StatusPaused,
	"BREAK":              domain.StatusPaused,
	"EXTRA_TIME_BREAK":   domain.StatusPaused,
	"PEN_BREAK":          domain.StatusPaused,
	"FT":                 domain.StatusFinished,
	"AET":                domain.StatusFinished,
	"FT_PEN":             domain.StatusFinished,
	"POSTPONED":          domain.StatusPostponed,
	"SUSPENDED":          domain.StatusSuspended,
	"INTERRUPTED":        domain.StatusSuspended,
	"CANCELLED":          domain.StatusCancelled,
	"ABANDONED":          domain.StatusCancelled,
	"DELETED":            domain.StatusCancelled,
	"AWARDED":            domain.StatusAwarded,
	"WO":                 domain.StatusAwarded,
}

// stateByID is the fallback when a payload carries state_id without the state include
// (e.g. nested schedules); only the ids the provider documents are listed.
var stateByID = map[int]string{
	1: "NS", 2: "INPLAY_1ST_HALF", 3: "HT", 4: "BREAK", 5: "FT", 6: "INPLAY_ET",
	7: "AET", 8: "FT_PEN", 9: "INPLAY_PENALTIES", 10: "POSTPONED", 11: "SUSPENDED", 12: "CANCELLED",
}

// Event type ids of goals (GOAL, OWNGOAL, PENALTY); MISSED_PENALTY (17) is no goal.
var goalTypes = map[int]string{14: "GOAL", 15: "OWNGOAL", 16: "PENALTY"}

// Mapper turns SportMonks payloads into domain values.
type Mapper struct {
	// League names a SportMonks league id by its registry shortcut ("" when unknown).
	League func(id int) string
	// Now stamps lastUpdated (SportMonks has no per-fixture change time) and decides
	// the safe status of an unknown state.
	Now func() time.Time
	// UnknownState is told about states missing from the table, so they get logged.
	UnknownState func(developerName string, id int)
}

func (m Mapper) now() time.Time {
	if m.Now == nil {
		return time.Now().UTC()
	}
	return m.Now().UTC()
}

// Status maps a state onto the enum. An unknown state is reported and becomes
// scheduled before kick-off and in_play after it: never a crash, never "finished"
// with a score that may still change.
func (m Mapper) Status(developerName string, id int, kickoff time.Time) domain.Status {
	if developerName == "" {
		developerName = stateByID[id]
	}
	if s, ok := statusByState[strings.ToUpper(developerName)]; ok {
		return s
	}
	if m.UnknownState != nil {
		m.UnknownState(developerName, id)
	}
	if kickoff.After(m.now()) {
		return domain.StatusScheduled
	}
	return domain.StatusInPlay
}

// ParseMatch decodes and maps one fixture object.
func (m Mapper) ParseMatch(raw []byte, seasonHint int) (domain.Match, error) {
	var f fixture
	if err := json.Unmarshal(raw, &f); err != nil {
		return domain.Match{}, fmt.Errorf("%w: %w", ErrInvalidFixture, err)
	}
	return m.Match(f, seasonHint)
}

var (
	roundNumber = regexp.MustCompile(`^\d{1,3}$`)
	yearPrefix  = regexp.MustCompile(`^(\d{4})`)
)

// Match maps one decoded fixture. seasonHint is the season the caller asked for (0
// when unknown); the fixture's own season include wins over it.
func (m Mapper) Match(f fixture, seasonHint int) (domain.Match, error) {
	if f.ID <= 0 || f.ID > 999_999_999_999 {
		return domain.Match{}, fmt.Errorf("%w: id %d", ErrInvalidFixture, f.ID)
	}
	kickoff, err := kickoffOf(f)
	if err != nil {
		return domain.Match{}, fmt.Errorf("%w %d: %w", ErrInvalidFixture, f.ID, err)
	}
	var home, away *participant
	for i := range f.Participants {
		p := &f.Participants[i]
		switch strings.ToLower(p.Meta.Location) {
		case "home":
			home = p
		case "away":
			away = p
		}
	}
	if home == nil || away == nil || home.ID <= 0 || away.ID <= 0 {
		return domain.Match{}, fmt.Errorf("%w %d: home or away participant missing", ErrInvalidFixture, f.ID)
	}
	stateName := ""
	if f.State != nil {
		stateName = f.State.DeveloperName
	}
	status := m.Status(stateName, f.StateID, kickoff)

	out := domain.Match{
		ID:          domain.NewID(domain.ProviderSportMonks, f.ID),
		Season:      seasonOf(f, seasonHint, kickoff),
		Kickoff:     kickoff,
		Status:      status,
		HomeTeam:    teamOf(home.ID, home.Name, home.ShortCode, home.ImagePath),
		AwayTeam:    teamOf(away.ID, away.Name, away.ShortCode, away.ImagePath),
		Goals:       []domain.Goal{},
		Provider:    domain.ProviderSportMonks,
		LastUpdated: m.now(),
	}
	if m.League != nil {
		out.League = m.League(f.LeagueID)
	}
	if f.Round != nil && roundNumber.MatchString(f.Round.Name) {
		out.Matchday, _ = strconv.Atoi(f.Round.Name)
	}
	out.Score = scoreOf(f, home.ID, away.ID, status, stateName)
	out.Goals = goalsOf(f.Events, home.ID, away.ID)
	return out, nil
}

func kickoffOf(f fixture) (time.Time, error) {
	// starting_at is UTC without a zone marker.
	if t, err := time.ParseInLocation(time.DateTime, f.StartingAt, time.UTC); err == nil {
		return t.UTC(), nil
	}
	if f.Timestamp != nil && *f.Timestamp > 0 && *f.Timestamp < 1<<40 {
		return time.Unix(*f.Timestamp, 0).UTC(), nil
	}
	return time.Time{}, errors.New("no kick-off time")
}

func seasonOf(f fixture, hint int, kickoff time.Time) int {
	if f.Season != nil {
		if y := yearOfSeasonName(f.Season.Name); y != 0 {
			return y
		}
	}
	if hint != 0 {
		return hint
	}
	return season.Of(kickoff)
}

// yearOfSeasonName reads the start year of "2023/2024" or "2024".
func yearOfSeasonName(name string) int {
	mm := yearPrefix.FindStringSubmatch(strings.TrimSpace(name))
	if mm == nil {
		return 0
	}
	y, _ := strconv.Atoi(mm[1])
	return y
}

func teamOf(id int64, name, short, crest string) domain.Team {
	if short == "" {
		short = name
	}
	return domain.Team{ID: domain.NewID(domain.ProviderSportMonks, id), Name: name, ShortName: short, CrestURL: crest}
}

// scoreOf takes CURRENT for the score and 1ST_HALF for half-time, matched by side
// (score.participant, else participant_id), never by array position.
func scoreOf(f fixture, homeID, awayID int64, status domain.Status, stateName string) *domain.Score {
	type pair struct{ home, away *int }
	by := map[string]*pair{}
	for _, s := range f.Scores {
		if s.Score.Goals == nil || *s.Score.Goals < 0 {
			continue
		}
		side := strings.ToLower(s.Score.Participant)
		if side != "home" && side != "away" {
			switch s.ParticipantID {
			case homeID:
				side = "home"
			case awayID:
				side = "away"
			default:
				continue
			}
		}
		desc := strings.ToUpper(s.Description)
		p := by[desc]
		if p == nil {
			p = &pair{}
			by[desc] = p
		}
		g := *s.Score.Goals
		if side == "home" {
			p.home = &g
		} else {
			p.away = &g
		}
	}
	cur := by["CURRENT"]
	started := status == domain.StatusInPlay || status == domain.StatusPaused || status == domain.StatusFinished ||
		status == domain.StatusSuspended || status == domain.StatusAwarded
	if cur == nil && !started {
		return nil
	}
	out := &domain.Score{}
	if cur != nil {
		out.Home, out.Away = deref(cur.home), deref(cur.away)
	}
	// During the first half the 1ST_HALF entries are still running: not a half-time score.
	if ht := by["1ST_HALF"]; ht != nil && !strings.EqualFold(stateName, "INPLAY_1ST_HALF") && (ht.home != nil || ht.away != nil) {
		out.Halftime = &domain.ScoreLine{Home: deref(ht.home), Away: deref(ht.away)}
	}
	return out
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

var resultPattern = regexp.MustCompile(`^\s*(\d{1,3})\s*-\s*(\d{1,3})\s*$`)

// goalsOf keeps goal events in match order. The side credited is read from the score
// after the goal ("2-1") when present, so own goals need no guess; otherwise from the
// participant (flipped for an own goal, which the scorer's team concedes).
func goalsOf(events []event, homeID, awayID int64) []domain.Goal {
	var evs []event
	for _, e := range events {
		if goalType(e) != "" {
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if d := deref(a.Minute) - deref(b.Minute); d != 0 {
			return d
		}
		if d := deref(a.ExtraMinute) - deref(b.ExtraMinute); d != 0 {
			return d
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	goals := make([]domain.Goal, 0, len(evs))
	prevH, prevA := 0, 0
	for _, e := range evs {
		kind := goalType(e)
		g := domain.Goal{Scorer: e.PlayerName, OwnGoal: kind == "OWNGOAL", Penalty: kind == "PENALTY"}
		if e.Minute != nil && *e.Minute >= 0 && *e.Minute <= 200 {
			minute := *e.Minute
			g.Minute = &minute
		}
		side := domain.Side("")
		if mm := resultPattern.FindStringSubmatch(e.Result); mm != nil {
			h, _ := strconv.Atoi(mm[1])
			a, _ := strconv.Atoi(mm[2])
			g.ScoreHome, g.ScoreAway = &h, &a
			switch {
			case h > prevH:
				side = domain.SideHome
			case a > prevA:
				side = domain.SideAway
			}
			prevH, prevA = h, a
		}
		if side == "" {
			switch e.ParticipantID {
			case homeID:
				side = domain.SideHome
			case awayID:
				side = domain.SideAway
			default:
				continue
			}
			if g.OwnGoal {
				side = map[domain.Side]domain.Side{domain.SideHome: domain.SideAway, domain.SideAway: domain.SideHome}[side]
			}
		}
		g.Team = side
		goals = append(goals, g)
	}
	return goals
}

func goalType(e event) string {
	if e.Type != nil {
		switch n := strings.ToUpper(e.Type.DeveloperName); n {
		case "GOAL", "OWNGOAL", "PENALTY":
			return n
		}
		if e.Type.DeveloperName != "" {
			return ""
		}
	}
	return goalTypes[e.TypeID]
}

// Team maps a team object.
func (m Mapper) Team(t team) (domain.Team, error) {
	if t.ID <= 0 || t.ID > 999_999_999_999 || t.Name == "" {
		return domain.Team{}, fmt.Errorf("%w: team without id or name", ErrInvalidFixture)
	}
	return teamOf(t.ID, t.Name, t.ShortCode, t.ImagePath), nil
}
