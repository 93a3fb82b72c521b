// Package envelope holds the one JSON envelope every public answer uses and the
// documented error codes, so that no service invents its own error shape.
package envelope

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Code is one of the documented error codes of the public API.
type Code string

// The documented error codes. Each maps to exactly one HTTP status.
const (
	CodeValidation         Code = "VALIDATION_ERROR"
	CodeUnauthorized       Code = "UNAUTHORIZED"
	CodeInvalidCredentials Code = "INVALID_CREDENTIALS" //nolint:gosec // an error code, not a credential
	CodeForbidden          Code = "FORBIDDEN"
	CodeNotFound           Code = "NOT_FOUND"
	CodeMethodNotAllowed   Code = "METHOD_NOT_ALLOWED"
	CodePayloadTooLarge    Code = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMedia   Code = "UNSUPPORTED_MEDIA_TYPE"
	CodeRateLimited        Code = "RATE_LIMITED"
	CodeInternal           Code = "INTERNAL_ERROR"
	CodeUpstream           Code = "UPSTREAM_ERROR"
	CodeServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	CodeUpstreamTimeout    Code = "UPSTREAM_TIMEOUT"
)

var statusByCode = map[Code]int{
	CodeValidation:         http.StatusBadRequest,
	CodeUnauthorized:       http.StatusUnauthorized,
	CodeInvalidCredentials: http.StatusUnauthorized,
	CodeForbidden:          http.StatusForbidden,
	CodeNotFound:           http.StatusNotFound,
	CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	CodePayloadTooLarge:    http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	CodeRateLimited:        http.StatusTooManyRequests,
	CodeInternal:           http.StatusInternalServerError,
	CodeUpstream:           http.StatusBadGateway,
	CodeServiceUnavailable: http.StatusServiceUnavailable,
	CodeUpstreamTimeout:    http.StatusGatewayTimeout,
}

// defaultMessages are the plain messages used when a caller gives none. They never
// carry internal detail.
var defaultMessages = map[Code]string{
	CodeValidation:         "The request is invalid.",
	CodeUnauthorized:       "Authentication is required.",
	CodeInvalidCredentials: "Invalid username or password.",
	CodeForbidden:          "You are not allowed to do this.",
	CodeNotFound:           "The resource was not found.",
	CodeMethodNotAllowed:   "The method is not allowed for this resource.",
	CodePayloadTooLarge:    "The request body is too large.",
	CodeUnsupportedMedia:   "The request body must be application/json.",
	CodeRateLimited:        "Too many requests.",
	CodeInternal:           "An internal error occurred.",
	CodeUpstream:           "The data provider returned an error.",
	CodeServiceUnavailable: "The service is temporarily unavailable.",
	CodeUpstreamTimeout:    "The data provider did not answer in time.",
}

// Status is the HTTP status of the code; unknown codes are 500.
func (c Code) Status() int {
	if s, ok := statusByCode[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Valid reports whether c is one of the documented codes.
func (c Code) Valid() bool {
	_, ok := statusByCode[c]
	return ok
}

// CodeForStatus maps an HTTP status back onto a documented code; it is used for
// errors that arrive from the framework or a downstream service as a bare status.
func CodeForStatus(status int) Code {
	switch status {
	case http.StatusBadRequest:
		return CodeValidation
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return CodePayloadTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedMedia
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusBadGateway:
		return CodeUpstream
	case http.StatusServiceUnavailable:
		return CodeServiceUnavailable
	case http.StatusGatewayTimeout:
		return CodeUpstreamTimeout
	}
	if status >= 400 && status < 500 {
		// Any other client error (a request line or headers too large for the read
		// buffer, a malformed request, a timeout reading it) is the client's request
		// being invalid, not the server failing.
		return CodeValidation
	}
	return CodeInternal
}

// FieldError names one invalid input and why it was refused.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error member of a failure envelope. It is also a Go error, so handlers
// can return it and let the error handler write it.
type Error struct {
	Code       Code         `json:"code"`
	Message    string       `json:"message"`
	Details    []FieldError `json:"details,omitempty"`
	RetryAfter *int         `json:"retryAfter,omitempty"`
}

// New returns an error with the code's plain message unless msg is given.
func New(code Code, msg string) *Error {
	if msg == "" {
		msg = defaultMessages[code]
		if msg == "" {
			msg = defaultMessages[CodeInternal]
		}
	}
	return &Error{Code: code, Message: msg}
}

// Validation returns a VALIDATION_ERROR with field-level details.
func Validation(details ...FieldError) *Error {
	e := New(CodeValidation, "")
	e.Details = details
	return e
}

// RateLimited returns a RATE_LIMITED error that tells the client when to retry.
func RateLimited(retryAfter time.Duration) *Error {
	secs := max(int((retryAfter+time.Second-1)/time.Second), 1)
	e := New(CodeRateLimited, "")
	e.RetryAfter = &secs
	return e
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Status is the HTTP status for the error.
func (e *Error) Status() int { return e.Code.Status() }

// Success is the envelope of every successful public answer.
type Success struct {
	Success   bool   `json:"success"`
	Data      any    `json:"data"`
	Cached    bool   `json:"cached"`
	Timestamp string `json:"timestamp"`
}

// Failure is the envelope of every failed answer, public or internal.
type Failure struct {
	Success   bool   `json:"success"`
	Error     *Error `json:"error"`
	Timestamp string `json:"timestamp"`
}

// now is replaced in tests that compare whole bodies.
var now = time.Now

func timestamp() string { return now().UTC().Format(time.RFC3339) }

// NewSuccess wraps data in the success envelope.
func NewSuccess(data any, cached bool) Success {
	return Success{Success: true, Data: data, Cached: cached, Timestamp: timestamp()}
}

// NewFailure wraps err in the failure envelope.
func NewFailure(err *Error) Failure {
	return Failure{Success: false, Error: err, Timestamp: timestamp()}
}

// OK writes data in the success envelope with status 200.
func OK(c *fiber.Ctx, data any, cached bool) error {
	return c.Status(http.StatusOK).JSON(NewSuccess(data, cached))
}

// Fail writes err in the failure envelope with its status; a 429 also gets Retry-After.
func Fail(c *fiber.Ctx, err *Error) error {
	if err.RetryAfter != nil {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(*err.RetryAfter))
	}
	return c.Status(err.Status()).JSON(NewFailure(err))
}

// From turns any error into a documented one: an *Error stays as it is, a fiber error
// keeps its status, anything else is an INTERNAL_ERROR whose detail never reaches the
// client.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return New(CodeForStatus(fe.Code), "")
	}
	return New(CodeInternal, "")
}
