package validate_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/gateway/internal/validate"
)

var now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }

func matchesSpec() validate.Spec {
	return validate.Spec{
		"league":   validate.League(leagues.Builtin()),
		"season":   validate.Season(now),
		"date":     validate.Date,
		"status":   validate.Status,
		"matchday": validate.IntRange(1, 60),
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		query     string
		canonical string
		fields    []string
	}{
		{"empty", "", "", nil},
		{"all valid, reordered", "status=finished&season=2025&league=BL1&date=2025-08-22&matchday=3", "date=2025-08-22&league=bl1&matchday=3&season=2025&status=finished", nil},
		{"next season allowed", "season=2027", "season=2027", nil},
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
		{"unknown parameter", "foo=bar", "", []string{"foo"}},
		{"unknown parameter with odd name", "%3Cscript%3E=1", "", []string{"query"}},
		{"repeated parameter", "league=bl1&league=bl2", "", []string{"league"}},
		{"bad escape", "league=%zz", "", []string{"query"}},
		{"too long", "status=" + strings.Repeat("a", 100), "", []string{"status"}},
		{"several at once", "season=1&status=x&x=1", "", []string{"season", "status", "x"}},
	}
	spec := matchesSpec()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, verr := spec.Check([]byte(tc.query))
			if tc.fields == nil {
				require.Nil(t, verr)
				assert.Equal(t, tc.canonical, got)
				return
			}
			require.NotNil(t, verr)
			assert.Equal(t, envelope.CodeValidation, verr.Code)
			var fields []string
			for _, d := range verr.Details {
				fields = append(fields, d.Field)
			}
			assert.ElementsMatch(t, tc.fields, fields)
		})
	}
}

func TestMatchID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id string
		ok bool
	}{{"ol-66640", true}, {"sm-19134453", true}, {"xx-1", false}, {"ol-0", false}, {"ol-1/../x", false}, {"", false}, {"ol-1234567890123", false}} {
		_, msg := validate.MatchID(tc.id)
		assert.Equal(t, tc.ok, msg == "", tc.id)
	}
}

type body struct {
	Name string `json:"name"`
}

func (b *body) Validate() []envelope.FieldError {
	if b.Name == "" {
		return []envelope.FieldError{{Field: "name", Message: "is required"}}
	}
	return nil
}

func TestJSONBody(t *testing.T) {
	t.Parallel()
	app := httpserver.New(httpserver.Config{BodyLimit: 256, Logger: slog.New(slog.DiscardHandler)})
	app.Post("/", func(c *fiber.Ctx) error {
		var b body
		if err := validate.JSON(c, &b); err != nil {
			return err
		}
		return envelope.OK(c, b, false)
	})
	cases := []struct {
		name   string
		ctype  string
		body   string
		status int
		code   envelope.Code
		field  string
	}{
		{"ok", "application/json", `{"name":"x"}`, 200, "", ""},
		{"ok with charset", "application/json; charset=utf-8", `{"name":"x"}`, 200, "", ""},
		{"form", "application/x-www-form-urlencoded", `name=x`, 415, envelope.CodeUnsupportedMedia, ""},
		{"no content type", "", `{"name":"x"}`, 415, envelope.CodeUnsupportedMedia, ""},
		{"malformed", "application/json", `{"name":`, 400, envelope.CodeValidation, "body"},
		{"empty", "application/json", ``, 400, envelope.CodeValidation, "body"},
		{"unknown field", "application/json", `{"name":"x","admin":true}`, 400, envelope.CodeValidation, "body"},
		{"wrong type", "application/json", `{"name":1}`, 400, envelope.CodeValidation, "body"},
		{"array", "application/json", `[]`, 400, envelope.CodeValidation, "body"},
		{"trailing", "application/json", `{"name":"x"}{}`, 400, envelope.CodeValidation, "body"},
		{"field invalid", "application/json", `{"name":""}`, 400, envelope.CodeValidation, "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := app.Test(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			raw, _ := io.ReadAll(resp.Body)
			if tc.code == "" {
				return
			}
			var f envelope.Failure
			require.NoError(t, json.Unmarshal(raw, &f), string(raw))
			assert.Equal(t, tc.code, f.Error.Code)
			if tc.field != "" {
				require.Len(t, f.Error.Details, 1)
				assert.Equal(t, tc.field, f.Error.Details[0].Field)
			}
		})
	}
}

func FuzzQuery(f *testing.F) {
	spec := matchesSpec()
	for _, s := range []string{"", "league=bl1&season=2025", "date=2025-08-22&status=finished", "a=%zz", "&&&=", "matchday=99999999999999999999", "league=bl1&league=bl1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		canon, verr := spec.Check([]byte(q))
		if verr != nil {
			assert.Equal(t, envelope.CodeValidation, verr.Code)
			return
		}
		// What passes must pass again unchanged: the canonical form is a fixed point.
		again, verr := spec.Check([]byte(canon))
		require.Nil(t, verr)
		assert.Equal(t, canon, again)
	})
}

func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{`, `[]`, `null`, `{"name":"x"}{}`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b body
		_ = validate.DecodeStrict(raw, &b)
	})
}

func BenchmarkQueryCheck(b *testing.B) {
	spec := matchesSpec()
	q := []byte("league=bl1&season=2025&status=finished")
	b.ReportAllocs()
	for b.Loop() {
		if _, verr := spec.Check(q); verr != nil {
			b.Fatal(verr)
		}
	}
}
