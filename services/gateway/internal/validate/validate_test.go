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
	"github.com/football-tracker/backend/pkg/query"

	"github.com/football-tracker/backend/services/gateway/internal/validate"
)

var now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }

func matchesSpec() query.Spec { return query.Matches(leagues.Builtin(), now) }

// TestQueryMiddleware: the middleware refuses with the envelope and hands the canonical
// query on; the rules themselves are tested in pkg/query.
func TestQueryMiddleware(t *testing.T) {
	t.Parallel()
	app := httpserver.New(httpserver.Config{Logger: slog.New(slog.DiscardHandler)})
	app.Get("/m", validate.Query(matchesSpec()), func(c *fiber.Ctx) error {
		return c.SendString(validate.CanonicalQuery(c))
	})
	app.Get("/m/:id", validate.Param("id", query.MatchID), func(c *fiber.Ctx) error { return c.SendString("ok") })
	for _, tc := range []struct {
		name, target string
		status       int
		body, code   string
	}{
		{"canonical query handed on", "/m?status=finished&league=BL1", 200, "league=bl1&status=finished", ""},
		{"unknown parameter refused", "/m?debug=1", 400, "", "VALIDATION_ERROR"},
		{"good id", "/m/ol-66640", 200, "ok", ""},
		{"bad id", "/m/ol-0", 400, "", "VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := app.Test(httptest.NewRequest(http.MethodGet, tc.target, nil))
			require.NoError(t, err)
			raw, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.status, resp.StatusCode)
			if tc.code == "" {
				assert.Equal(t, tc.body, string(raw))
				return
			}
			var f envelope.Failure
			require.NoError(t, json.Unmarshal(raw, &f), string(raw))
			assert.Equal(t, envelope.CodeValidation, f.Error.Code)
		})
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
		vals, verr := spec.Parse([]byte(q))
		if verr != nil {
			assert.Equal(t, envelope.CodeValidation, verr.Code)
			return
		}
		// What passes must pass again unchanged: the canonical form is a fixed point.
		canon := vals.Encode()
		again, verr := spec.Parse([]byte(canon))
		require.Nil(t, verr)
		assert.Equal(t, canon, again.Encode())
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
		if _, verr := spec.Parse(q); verr != nil {
			b.Fatal(verr)
		}
	}
}
