package query

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"
)

func TestCollectSkipsWhatDoesNotMapAndFillsTheLeague(t *testing.T) {
	t.Parallel()
	raw := []json.RawMessage{json.RawMessage(`"a"`), json.RawMessage(`"bad"`), json.RawMessage(`"b"`)}
	q := Matches{League: leagues.Entry{Shortcut: "bl1"}, Status: domain.StatusFinished}
	var skipped []error
	got := q.Collect(raw, func(r []byte) (domain.Match, error) {
		switch string(r) {
		case `"bad"`:
			return domain.Match{}, errors.New("unmappable")
		case `"a"`:
			return domain.Match{ID: "ol-1", Status: domain.StatusFinished}, nil
		default:
			return domain.Match{ID: "ol-2", League: "bl2", Status: domain.StatusScheduled}, nil
		}
	}, func(err error) { skipped = append(skipped, err) })
	assert.Len(t, skipped, 1, "the unmappable record is reported, not fatal")
	assert.Equal(t, []domain.Match{{ID: "ol-1", League: "bl1", Status: domain.StatusFinished}}, got,
		"the league is filled in and the status filter applies")
}

func TestEach(t *testing.T) {
	t.Parallel()
	raw := []json.RawMessage{json.RawMessage(`{"n":1}`), json.RawMessage(`[`), json.RawMessage(`{"n":-1}`), json.RawMessage(`{"n":3}`)}
	got := Each(raw, func(v struct{ N int }) (int, error) {
		if v.N < 0 {
			return 0, errors.New("negative")
		}
		return v.N * 10, nil
	})
	assert.Equal(t, []int{10, 30}, got)
}
