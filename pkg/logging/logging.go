// Package logging builds the JSON slog logger every service uses: one line per event,
// trace and span ids taken from the context, and secrets redacted wherever they appear.
package logging

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// Redacted replaces every secret in the output.
const Redacted = "[REDACTED]"

// Options configure a logger.
type Options struct {
	Service string
	Version string
	Level   slog.Level
	// Secrets are values known to be secret (the JWT key, the admin password, provider
	// tokens). Any occurrence in any logged string is replaced, whatever the key.
	Secrets []string
}

// New returns a JSON logger writing to w.
func New(w io.Writer, opts Options) *slog.Logger {
	s := newScrubber(opts.Secrets)
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       opts.Level,
		ReplaceAttr: s.replaceAttr,
	})
	l := slog.New(&traceHandler{Handler: h})
	if opts.Service != "" {
		l = l.With(slog.String("service", opts.Service))
	}
	if opts.Version != "" {
		l = l.With(slog.String("version", opts.Version))
	}
	return l
}

// ParseLevel maps the LOG_LEVEL names onto slog levels.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("parsing log level %q: %w", s, err)
	}
	return l, nil
}

// traceHandler adds the ids of the span in the record's context, so a log line can be
// found from a trace and the other way round.
type traceHandler struct{ slog.Handler }

func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(
			slog.String("trace_id", sc.TraceID().String()),
			slog.String("span_id", sc.SpanID().String()),
		)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &traceHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h *traceHandler) WithGroup(name string) slog.Handler {
	return &traceHandler{Handler: h.Handler.WithGroup(name)}
}

// sensitiveKey matches attribute and header names whose value is always secret.
var sensitiveKey = regexp.MustCompile(`(?i)(authorization|password|passwd|secret|token|api[_-]?key|cookie|credential|jwt)`)

// sensitiveValue matches secrets recognisable by shape: bearer credentials and JWTs.
var sensitiveValue = regexp.MustCompile(`(?i)(bearer|basic)\s+[A-Za-z0-9\-._~+/=]+|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// sensitiveKeys memoises IsSensitiveKey: a service logs the same few dozen keys on
// every line, and the regular expression would otherwise run for each of them.
var sensitiveKeys sync.Map

// IsSensitiveKey reports whether a key or header name carries a secret; other packages
// use it so that one list decides.
func IsSensitiveKey(key string) bool {
	if v, ok := sensitiveKeys.Load(key); ok {
		return v.(bool)
	}
	sensitive := sensitiveKey.MatchString(key)
	if len(key) <= 64 {
		// Keys are code, not data; the bound keeps a hostile map key from growing it.
		sensitiveKeys.Store(key, sensitive)
	}
	return sensitive
}

// mayHoldSecretShape is a cheap filter in front of sensitiveValue: a bearer or basic
// credential needs "earer " or "asic " and a JWT starts with "eyJ". Most values
// (routes, ids, addresses) have none of these and skip the regular expression.
func mayHoldSecretShape(v string) bool {
	return strings.Contains(v, "eyJ") || containsFold(v, "bearer") || containsFold(v, "basic")
}

// containsFold is strings.Contains ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

type scrubber struct {
	known *strings.Replacer
}

func newScrubber(secrets []string) *scrubber {
	var pairs []string
	for _, s := range secrets {
		// Very short values would redact ordinary words; they are not secrets anyway
		// because the services refuse to start with them.
		if len(s) >= 6 {
			pairs = append(pairs, s, Redacted)
		}
	}
	s := &scrubber{}
	if len(pairs) > 0 {
		s.known = strings.NewReplacer(pairs...)
	}
	return s
}

// Scrub removes secrets from a string.
func (s *scrubber) Scrub(v string) string {
	if s.known != nil {
		v = s.known.Replace(v)
	}
	if !mayHoldSecretShape(v) {
		return v
	}
	return sensitiveValue.ReplaceAllString(v, Redacted)
}

func (s *scrubber) replaceAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.MessageKey {
		a.Value = slog.StringValue(s.Scrub(a.Value.String()))
		return a
	}
	if a.Value.Kind() != slog.KindGroup && IsSensitiveKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(s.Scrub(a.Value.String()))
	case slog.KindAny:
		a.Value = s.scrubAny(a.Value.Any())
	}
	return a
}

// scrubAny renders values the JSON handler would marshal itself (errors, headers,
// maps, structs) and scrubs the rendering, so a secret nested anywhere is caught.
func (s *scrubber) scrubAny(v any) slog.Value {
	switch x := v.(type) {
	case error:
		return slog.StringValue(s.Scrub(x.Error()))
	case fmt.Stringer:
		return slog.StringValue(s.Scrub(x.String()))
	case http.Header:
		clean := make(map[string]string, len(x))
		for k, vs := range x {
			if IsSensitiveKey(k) {
				clean[k] = Redacted
				continue
			}
			clean[k] = s.Scrub(strings.Join(vs, ", "))
		}
		v = clean
	case []byte:
		return slog.StringValue(s.Scrub(string(x)))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return slog.StringValue(s.Scrub(fmt.Sprint(v)))
	}
	return slog.AnyValue(json.RawMessage(s.scrubJSON(raw)))
}

// scrubJSON redacts sensitive keys inside a JSON document and then secret values.
func (s *scrubber) scrubJSON(raw []byte) []byte {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return []byte(fmt.Sprintf("%q", s.Scrub(string(raw))))
	}
	doc = s.walk(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		return []byte(`"` + Redacted + `"`)
	}
	return out
}

func (s *scrubber) walk(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			if IsSensitiveKey(k) {
				x[k] = Redacted
				continue
			}
			x[k] = s.walk(vv)
		}
		return x
	case []any:
		for i := range x {
			x[i] = s.walk(x[i])
		}
		return x
	case string:
		return s.Scrub(x)
	default:
		return v
	}
}
