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
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/football-tracker/backend/pkg/envelope"

	"github.com/football-tracker/backend/services/gateway/internal/respcache"
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
	// Provider is the provider the cache names (X-Provider), when it names one.
	Provider string
	// Local is true when the gateway's response cache answered (Source is "cache").
	Local bool

	// keep is how long the answer may be kept: the cache's max-age on a HIT.
	keep time.Duration
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
	// Local keeps hot cache answers in memory (nil: every request asks the cache).
	Local *respcache.Cache
}

// Client is safe for concurrent use.
type Client struct {
	cache, adapter string
	http           *http.Client
	log            *slog.Logger
	cacheCB        *gobreaker.CircuitBreaker[Response]
	requests       *prometheus.CounterVec
	local          *respcache.Cache

	// The hot path's counters, resolved once instead of per request.
	cacheOK, cacheLocal, cacheSkipped, cacheUnreachable, cacheError prometheus.Counter
	adapterOK, adapterError                                         prometheus.Counter
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
			Help: "Upstream calls by upstream (cache|adapter) and outcome (ok|local|error|unreachable|skipped); local: answered from the gateway's response cache.",
		}, []string{"upstream", "outcome"}),
		local: opts.Local,
	}
	c.cacheOK = c.requests.WithLabelValues("cache", "ok")
	c.cacheLocal = c.requests.WithLabelValues("cache", "local")
	c.cacheSkipped = c.requests.WithLabelValues("cache", "skipped")
	c.cacheUnreachable = c.requests.WithLabelValues("cache", "unreachable")
	c.cacheError = c.requests.WithLabelValues("cache", "error")
	c.adapterOK = c.requests.WithLabelValues("adapter", "ok")
	c.adapterError = c.requests.WithLabelValues("adapter", "error")
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

// Get fetches path?query from the gateway's response cache, the cache service, or the
// adapter when the cache is unreachable. query must already be validated and
// canonical: path?query is the response cache's key.
func (c *Client) Get(ctx context.Context, path, query string) (Response, error) {
	target := path
	if query != "" {
		target += "?" + query
	}
	if e, ok := c.local.Get(target); ok {
		c.cacheLocal.Inc()
		return Response{Body: e.Body, Cached: true, Source: "cache", Provider: e.Provider, Local: true}, nil
	}
	gen := c.local.Generation()
	r, err := c.cacheCB.Execute(func() (Response, error) {
		return c.do(ctx, http.MethodGet, c.cache+target, nil, "cache")
	})
	if err == nil {
		c.cacheOK.Inc()
		c.local.Put(target, respcache.Entry{Body: r.Body, Provider: r.Provider}, r.keep, gen)
		return r, nil
	}
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		c.cacheSkipped.Inc()
	case errors.Is(err, errUnreachable):
		c.cacheUnreachable.Inc()
		c.log.WarnContext(ctx, "cache unreachable, asking the adapter directly", slog.Any("error", err))
	default:
		c.cacheError.Inc()
		return Response{}, err
	}
	if ctx.Err() != nil {
		return Response{}, envelope.New(envelope.CodeServiceUnavailable, "")
	}
	r, err = c.do(ctx, http.MethodGet, c.adapter+target, nil, "adapter")
	if err != nil {
		c.adapterError.Inc()
		return Response{}, mapTransport(err)
	}
	c.adapterOK.Inc()
	return r, nil
}

// Invalidate forwards a validated invalidation body to the cache; there is no
// fallback, the adapter caches nothing. The gateway's own response cache is emptied
// whatever the cache answers: an invalidation that reached Redis must show here at
// once, and one that failed costs only a few upstream calls.
func (c *Client) Invalidate(ctx context.Context, body []byte) (Response, error) {
	c.local.Purge()
	r, err := c.do(ctx, http.MethodPost, c.cache+"/v1/invalidate", body, "cache")
	if err != nil {
		c.cacheError.Inc()
		return Response{}, mapTransport(err)
	}
	c.cacheOK.Inc()
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
	defer func() { _ = resp.Body.Close() }()
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
		r := Response{Body: raw, Cached: xc == "HIT" || xc == "STALE", Source: source, Provider: resp.Header.Get("X-Provider")}
		// Only a HIT is kept: an answer asked for at least twice within its TTL is a
		// hot one, and a one-off query (a MISS) does not push hot answers out. A STALE
		// answer is never kept (the cache sends no max-age with it).
		if source == "cache" && xc == "HIT" {
			r.keep = MaxAge(resp.Header.Get("Cache-Control"))
		}
		return r, nil
	}
	return Response{}, MapFailure(resp.StatusCode, raw)
}

// MaxAge reads the max-age directive of a Cache-Control value: zero when it is absent,
// malformed, or when no-store or no-cache forbids keeping the answer.
func MaxAge(cc string) time.Duration {
	var age time.Duration
	for cc != "" {
		var d string
		d, cc, _ = strings.Cut(cc, ",")
		d = strings.TrimSpace(d)
		name, val, _ := strings.Cut(d, "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache", "private":
			return 0
		case "max-age":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 || n > 365*24*3600 {
				return 0
			}
			age = time.Duration(n) * time.Second
		}
	}
	return age
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
