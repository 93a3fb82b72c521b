package openligadb

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/fixtures"
)

// capturedAt is when getmatchdata_bl1_2023_12 was recorded (mid-matchday).
var capturedAt = time.Date(2023, 11, 26, 7, 55, 0, 0, time.UTC)

func testMapper(now time.Time) Mapper {
	return Mapper{
		League: func(s string) string { return map[string]string{"bl1": "bl1", "uefa-em-2020": "em20"}[s] },
		Now:    func() time.Time { return now },
	}
}

// recordedMatches returns every match object of every OpenLigaDB recording by file.
func recordedMatches(t testing.TB) map[string][]json.RawMessage {
	out := map[string][]json.RawMessage{}
	entries, err := fs.ReadDir(fixtures.FS(), "openligadb")
	require.NoError(t, err)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "getmatchdata_") || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		raw := fixtures.MustRead("openligadb/" + e.Name())
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
			out[e.Name()] = []json.RawMessage{raw}
			continue
		}
		var items []json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &items))
		out[e.Name()] = items
	}
	return out
}

func TestEveryRecordedMatchMaps(t *testing.T) {
	t.Parallel()
	files := recordedMatches(t)
	require.Len(t, files, 5)
	total := 0
	for file, items := range files {
		total += len(items)
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			for _, raw := range items {
				m, err := testMapper(capturedAt).ParseMatch(raw)
				require.NoError(t, err)
				assert.Regexp(t, domain.IDPattern, m.ID)
				assert.True(t, strings.HasPrefix(m.ID, "ol-"))
				assert.Regexp(t, domain.IDPattern, m.HomeTeam.ID)
				assert.Regexp(t, domain.IDPattern, m.AwayTeam.ID)
				assert.True(t, m.Status.Valid())
				assert.Equal(t, time.UTC, m.Kickoff.Location())
				assert.NotEmpty(t, m.League)
				assert.GreaterOrEqual(t, m.Season, 2020)
				assert.Positive(t, m.Matchday)
				assert.NotNil(t, m.Goals)
				assert.Equal(t, domain.ProviderOpenLigaDB, m.Provider)
				if m.Status == domain.StatusScheduled {
					assert.Nil(t, m.Score)
				} else {
					require.NotNil(t, m.Score)
				}
				if m.Status == domain.StatusFinished && len(m.Goals) > 0 {
					// The last goal's running score is the final score.
					last := m.Goals[len(m.Goals)-1]
					assert.Equal(t, m.Score.Home, *last.ScoreHome, m.ID)
					assert.Equal(t, m.Score.Away, *last.ScoreAway, m.ID)
				}
			}
		})
	}
	assert.Equal(t, 9+9+9+36+1, total)
}

func matchByID(t *testing.T, file string, id int64, now time.Time) domain.Match {
	t.Helper()
	for _, raw := range recordedMatches(t)[file] {
		var x match
		require.NoError(t, json.Unmarshal(raw, &x))
		if x.MatchID == id {
			m, err := testMapper(now).Match(x)
			require.NoError(t, err)
			return m
		}
	}
	t.Fatalf("match %d not in %s", id, file)
	return domain.Match{}
}

func TestKoelnBayern(t *testing.T) {
	t.Parallel()
	got := matchByID(t, "getmatchdata_bl1_2023_12.json", 66734, capturedAt)
	nineteen, zero, one := 19, 0, 1
	want := domain.Match{
		ID:       "ol-66734",
		League:   "bl1",
		Season:   2023,
		Matchday: 12,
		Kickoff:  time.Date(2023, 11, 24, 19, 30, 0, 0, time.UTC),
		Status:   domain.StatusFinished,
		HomeTeam: domain.Team{
			ID: "ol-65", Name: "1. FC Köln", ShortName: "Köln",
			CrestURL: "https://upload.wikimedia.org/wikipedia/commons/thumb/0/01/1._FC_Koeln_Logo_2014–.svg/296px-1._FC_Koeln_Logo_2014–.svg.png",
		},
		AwayTeam: domain.Team{ID: "ol-40", Name: "FC Bayern München", ShortName: "Bayern", CrestURL: "https://i.imgur.com/jJEsJrj.png"},
		Score:    &domain.Score{Home: 0, Away: 1, Halftime: &domain.ScoreLine{Home: 0, Away: 1}},
		Goals:    []domain.Goal{{Minute: &nineteen, Scorer: "H. Kane", Team: domain.SideAway, ScoreHome: &zero, ScoreAway: &one}},
		Provider: domain.ProviderOpenLigaDB,
		// 22:43:06.663 German time (CET, UTC+1).
		LastUpdated: time.Date(2023, 11, 24, 21, 43, 6, 663_000_000, time.UTC),
	}
	assert.Equal(t, want, got)
}

