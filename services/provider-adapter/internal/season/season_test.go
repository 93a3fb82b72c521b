package season

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		day  time.Time
		want int
	}{
		{"spring belongs to the season before", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), 2023},
		{"June is still the old season", time.Date(2024, 6, 30, 23, 59, 0, 0, time.UTC), 2023},
		{"July starts the new season", time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), 2024},
		{"December", time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), 2024},
		{"judged in UTC", time.Date(2024, 7, 1, 1, 0, 0, 0, time.FixedZone("CEST", 2*3600)), 2023},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, Of(tc.day))
		})
	}
}
