package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		provider string
		n        int64
		id       string
	}{
		{ProviderOpenLigaDB, 66640, "ol-66640"},
		{ProviderSportMonks, 19134453, "sm-19134453"},
	} {
		assert.Equal(t, tt.id, NewID(tt.provider, tt.n))
		p, n, err := ParseID(tt.id)
		require.NoError(t, err)
		assert.Equal(t, tt.provider, p)
		assert.Equal(t, tt.n, n)
	}
}

func TestParseIDRejects(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "ol-", "ol-0", "xx-1", "ol-1/../2", "ol-12345678901234", "OL-1", "ol--1", "sm-1 ", "ol-01"} {
		_, _, err := ParseID(id)
		assert.ErrorIs(t, err, ErrInvalidID, id)
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"ol-1", "sm-19134453", "ol-", "💥", "sm-999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, n, err := ParseID(s)
		if err != nil {
			return
		}
		if NewID(p, n) != s {
			t.Fatalf("ParseID(%q) = %s %d does not round-trip", s, p, n)
		}
	})
}

func TestStatusValid(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses {
		assert.True(t, s.Valid())
	}
	assert.False(t, Status("live").Valid())
}