func TestResultsPickedByTypeNotPosition(t *testing.T) {
	t.Parallel()
	// In 2022 the final result is listed first, in 2023 second; both must give the
	// same meaning.
	for file, items := range recordedMatches(t) {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			for _, raw := range items {
				var x match
				require.NoError(t, json.Unmarshal(raw, &x))
				m, err := testMapper(capturedAt).Match(x)
				require.NoError(t, err)
				for _, r := range x.MatchResults {
					switch r.ResultTypeID {
					case resultFinal:
						assert.Equal(t, *r.PointsTeam1, m.Score.Home)
						assert.Equal(t, *r.PointsTeam2, m.Score.Away)
					case resultHalftime:
						require.NotNil(t, m.Score.Halftime)
						assert.Equal(t, *r.PointsTeam1, m.Score.Halftime.Home)
						assert.Equal(t, *r.PointsTeam2, m.Score.Halftime.Away)
					}
				}
			}
		})
	}
}

func TestInPlayIsInferred(t *testing.T) {
	t.Parallel()
	// Heidenheim's match kicks off 2023-11-26 14:30 UTC and is not finished.
	cases := []struct {
		name string
		now  time.Time
		want domain.Status
	}{
		{"before kick-off", capturedAt, domain.StatusScheduled},
		{"kick-off passed, not finished", time.Date(2023, 11, 26, 15, 0, 0, 0, time.UTC), domain.StatusInPlay},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := matchByID(t, "getmatchdata_bl1_2023_12.json", 66737, tc.now)
			assert.Equal(t, tc.want, got.Status)
			assert.Equal(t, time.Date(2023, 11, 26, 14, 30, 0, 0, time.UTC), got.Kickoff, "from matchDateTimeUTC, not German local time")
			if tc.want == domain.StatusScheduled {
				assert.Nil(t, got.Score)
			} else {
				assert.Equal(t, &domain.Score{}, got.Score)
			}
		})
	}
}

func TestSingleMatchIsAnObject(t *testing.T) {
	t.Parallel()
	got, err := testMapper(capturedAt).ParseMatch(fixtures.MustRead("openligadb/getmatchdata_match_72395.json"))
	require.NoError(t, err)
	assert.Equal(t, "ol-72395", got.ID)
	assert.Equal(t, 2024, got.Season)
	assert.Equal(t, time.Date(2025, 2, 9, 16, 30, 0, 0, time.UTC), got.Kickoff)
}

func FuzzParseMatch(f *testing.F) {
	for _, items := range recordedMatches(f) {
		for _, raw := range items {
			f.Add([]byte(raw))
		}
	}
	f.Add([]byte(`{"matchID":1,"matchDateTimeUTC":"2023-01-01T00:00:00Z","team1":{"teamId":1},"team2":{"teamId":2},"goals":[{"scoreTeam1":null}],"matchResults":[{"resultTypeID":2}]}`))
	f.Add([]byte(`{"matchID":-1}`))
	f.Add([]byte(`"x"`))
	m := testMapper(capturedAt)
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := m.ParseMatch(raw)
		if err != nil {
			assert.ErrorIs(t, err, ErrInvalidMatch)
			return
		}
		assert.Regexp(t, domain.IDPattern, got.ID)
		assert.Regexp(t, domain.IDPattern, got.HomeTeam.ID)
		assert.True(t, got.Status.Valid())
		assert.NotNil(t, got.Goals)
	})
}

func TestGoalsOrderedAndGhostsDropped(t *testing.T) {
	t.Parallel()
	// Frankfurt 1:6 Bayern (2022, matchday 1): the API lists goals in edit order and
	// keeps a stray 1:7 entry without minute or scorer.
	got := matchByID(t, "getmatchdata_bl1_2022_1.json", 63864, capturedAt)
	require.Equal(t, &domain.Score{Home: 1, Away: 6, Halftime: &domain.ScoreLine{Home: 0, Away: 5}}, got.Score)
	require.Len(t, got.Goals, 7)
	scorers := make([]string, 0, len(got.Goals))
	for _, g := range got.Goals {
		scorers = append(scorers, g.Scorer)
	}
	assert.Equal(t, []string{"Kimmich", "Pavard", "Mane", "J. Musiala", "Gnabry", "Kolo Muani", "J. Musiala"}, scorers)
	assert.Equal(t, domain.SideHome, got.Goals[5].Team)
	assert.Equal(t, 5, *got.Goals[0].Minute)
}
