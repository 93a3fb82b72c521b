// Package validate checks every client input before anything else runs: query
// parameters against a per-endpoint spec of pkg/query (unknown and repeated parameters
// refused), path parameters against their rule, and JSON bodies (media type, strict
// decoding). What
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
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/query"
)

// QueryKey is the c.Locals key of the validated, canonical query string.
const QueryKey = "validate.query"

// Query returns middleware that validates the query against spec (the rules every
// service shares, pkg/query) and leaves the canonical query in c.Locals(QueryKey).
func Query(spec query.Spec) fiber.Handler {
	return func(c *fiber.Ctx) error {
		vals, verr := spec.Parse(c.Context().QueryArgs().QueryString())
		if verr != nil {
			return verr
		}
		c.Locals(QueryKey, vals.Encode())
		return c.Next()
	}
}

// CanonicalQuery is the query a Query middleware validated.
func CanonicalQuery(c *fiber.Ctx) string {
	q, _ := c.Locals(QueryKey).(string)
	return q
}

// Param returns middleware that validates a path parameter.
func Param(name string, rule query.Rule) fiber.Handler {
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
