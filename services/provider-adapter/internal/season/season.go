// Package season holds the football calendar rule the adapter uses everywhere: a
// season is named by the year it starts, and European seasons start in July.
package season

import "time"

// startMonth is the first month of a season; June belongs to the season before.
const startMonth = time.July

// Of returns the season a day belongs to (2024-05-01 is season 2023, 2024-08-01 is 2024).
func Of(t time.Time) int {
	t = t.UTC()
	if t.Month() >= startMonth {
		return t.Year()
	}
	return t.Year() - 1
}
