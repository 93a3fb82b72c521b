package sportmonks

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/fixtures"
)

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func testMapper(t *testing.T, unknown *[]string) Mapper {
	t.Helper()
	return Mapper{
		League: func(id int) string { return map[int]string{8: "pl", 5: "uel", 501: "spl", 271: "superliga"}[id] },
		Now:    func() time.Time { return fixedNow },
		UnknownState: func(name string, _ int) {
			if unknown != nil {
				*unknown = append(*unknown, name)
			}
		},
	}
}

// recordedFixtures returns every fixture object of every SportMonks recording, keyed
// by the file it came from.
func recordedFixtures(t testing.TB) map[string][]json.RawMessage {
	out := map[string][]json.RawMessage{}
	out["fixture_by_id_19135043_data_only.json"] = []json.RawMessage{fixtures.MustRead("sportmonks/fixture_by_id_19135043_data_only.json")}
	var stages []struct {
		Fixtures []json.RawMessage `json:"fixtures"`
		Rounds   []struct {
			Fixtures []json.RawMessage `json:"fixtures"`
		} `json:"rounds"`
	}
	if err := json.Unmarshal(fixtures.MustRead("sportmonks/schedules_teams_14_data_only.json"), &stages); err != nil {
		t.Fatal(err)
	}
	for _, st := range stages {
		out["schedules_teams_14_data_only.json"] = append(out["schedules_teams_14_data_only.json"], st.Fixtures...)
		for _, r := range st.Rounds {
			out["schedules_teams_14_data_only.json"] = append(out["schedules_teams_14_data_only.json"], r.Fixtures...)
		}
	}
	for _, name := range []string{"fixtures_between_documented_partial.json", "fixtures_collection_mock.json"} {
		var doc struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(fixtures.MustRead("sportmonks/"+name), &doc); err != nil {
			t.Fatal(err)
		}
		out[name] = doc.Data
	}
	return out
}

// validMatch checks what every mapped match must satisfy.
func validMatch(t *testing.T, m domain.Match) {
	t.Helper()
	assert.Regexp(t, domain.IDPattern, m.ID)
	assert.Regexp(t, domain.IDPattern, m.HomeTeam.ID)
	assert.Regexp(t, domain.IDPattern, m.AwayTeam.ID)
	assert.NotEmpty(t, m.HomeTeam.Name)
	assert.NotEmpty(t, m.AwayTeam.Name)
	assert.True(t, m.Status.Valid(), "status %q", m.Status)
	assert.False(t, m.Kickoff.IsZero())
	assert.Equal(t, time.UTC, m.Kickoff.Location())
	assert.Equal(t, domain.ProviderSportMonks, m.Provider)
	assert.NotNil(t, m.Goals)
	assert.GreaterOrEqual(t, m.Season, 1900)
	if m.Status == domain.StatusScheduled {
		assert.Nil(t, m.Score, "no score before kick-off")
	}
	if m.Status == domain.StatusFinished {
		assert.NotNil(t, m.Score)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	for _, leak := range []string{"subscription", "rate_limit", "plans", "participant_id", "sport_id", "api_token"} {
		assert.NotContains(t, string(b), leak)
	}
}

func TestEveryRecordedFixtureMaps(t *testing.T) {
	t.Parallel()
	m := testMapper(t, nil)
	total := 0
	for file, items := range recordedFixtures(t) {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			require.NotEmpty(t, items)
			for _, raw := range items {
				got, err := m.ParseMatch(raw, 0)
				if file == "fixtures_between_documented_partial.json" || file == "fixtures_collection_mock.json" {
					// The documented list example carries no participants include: refused,
					// never half-mapped.
					require.ErrorIs(t, err, ErrInvalidFixture)
					continue
				}
				require.NoError(t, err)
				validMatch(t, got)
			}
		})
		total += len(items)
	}
	assert.Equal(t, 66, total)
}

