// Package upstream calls the data services: the cache first and, when the cache cannot
// be reached, the provider adapter directly (uncached, degraded, but answering). Bodies
// are passed through as raw bytes so the hot path never decodes the domain JSON.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/football-tracker/backend/pkg/envelope"
)

// MaxBody bounds an upstream answer.
const MaxBody = 8 << 20

// Response is a successful upstream answer.
type Response struct {
	Body []byte
	// Cached is true when the cache answered HIT or STALE.
	Cached bool
	// Source is "cache" or "adapter".
	Source string
}

// errUnreachable marks a transport failure (refused, reset, timeout): the only case
// in which the adapter is tried instead of the cache.
var errUnreachable = errors.New("upstream unreachable")

// Options configure a Client.
type Options struct {
	CacheURL   string
	AdapterURL string
	HTTP       *http.Client
	Logger     *slog.Logger
	Registry   prometheus.Registerer
	// BreakerTimeout is how long the cache is skipped after it failed repeatedly.
	BreakerTimeout time.Duration
}

// Client is safe for concurrent use.
type Client struct {
	cache, adapter string
	http           *http.Client
	log            *slog.Logger
	cacheCB        *gobreaker.CircuitBreaker[Response]
	requests       *prometheus.CounterVec
}

// New returns a Client.
func New(opts Options) *Client {
	if opts.BreakerTimeout <= 0 {
		opts.BreakerTimeout = 5 * time.Second
	}
	c := &Client{
		cache:   strings.TrimRight(opts.CacheURL, "/"),
		adapter: strings.TrimRight(opts.AdapterURL, "/"),
		http:    opts.HTTP,
		log:     opts.Logger,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_requests_total",
			Help: "Upstream calls by upstream (cache|adapter) and outcome (ok|error|unreachable|skipped).",
		}, []string{"upstream", "outcome"}),
	}
	if opts.Registry != nil {
		opts.Registry.MustRegister(c.requests)
	}
	c.cacheCB = gobreaker.NewCircuitBreaker[Response](gobreaker.Settings{
		Name:        "cache",
		MaxRequests: 1,
		Timeout:     opts.BreakerTimeout,
		ReadyToTrip: func(cn gobreaker.Counts) bool { return cn.ConsecutiveFailures >= 3 },
		// Only an unreachable cache counts: a 404 or a 502 it answers is the cache working.
		IsSuccessful: func(err error) bool { return !errors.Is(err, errUnreachable) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			c.log.Warn("cache breaker changed state", slog.String("from", from.String()), slog.String("to", to.String()))
		},
	})
	return c
}

// CacheDegraded reports whether the cache is being skipped right now.
func (c *Client) CacheDegraded() bool { return c.cacheCB.State() == gobreaker.StateOpen }

// Get fetches path?query from the cache, or from the adapter when the cache is
// unreachable. query must already be validated and canonical.
func (c *Client) Get(ctx context.Context, path, query string) (Response, error) {
	target := path
	if query != "" {
		target += "?" + query
	}
	r, err := c.cacheCB.Execute(func() (Response, error) {
		return c.do(ctx, http.MethodGet, c.cache+target, nil, "cache")
	})
	if err == nil {
		c.requests.WithLabelValues("cache", "ok").Inc()
		return r, nil
	}
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		c.requests.WithLabelValues("cache", "skipped").Inc()
	case errors.Is(err, errUnreachable):
		c.requests.WithLabelValues("cache", "unreachable").Inc()
		c.log.WarnContext(ctx, "cache unreachable, asking the adapter directly", slog.Any("error", err))
	default:
		c.requests.WithLabelValues("cache", "error").Inc()
		return Response{}, err
	}
	if ctx.Err() != nil {
		return Response{}, envelope.New(envelope.CodeServiceUnavailable, "")
	}
	r, err = c.do(ctx, http.MethodGet, c.adapter+target, nil, "adapter")
	if err != nil {
		c.requests.WithLabelValues("adapter", "error").Inc()
		return Response{}, mapTransport(err)
	}
	c.requests.WithLabelValues("adapter", "ok").Inc()
	return r, nil
}

