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

// Min is the first season the adapter accepts (the first Bundesliga season).
const Min = 1963

// Valid reports whether s is a sane season for a request made at now: not before
// Min and at most one season ahead.
func Valid(s int, now time.Time) bool {
	return s >= Min && s <= Of(now)+1
}