func TestFixture19135043(t *testing.T) {
	t.Parallel()
	got, err := testMapper(t, nil).ParseMatch(fixtures.MustRead("sportmonks/fixture_by_id_19135043_data_only.json"), 0)
	require.NoError(t, err)
	seventySix, eightySeven := 76, 87
	one, two, zero := 1, 2, 0
	want := domain.Match{
		ID:       "sm-19135043",
		League:   "pl",
		Season:   2024,
		Kickoff:  time.Date(2025, 5, 25, 15, 0, 0, 0, time.UTC),
		Status:   domain.StatusFinished,
		HomeTeam: domain.Team{ID: "sm-14", Name: "Manchester United", ShortName: "MUN", CrestURL: "https://cdn.sportmonks.com/images/soccer/teams/14/14.png"},
		AwayTeam: domain.Team{ID: "sm-15", Name: "Aston Villa", ShortName: "AVL", CrestURL: "https://cdn.sportmonks.com/images/soccer/teams/15/15.png"},
		Score:    &domain.Score{Home: 2, Away: 0, Halftime: &domain.ScoreLine{Home: 0, Away: 0}},
		Goals: []domain.Goal{
			{Minute: &seventySix, Scorer: "Amad", Team: domain.SideHome, ScoreHome: &one, ScoreAway: &zero},
			{Minute: &eightySeven, Scorer: "Christian Eriksen", Team: domain.SideHome, Penalty: true, ScoreHome: &two, ScoreAway: &zero},
		},
		Provider:    domain.ProviderSportMonks,
		LastUpdated: fixedNow,
	}
	assert.Equal(t, want, got)
}

func TestScheduledFixtureHasNoScore(t *testing.T) {
	t.Parallel()
	items := recordedFixtures(t)["schedules_teams_14_data_only.json"]
	found := 0
	for _, raw := range items {
		var f fixture
		require.NoError(t, json.Unmarshal(raw, &f))
		if f.StateID != 1 {
			continue
		}
		got, err := testMapper(t, nil).Match(f, 0)
		require.NoError(t, err)
		assert.Equal(t, domain.StatusScheduled, got.Status)
		assert.Nil(t, got.Score)
		assert.Empty(t, got.Goals)
		found++
	}
	assert.Equal(t, 5, found, "the recording holds five NS fixtures")
}

func TestStatusOfEveryState(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		state string
		id    int
		want  domain.Status
	}{
		{"not started", "NS", 1, domain.StatusScheduled},
		{"first half", "INPLAY_1ST_HALF", 2, domain.StatusInPlay},
		{"half time", "HT", 3, domain.StatusPaused},
		{"break", "BREAK", 4, domain.StatusPaused},
		{"full time", "FT", 5, domain.StatusFinished},
		{"extra time", "INPLAY_ET", 6, domain.StatusInPlay},
		{"after extra time", "AET", 7, domain.StatusFinished},
		{"after penalties", "FT_PEN", 8, domain.StatusFinished},
		{"penalties", "INPLAY_PENALTIES", 9, domain.StatusInPlay},
		{"postponed", "POSTPONED", 10, domain.StatusPostponed},
		{"suspended", "SUSPENDED", 11, domain.StatusSuspended},
		{"cancelled", "CANCELLED", 12, domain.StatusCancelled},
		{"second half", "INPLAY_2ND_HALF", 0, domain.StatusInPlay},
		{"extra time second half", "INPLAY_ET_2ND_HALF", 0, domain.StatusInPlay},
		{"extra time break", "EXTRA_TIME_BREAK", 0, domain.StatusPaused},
		{"penalty break", "PEN_BREAK", 0, domain.StatusPaused},
		{"to be announced", "TBA", 0, domain.StatusScheduled},
		{"delayed", "DELAYED", 0, domain.StatusScheduled},
		{"pending", "PENDING", 0, domain.StatusScheduled},
		{"walk over", "WO", 0, domain.StatusAwarded},
		{"awarded", "AWARDED", 0, domain.StatusAwarded},
		{"abandoned", "ABANDONED", 0, domain.StatusCancelled},
		{"interrupted", "INTERRUPTED", 0, domain.StatusSuspended},
		{"deleted", "DELETED", 0, domain.StatusCancelled},
		{"awaiting updates", "AWAITING_UPDATES", 0, domain.StatusInPlay},
		{"by id only (nested schedule)", "", 5, domain.StatusFinished},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var unknown []string
			got := testMapper(t, &unknown).Status(tc.state, tc.id, fixedNow)
			assert.Equal(t, tc.want, got)
			assert.Empty(t, unknown)
		})
	}
	t.Run("unknown state is logged and safe", func(t *testing.T) {
		t.Parallel()
		var unknown []string
		m := testMapper(t, &unknown)
		assert.Equal(t, domain.StatusScheduled, m.Status("NEW_STATE", 99, fixedNow.Add(time.Hour)))
		assert.Equal(t, domain.StatusInPlay, m.Status("NEW_STATE", 99, fixedNow.Add(-time.Hour)))
		assert.Equal(t, []string{"NEW_STATE", "NEW_STATE"}, unknown)
	})
}