// Invalidate forwards a validated invalidation body to the cache; there is no
// fallback, the adapter caches nothing.
func (c *Client) Invalidate(ctx context.Context, body []byte) (Response, error) {
	r, err := c.do(ctx, http.MethodPost, c.cache+"/v1/invalidate", body, "cache")
	if err != nil {
		c.requests.WithLabelValues("cache", "error").Inc()
		return Response{}, mapTransport(err)
	}
	c.requests.WithLabelValues("cache", "ok").Inc()
	return r, nil
}

func mapTransport(err error) error {
	if !errors.Is(err, errUnreachable) {
		return err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return envelope.New(envelope.CodeUpstreamTimeout, "")
	}
	return envelope.New(envelope.CodeServiceUnavailable, "")
}

func (c *Client) do(ctx context.Context, method, url string, body []byte, source string) (Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{}, fmt.Errorf("building upstream request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %s: %w", errUnreachable, source, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return Response{}, fmt.Errorf("%w: %s: reading body: %w", errUnreachable, source, err)
	}
	if len(raw) > MaxBody {
		c.log.WarnContext(ctx, "upstream answer too large", slog.String("upstream", source))
		return Response{}, envelope.New(envelope.CodeUpstream, "")
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if !looksLikeJSON(raw) {
			c.log.WarnContext(ctx, "upstream answered a body that is not JSON", slog.String("upstream", source))
			return Response{}, envelope.New(envelope.CodeUpstream, "")
		}
		xc := resp.Header.Get("X-Cache")
		return Response{Body: raw, Cached: xc == "HIT" || xc == "STALE", Source: source}, nil
	}
	return Response{}, MapFailure(resp.StatusCode, raw)
}

// looksLikeJSON is a constant-time sanity check that the body is a JSON object or
// array, so it can be embedded verbatim without being decoded on the hot path.
func looksLikeJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) < 2 {
		return false
	}
	first, last := b[0], b[len(b)-1]
	return (first == '{' && last == '}') || (first == '[' && last == ']')
}

// passThrough are the codes an upstream may hand to the client as they are. Anything
// else (an upstream's 401, 429, 500…) is the upstream's problem, not the client's, and
// becomes UPSTREAM_ERROR.
var passThrough = map[envelope.Code]bool{
	envelope.CodeValidation:         true,
	envelope.CodeNotFound:           true,
	envelope.CodeUpstream:           true,
	envelope.CodeServiceUnavailable: true,
	envelope.CodeUpstreamTimeout:    true,
}

// MapFailure turns an upstream failure into a documented error without leaking a body
// that is not a documented envelope.
func MapFailure(status int, body []byte) *envelope.Error {
	var f struct {
		Success *bool           `json:"success"`
		Error   *envelope.Error `json:"error"`
	}
	if json.Unmarshal(body, &f) == nil && f.Success != nil && !*f.Success && f.Error != nil &&
		f.Error.Code.Valid() && f.Error.Code.Status() == status && passThrough[f.Error.Code] {
		e := envelope.New(f.Error.Code, "")
		if f.Error.Code == envelope.CodeValidation {
			e.Details = f.Error.Details
		}
		return e
	}
	switch status {
	case http.StatusNotFound:
		return envelope.New(envelope.CodeNotFound, "")
	case http.StatusServiceUnavailable:
		return envelope.New(envelope.CodeServiceUnavailable, "")
	case http.StatusGatewayTimeout:
		return envelope.New(envelope.CodeUpstreamTimeout, "")
	default:
		return envelope.New(envelope.CodeUpstream, "")
	}
}

// Check returns a health check that asks base+"/healthz".
func (c *Client) Check(which string) func(ctx context.Context) error {
	base := c.cache
	if which == "adapter" {
		base = c.adapter
	}
	return func(ctx context.Context) error {
		if which == "cache" && c.CacheDegraded() {
			return errors.New("cache breaker open")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", which, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", which, resp.StatusCode)
		}
		return nil
	}
}
