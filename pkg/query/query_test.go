package query

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/leagues"
)

var now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		query     string
		canonical string
		fields    []string
	}{
		{"empty", "", "", nil},
		{"all valid, reordered", "status=FINISHED&season=2025&league=BL1&date=2025-08-22&matchday=3", "date=2025-08-22&league=bl1&matchday=3&season=2025&status=finished", nil},
		{"next season allowed", "season=2027", "season=2027", nil},
		{"empty values are absent", "league=&season=&status=finished", "status=finished", nil},
		{"unknown league", "league=xx1", "", []string{"league"}},
		{"league injection", "league=bl1%2F..%2Fadmin", "", []string{"league"}},
		{"season too early", "season=1999", "", []string{"season"}},
		{"season too late", "season=2028", "", []string{"season"}},
		{"season not a number", "season=20x5", "", []string{"season"}},
		{"season signed", "season=+202", "", []string{"season"}},
		{"date wrong format", "date=22.08.2025", "", []string{"date"}},
		{"date impossible", "date=2025-02-30", "", []string{"date"}},
		{"status unknown", "status=live", "", []string{"status"}},
		{"matchday zero", "matchday=0", "", []string{"matchday"}},
		{"matchday leading zero", "matchday=03", "", []string{"matchday"}},
		{"matchday too large", "matchday=61", "", []string{"matchday"}},
		{"unknown parameter", "foo=bar", "", []string{"foo"}},
		{"unknown parameter with odd name", "%3Cscript%3E=1", "", []string{"query"}},
		{"repeated parameter", "league=bl1&league=bl2", "", []string{"league"}},
		{"repeated bad parameter counted once", "season=1&season=2", "", []string{"season", "season"}},
		{"bad escape", "league=%zz", "", []string{"query"}},
		{"too long", "status=" + strings.Repeat("a", 100), "", []string{"status"}},
		{"several at once", "season=1&status=x&x=1", "", []string{"season", "status", "x"}},
	}
	spec := Matches(leagues.Builtin(), now)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, verr := spec.Parse([]byte(tc.query))
			if tc.fields == nil {
				require.Nil(t, verr)
				assert.Equal(t, tc.canonical, got.Encode())
				return
			}
			require.NotNil(t, verr)
			assert.Equal(t, envelope.CodeValidation, verr.Code)
			var fields []string
			for _, d := range verr.Details {
				fields = append(fields, d.Field)
				assert.NotContains(t, d.Message, "admin", "messages never echo the value")
			}
			assert.ElementsMatch(t, tc.fields, fields)
		})
	}
}

func TestNoneRefusesEverything(t *testing.T) {
	t.Parallel()
	_, verr := None.Parse([]byte("league=bl1"))
	require.NotNil(t, verr)
	v, verr := None.Parse(nil)
	require.Nil(t, verr)
	assert.Empty(t, v.Encode())
}

func TestMatchID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id string
		ok bool
	}{{"ol-66640", true}, {"sm-19134453", true}, {"xx-1", false}, {"ol-0", false}, {"ol-1/../x", false}, {"", false}, {"ol-1234567890123", false}} {
		_, msg := MatchID(tc.id)
		assert.Equal(t, tc.ok, msg == "", tc.id)
	}
}

// FuzzParse: any query either fails with VALIDATION_ERROR or yields values that are
// canonical, i.e. parsing their encoding gives the same encoding.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "league=bl1&season=2023", "status=finished&date=2025-08-22", "a=%zz", "matchday=3&matchday=4"} {
		f.Add(s)
	}
	spec := Matches(leagues.Builtin(), now)
	f.Fuzz(func(t *testing.T, raw string) {
		v, verr := spec.Parse([]byte(raw))
		if verr != nil {
			if verr.Code != envelope.CodeValidation {
				t.Fatalf("unexpected code %s", verr.Code)
			}
			return
		}
		enc := v.Encode()
		again, verr := spec.Parse([]byte(enc))
		if verr != nil || again.Encode() != enc {
			t.Fatalf("canonical form %q does not re-parse to itself", enc)
		}
	})
}