func TestScoreAndGoalEdgeCases(t *testing.T) {
	t.Parallel()
	base := `{"id":1,"league_id":8,"starting_at":"2025-01-01 15:00:00",
		"participants":[{"id":10,"name":"Home","meta":{"location":"home"}},{"id":20,"name":"Away","meta":{"location":"away"}}],`
	cases := []struct {
		name      string
		rest      string
		wantScore *domain.Score
		wantGoals []domain.Side
		wantOwn   []bool
	}{
		{
			name:      "first half running: 1ST_HALF is no half-time score",
			rest:      `"state":{"developer_name":"INPLAY_1ST_HALF"},"scores":[{"participant_id":10,"score":{"goals":1,"participant":"home"},"description":"CURRENT"},{"participant_id":20,"score":{"goals":0,"participant":"away"},"description":"CURRENT"},{"participant_id":10,"score":{"goals":1,"participant":"home"},"description":"1ST_HALF"}]}`,
			wantScore: &domain.Score{Home: 1, Away: 0},
			wantGoals: []domain.Side{},
		},
		{
			name:      "kicked off without scores yet is 0:0",
			rest:      `"state":{"developer_name":"INPLAY_1ST_HALF"},"scores":[]}`,
			wantScore: &domain.Score{},
			wantGoals: []domain.Side{},
		},
		{
			name:      "side by participant_id when score.participant is missing",
			rest:      `"state":{"developer_name":"FT"},"scores":[{"participant_id":20,"score":{"goals":3},"description":"CURRENT"},{"participant_id":10,"score":{"goals":1},"description":"CURRENT"}]}`,
			wantScore: &domain.Score{Home: 1, Away: 3},
			wantGoals: []domain.Side{},
		},
		{
			name: "own goal credited by the score after it",
			rest: `"state":{"developer_name":"FT"},"scores":[],"events":[
				{"id":2,"type_id":15,"participant_id":10,"player_name":"Unlucky","result":"0-1","minute":30},
				{"id":1,"type_id":14,"participant_id":10,"player_name":"Striker","result":"1-1","minute":50}]}`,
			wantScore: &domain.Score{},
			wantGoals: []domain.Side{domain.SideAway, domain.SideHome},
			wantOwn:   []bool{true, false},
		},
		{
			name:      "own goal without a result flips the participant",
			rest:      `"state":{"developer_name":"FT"},"events":[{"id":2,"type":{"developer_name":"OWNGOAL"},"participant_id":10,"minute":30}]}`,
			wantScore: &domain.Score{},
			wantGoals: []domain.Side{domain.SideAway},
			wantOwn:   []bool{true},
		},
		{
			name:      "missed penalty is no goal",
			rest:      `"state":{"developer_name":"FT"},"events":[{"id":2,"type_id":17,"participant_id":10,"minute":30}]}`,
			wantScore: &domain.Score{},
			wantGoals: []domain.Side{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := testMapper(t, nil).ParseMatch([]byte(base+tc.rest), 0)
			require.NoError(t, err)
			assert.Equal(t, tc.wantScore, got.Score)
			sides := []domain.Side{}
			own := []bool{}
			for _, g := range got.Goals {
				sides = append(sides, g.Team)
				own = append(own, g.OwnGoal)
			}
			assert.Equal(t, tc.wantGoals, sides)
			if tc.wantOwn != nil {
				assert.Equal(t, tc.wantOwn, own)
			}
		})
	}
}

func FuzzParseMatch(f *testing.F) {
	for _, items := range recordedFixtures(f) {
		for _, raw := range items {
			f.Add([]byte(raw))
		}
	}
	f.Add([]byte(`{"id":1,"participants":[{"id":1,"meta":{"location":"home"}},{"id":1,"meta":{"location":"away"}}],"starting_at_timestamp":-5}`))
	f.Add([]byte(`{"id":1,"scores":[{"score":{"goals":-1}}],"events":[{"type_id":14,"result":"999-1","minute":-3}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	m := Mapper{League: func(int) string { return "" }, Now: func() time.Time { return fixedNow }}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := m.ParseMatch(raw, 0)
		if err != nil {
			assert.ErrorIs(t, err, ErrInvalidFixture)
			return
		}
		assert.Regexp(t, domain.IDPattern, got.ID)
		assert.Regexp(t, domain.IDPattern, got.HomeTeam.ID)
		assert.Regexp(t, domain.IDPattern, got.AwayTeam.ID)
		assert.True(t, got.Status.Valid())
		assert.NotNil(t, got.Goals)
	})
}
