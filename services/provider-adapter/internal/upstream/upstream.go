// Package upstream makes the adapter's calls to a provider: one GET with a bounded
// body, a client span and metrics labelled by endpoint template, and the failure
// classified into a kind the failover logic can act on. The full URL, the query and
// any credential stay out of spans, metrics, logs and errors.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Kind says what went wrong with an upstream call.
type Kind string

// The kinds of upstream failure; they are metric labels and decide retry and failover.
const (
	KindTimeout      Kind = "timeout"
	KindNetwork      Kind = "network"
	KindStatus       Kind = "status"       // a 5xx or unexpected status
	KindRateLimited  Kind = "rate_limited" // 429 or quota nearly spent
	KindUnauthorized Kind = "unauthorized" // 401/403: the token is wrong or lacks the plan
	KindNotFound     Kind = "not_found"    // the provider does not know the resource
	KindDecode       Kind = "decode"       // truncated JSON, HTML, wrong shape
	KindTooLarge     Kind = "too_large"    // body over the size limit
	KindEmpty        Kind = "empty"        // a well-formed answer with no data
	KindCanceled     Kind = "canceled"     // the caller went away
	KindUnavailable  Kind = "unavailable"  // not tried: disabled, breaker open or quota spent
)

// Error is a classified upstream failure. Its message names the provider and the
// endpoint template, never a host, URL, token or provider body.
type Error struct {
	Provider string
	Endpoint string
	Kind     Kind
	Status   int
	// RetryAfter is the provider's hint on 429, when it gave one.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	msg := e.Provider + " " + e.Endpoint + ": " + string(e.Kind)
	if e.Status != 0 {
		msg += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of an upstream error; context errors count as timeout or
// canceled, anything else unclassified as a network error.
func KindOf(err error) Kind {
	var ue *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ue):
		return ue.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	default:
		return KindNetwork
	}
}

// Retryable reports whether repeating the same idempotent GET may succeed: transient
// network trouble and 5xx answers, never a 4xx, a decode error or a timeout (which has
// already spent its share of the budget).
func Retryable(err error) bool {
	switch KindOf(err) {
	case KindNetwork:
		return true
	case KindStatus:
		var ue *Error
		return errors.As(err, &ue) && ue.Status >= 500
	default:
		return false
	}
}

// Request is one GET to a provider.
type Request struct {
	// Endpoint is the path template (e.g. /v3/football/fixtures/{id}); it names spans
	// and labels metrics so that neither grows with ids.
	Endpoint string
	// URL is the full URL; it is never recorded.
	URL    string
	Header http.Header
}

// Response is a successful (2xx or 404) answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Config configures a Client.
type Config struct {
	Provider string
	HTTP     *http.Client
	// MaxBody bounds a response body; a larger one is KindTooLarge.
	MaxBody int64
	// Tracer names the spans; the default is the global provider's.
	Tracer  trace.Tracer
	Metrics *Metrics
}

// Client performs classified GETs against one provider.
type Client struct {
	cfg Config
}

// DefaultMaxBody is 4 MiB: a page of 50 fixtures with their includes is a few hundred KiB.
const DefaultMaxBody = 4 << 20

// New returns a client.
func New(cfg Config) *Client {
	if cfg.HTTP == nil {
		cfg.HTTP = http.DefaultClient
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Tracer == nil {
		cfg.Tracer = otel.Tracer("github.com/football-tracker/backend/services/provider-adapter/internal/upstream")
	}
	return &Client{cfg: cfg}
}

// Provider is the name of the provider this client calls.
func (c *Client) Provider() string { return c.cfg.Provider }

// Get performs the request. A 2xx or 404 is a Response (404 also returns a
// KindNotFound error so callers decide what "not found" means); everything else is an
// *Error.
func (c *Client) Get(ctx context.Context, r Request) (*Response, error) {
	ctx, span := c.cfg.Tracer.Start(ctx, c.cfg.Provider+" GET "+r.Endpoint,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("provider", c.cfg.Provider),
			attribute.String("provider.endpoint", r.Endpoint),
			attribute.String("http.request.method", http.MethodGet),
		))
	defer span.End()
	start := time.Now()
	resp, err := c.do(ctx, r)
	elapsed := time.Since(start)
	status := 0
	if resp != nil {
		status = resp.Status
	}
	var ue *Error
	if errors.As(err, &ue) && ue.Status != 0 {
		status = ue.Status
	}
	if status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	kind := KindOf(err)
	if err != nil && kind != KindNotFound {
		span.SetStatus(codes.Error, string(kind))
		span.SetAttributes(attribute.String("error.type", string(kind)))
	}
	c.cfg.Metrics.observe(c.cfg.Provider, r.Endpoint, kind, elapsed)
	return resp, err
}

func (c *Client) fail(r Request, kind Kind, status int, err error) *Error {
	return &Error{Provider: c.cfg.Provider, Endpoint: r.Endpoint, Kind: kind, Status: status, Err: err}
}

func (c *Client) do(ctx context.Context, r Request) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		// The URL is built by the adapter itself; never echo it (it may hold the host).
		return nil, c.fail(r, KindNetwork, 0, errors.New("building the request failed"))
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, c.fail(r, transportKind(ctx, err), 0, scrubTransport(ctx, err))
	}
	defer func() { _ = resp.Body.Close() }()

	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return nil, c.fail(r, transportKind(ctx, err), resp.StatusCode, scrubTransport(ctx, err))
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return nil, c.fail(r, KindTooLarge, resp.StatusCode, fmt.Errorf("body over %d bytes", c.cfg.MaxBody))
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return out, nil
	case resp.StatusCode == http.StatusNotFound:
		return out, c.fail(r, KindNotFound, resp.StatusCode, nil)
	case resp.StatusCode == http.StatusTooManyRequests:
		e := c.fail(r, KindRateLimited, resp.StatusCode, nil)
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
		return out, e
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return out, c.fail(r, KindUnauthorized, resp.StatusCode, nil)
	default:
		return out, c.fail(r, KindStatus, resp.StatusCode, nil)
	}
}

// transportKind tells a deadline from other transport failures.
func transportKind(ctx context.Context, err error) Kind {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	default:
		return KindNetwork
	}
}

// scrubTransport drops the *url.Error wrapper, whose message carries the URL.
func scrubTransport(ctx context.Context, err error) error {
	switch transportKind(ctx, err) {
	case KindTimeout:
		return context.DeadlineExceeded
	case KindCanceled:
		return context.Canceled
	default:
		return errors.New("connection failed")
	}
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < 86400 {
		return time.Duration(n) * time.Second
	}
	return 0
}
