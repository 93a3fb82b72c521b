// Package validate checks every client input before anything else runs: query
// parameters against a per-endpoint spec (unknown and repeated parameters refused), path
// parameters against their pattern, and JSON bodies (media type, strict decoding). What
// passes is handed on in canonical form, so nothing a client typed reaches an upstream
// URL without having been checked.
package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/leagues"
)

// Rule checks one value and returns its canonical form, or a message saying why it is
// refused. Messages never echo the value.
type Rule func(v string) (canonical string, msg string)

// Spec is the set of query parameters an endpoint accepts.
type Spec map[string]Rule

// maxValueLen bounds any single parameter before a rule looks at it.
const maxValueLen = 64

// QueryKey is the c.Locals key of the validated, canonical query string.
const QueryKey = "validate.query"

// Check validates a raw query string against spec and returns the canonical query
// (keys sorted, values canonical) or a VALIDATION_ERROR naming each bad field.
func (s Spec) Check(rawQuery []byte) (string, *envelope.Error) {
	if len(rawQuery) == 0 {
		return "", nil
	}
	var details []envelope.FieldError
	seen := make(map[string]string, len(s))
	for part := range bytes.SplitSeq(rawQuery, []byte{'&'}) {
		if len(part) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(part, []byte{'='})
		key, err1 := url.QueryUnescape(string(k))
		val, err2 := url.QueryUnescape(string(v))
		if err1 != nil || err2 != nil {
			details = append(details, envelope.FieldError{Field: "query", Message: "is not a valid URL query"})
			continue
		}
		rule, ok := s[key]
		if !ok {
			details = append(details, envelope.FieldError{Field: fieldName(key), Message: "is not a known parameter"})
			continue
		}
		if _, dup := seen[key]; dup {
			details = append(details, envelope.FieldError{Field: key, Message: "must be given at most once"})
			continue
		}
		if len(val) > maxValueLen {
			details = append(details, envelope.FieldError{Field: key, Message: "is too long"})
			seen[key] = ""
			continue
		}
		canon, msg := rule(val)
		if msg != "" {
			details = append(details, envelope.FieldError{Field: key, Message: msg})
			seen[key] = ""
			continue
		}
		seen[key] = canon
	}
	if len(details) > 0 {
		return "", envelope.Validation(details...)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(seen[k]))
	}
	return b.String(), nil
}

// fieldName keeps an unknown parameter's name out of the answer when it is not a
// plain identifier, so the response never reflects arbitrary client bytes.
func fieldName(key string) string {
	if len(key) == 0 || len(key) > 32 {
		return "query"
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "query"
		}
	}
	return key
}

// Query returns middleware that validates the query against spec and leaves the
// canonical query in c.Locals(QueryKey).
func Query(spec Spec) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, verr := spec.Check(c.Context().QueryArgs().QueryString())
		if verr != nil {
			return verr
		}
		c.Locals(QueryKey, q)
		return c.Next()
	}
}

// CanonicalQuery is the query a Query middleware validated.
func CanonicalQuery(c *fiber.Ctx) string {
	q, _ := c.Locals(QueryKey).(string)
	return q
}

// League accepts a shortcut of the registry.
func League(reg *leagues.Registry) Rule {
	return func(v string) (string, string) {
		v = strings.ToLower(v)
		if !reg.Has(v) {
			return "", "must be one of the supported leagues (see GET /api/v1/leagues)"
		}
		return v, ""
	}
}

// MinSeason is the first season any provider serves.
const MinSeason = 2000

// Season accepts a start year from MinSeason to next year, relative to now.
func Season(now func() time.Time) Rule {
	return func(v string) (string, string) {
		maxSeason := now().UTC().Year() + 1
		n, err := strconv.Atoi(v)
		if len(v) != 4 || err != nil || n < MinSeason || n > maxSeason {
			return "", fmt.Sprintf("must be a year between %d and %d", MinSeason, maxSeason)
		}
		return v, ""
	}
}

// Date accepts an ISO calendar date, YYYY-MM-DD.
func Date(v string) (string, string) {
	if len(v) != len(time.DateOnly) {
		return "", "must be a date like 2025-08-22"
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || d.Year() < MinSeason || d.Year() > 2100 {
		return "", "must be a date like 2025-08-22"
	}
	return d.Format(time.DateOnly), ""
}

// Status accepts a value of the match status enum.
func Status(v string) (string, string) {
	if !domain.Status(v).Valid() {
		return "", "must be one of scheduled, in_play, paused, finished, postponed, suspended, cancelled, awarded"
	}
	return v, ""
}

// IntRange accepts an integer in [lo, hi] without sign or leading zeros.
func IntRange(lo, hi int) Rule {
	msg := fmt.Sprintf("must be an integer between %d and %d", lo, hi)
	return func(v string) (string, string) {
		if v == "" || len(v) > 9 || v[0] == '0' || v[0] == '+' || v[0] == '-' {
			return "", msg
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return "", msg
		}
		return strconv.Itoa(n), ""
	}
}

// MatchID accepts a public match id.
func MatchID(v string) (string, string) {
	if len(v) > 20 || !domain.IDPattern.MatchString(v) {
		return "", "must be a match id like ol-66640 or sm-19134453"
	}
	return v, ""
}

// Param returns middleware that validates a path parameter.
func Param(name string, rule Rule) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, msg := rule(c.Params(name)); msg != "" {
			return envelope.Validation(envelope.FieldError{Field: name, Message: msg})
		}
		return c.Next()
	}
}

// Body is a request body that checks its own fields.
type Body interface {
	Validate() []envelope.FieldError
}

// errTrailing refuses a body holding more than one JSON value.
var errTrailing = errors.New("trailing data after the JSON value")

// JSON decodes a JSON body strictly into dst and validates it: 415 for another media
// type, VALIDATION_ERROR for malformed JSON, unknown fields or bad values. The body
// size limit has already been enforced by the server.
func JSON(c *fiber.Ctx, dst Body) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return envelope.New(envelope.CodeUnsupportedMedia, "")
	}
	if err := DecodeStrict(c.Body(), dst); err != nil {
		return envelope.Validation(envelope.FieldError{Field: "body", Message: err.Error()})
	}
	if details := dst.Validate(); len(details) > 0 {
		return envelope.Validation(details...)
	}
	return nil
}

// DecodeStrict decodes exactly one JSON object with no unknown fields. Its errors are
// plain sentences safe to show the client.
func DecodeStrict(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errors.New("must be a JSON object")
		case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("is not valid JSON")
		case errors.As(err, &typ):
			if typ.Field != "" {
				return fmt.Errorf("field %s has the wrong type", typ.Field)
			}
			return errors.New("must be a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return errors.New("contains an unknown field")
		default:
			return errors.New("is not valid JSON")
		}
	}
	if dec.More() {
		return errTrailing
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return nil
}
