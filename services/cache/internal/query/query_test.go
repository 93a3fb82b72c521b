package query_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/cache/internal/query"
)

func parse(t testing.TB, r query.Resource, id, raw string) (query.Query, *envelope.Error) {
	t.Helper()
	var args fasthttp.Args
	args.Parse(raw)
	return query.NewParser(leagues.Builtin(), "bl1").Parse(r, id, &args)
}

func TestParseCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		resource  query.Resource
		id        string
		raw       string
		canonical string
		tag       string
		path      string
		rawQuery  string
	}{
		{name: "matches defaults the league", resource: query.Matches, raw: "", canonical: "league=bl1", tag: "matches:bl1", path: "/v1/matches", rawQuery: "league=bl1"},
		{name: "matches sorted and folded", resource: query.Matches, raw: "status=IN_PLAY&season=2025&date=2025-08-22&matchday=3&league=PL", canonical: "date=2025-08-22&league=pl&matchday=3&season=2025&status=in_play", tag: "matches:pl", path: "/v1/matches", rawQuery: "date=2025-08-22&league=pl&matchday=3&season=2025&status=in_play"},
		{name: "empty values are absent", resource: query.Matches, raw: "league=&season=&status=", canonical: "league=bl1", tag: "matches:bl1", path: "/v1/matches", rawQuery: "league=bl1"},
		{name: "teams", resource: query.Teams, raw: "season=2023&league=bl2", canonical: "league=bl2&season=2023", tag: "teams:bl2", path: "/v1/teams", rawQuery: "league=bl2&season=2023"},
		{name: "leagues", resource: query.Leagues, canonical: "all", tag: "leagues", path: "/v1/leagues"},
		{name: "match", resource: query.Match, id: "sm-19134453", canonical: "id=sm-19134453", tag: "match", path: "/v1/matches/sm-19134453"},
		{name: "season bounds", resource: query.Teams, raw: "season=2000", canonical: "league=bl1&season=2000", tag: "teams:bl1", path: "/v1/teams", rawQuery: "league=bl1&season=2000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := parse(t, tc.resource, tc.id, tc.raw)
			require.Nil(t, err)
			assert.Equal(t, tc.canonical, q.Canonical)
			assert.Equal(t, tc.tag, q.Tag())
			assert.Equal(t, tc.path, q.Path())
			assert.Equal(t, tc.rawQuery, q.RawQuery())
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		resource query.Resource
		id       string
		raw      string
		fields   []string
	}{
		{name: "unknown league", resource: query.Matches, raw: "league=zz", fields: []string{"league"}},
		{name: "league with hash tag bytes", resource: query.Matches, raw: "league=bl1%7D", fields: []string{"league"}},
		{name: "unknown parameter", resource: query.Teams, raw: "page=2", fields: []string{"page"}},
		{name: "odd parameter name is not echoed", resource: query.Teams, raw: "%3Cscript%3E=1", fields: []string{"query"}},
		{name: "repeated", resource: query.Matches, raw: "season=2024&season=2025", fields: []string{"season"}},
		{name: "season short", resource: query.Matches, raw: "season=925", fields: []string{"season"}},
		{name: "season signed", resource: query.Matches, raw: "season=+2025", fields: []string{"season"}},
		{name: "season too late", resource: query.Matches, raw: "season=2101", fields: []string{"season"}},
		{name: "date impossible", resource: query.Matches, raw: "date=2025-13-01", fields: []string{"date"}},
		{name: "date with time", resource: query.Matches, raw: "date=2025-01-01T00:00:00Z", fields: []string{"date"}},
		{name: "status", resource: query.Matches, raw: "status=live", fields: []string{"status"}},
		{name: "matchday negative", resource: query.Matches, raw: "matchday=-1", fields: []string{"matchday"}},
		{name: "matchday 3 digits", resource: query.Matches, raw: "matchday=007", fields: []string{"matchday"}},
		{name: "id shape", resource: query.Match, id: "ol-0", fields: []string{"id"}},
		{name: "id other provider", resource: query.Match, id: "xx-1", fields: []string{"id"}},
		{name: "match takes no query", resource: query.Match, id: "ol-1", raw: "league=bl1", fields: []string{"league"}},
		{name: "every bad field is named", resource: query.Matches, raw: "league=zz&status=x&foo=1", fields: []string{"foo", "league", "status"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.resource, tc.id, tc.raw)
			require.NotNil(t, err)
			assert.Equal(t, envelope.CodeValidation, err.Code)
			var fields []string
			for _, d := range err.Details {
				fields = append(fields, d.Field)
			}
			assert.ElementsMatch(t, tc.fields, fields)
		})
	}
}

// keySafe is every byte a canonical query may hold: nothing that could close a hash
// tag, separate a key segment unexpectedly or carry control characters.
var (
	keySafe = regexp.MustCompile(`^[a-z0-9=&_-]+$`)
	tagSafe = regexp.MustCompile(`^[a-z]+(:[a-z0-9]+)?$`)
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "league=bl1&season=2025", "status=FINISHED&matchday=07&date=2025-08-22",
		"league=bl1%7D&x={", "season=2025&season=2025", "league=pl&matchday=60", "%00=%ff",
	} {
		f.Add(seed, "ol-1")
	}
	reg := leagues.Builtin()
	f.Fuzz(func(t *testing.T, raw, id string) {
		p := query.NewParser(reg, "bl1")
		for _, r := range query.Resources {
			var args fasthttp.Args
			args.Parse(raw)
			q, err := p.Parse(r, id, &args)
			if err != nil {
				assert.Equal(t, envelope.CodeValidation, err.Code)
				continue
			}
			if !keySafe.MatchString(q.Canonical) {
				t.Fatalf("canonical %q holds unsafe bytes", q.Canonical)
			}
			if !tagSafe.MatchString(q.Tag()) {
				t.Fatalf("tag %q holds unsafe bytes", q.Tag())
			}
			if r == query.Match || r == query.Leagues {
				continue
			}
			// Canonical is a fixed point: parsing it again gives the same key.
			var again fasthttp.Args
			again.Parse(q.Canonical)
			q2, err := p.Parse(r, id, &again)
			require.Nil(t, err, "canonical %q does not parse", q.Canonical)
			assert.Equal(t, q.Canonical, q2.Canonical)
		}
	})
}
