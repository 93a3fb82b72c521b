// Package config loads a service's typed Settings from environment variables once at
// start. Every error names the variable at fault, so an operator reading a crash-looping
// pod's log knows what to fix.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Validator is implemented by Settings that check relations a struct tag cannot say.
type Validator interface {
	Validate() error
}

// VarError is an invalid or missing variable.
type VarError struct {
	Var    string
	Reason string
}

func (e *VarError) Error() string { return e.Var + ": " + e.Reason }

// Invalid returns the error a Validate method gives for a bad variable.
func Invalid(variable, format string, args ...any) error {
	return &VarError{Var: variable, Reason: fmt.Sprintf(format, args...)}
}

// Load fills settings (a pointer to a flat struct with `env` tags) from the process
// environment and validates it.
func Load(settings any) error {
	return LoadFrom(settings, environ())
}

// LoadFrom is Load with an explicit environment, for tests.
func LoadFrom(settings any, environment map[string]string) error {
	err := env.ParseWithOptions(settings, env.Options{Environment: environment})
	if err != nil {
		return translate(settings, err)
	}
	if v, ok := settings.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("invalid configuration: %w", err)
		}
	}
	return nil
}

// MustLoad is Load for main: on error it prints the message to stderr and exits with
// status 2, before anything else has started.
func MustLoad(service string, settings any) {
	if err := Load(settings); err != nil {
		Exit(os.Stderr, service, err)
	}
}

// Exit reports a configuration error and stops the process.
func Exit(w io.Writer, service string, err error) {
	_, _ = fmt.Fprintf(w, "%s: configuration error: %v\n", service, err)
	os.Exit(2)
}

func environ() map[string]string {
	m := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// translate rewrites the env library's errors, which name Go fields, into errors that
// name the environment variable.
func translate(settings any, err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	msgs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var (
			pe  env.ParseError
			ns  env.VarIsNotSetError
			emp env.EmptyVarError
		)
		switch {
		case errors.As(e, &pe):
			// The value is not echoed: a mistyped variable may hold a secret.
			msgs = append(msgs, &VarError{Var: varName(settings, pe.Name), Reason: "cannot parse the value as " + describe(pe.Type)})
		case errors.As(e, &ns):
			msgs = append(msgs, &VarError{Var: ns.Key, Reason: "is required but not set"})
		case errors.As(e, &emp):
			msgs = append(msgs, &VarError{Var: emp.Key, Reason: "must not be empty"})
		default:
			msgs = append(msgs, e)
		}
	}
	return fmt.Errorf("invalid configuration: %w", errors.Join(msgs...))
}

// describe names the expected form of a value for an operator.
func describe(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 10s or 500ms"
	case t == reflect.TypeFor[Seconds]():
		return "a number of seconds or a duration such as 90s"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a comma-separated list"
	default:
		return t.String()
	}
}

func varName(settings any, field string) string {
	t := reflect.TypeOf(settings)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if f, ok := t.FieldByName(field); ok {
		if tag, _, _ := strings.Cut(f.Tag.Get("env"), ","); tag != "" {
			return tag
		}
	}
	return field
}
