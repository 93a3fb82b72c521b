// Package upstream calls the provider-adapter, the only place the cache gets data from.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/telemetry"
)

// Sentinel errors for an adapter that gave no HTTP answer the cache can pass on.
var (
	// ErrTimeout: the adapter did not answer within UPSTREAM_TIMEOUT.
	ErrTimeout = errors.New("adapter timed out")
	// ErrUnreachable: the connection failed or broke.
	ErrUnreachable = errors.New("adapter unreachable")
	// ErrTooLarge: the answer exceeded the hard size bound.
	ErrTooLarge = errors.New("adapter answer too large")
)

// Response is an HTTP answer of the adapter, success or documented failure.
type Response struct {
	Status int
	Body   []byte
	// Provider is the X-Provider header when it names a known provider.
	Provider string
}

// Client calls the adapter at its base URL.
type Client struct {
	base    string
	http    *http.Client
	probe   *http.Client
	maxBody int64
}

// Options configure a Client.
type Options struct {
	BaseURL string
	Timeout time.Duration
	// MaxBody is the largest answer read; a larger one is an error, not a truncation.
	MaxBody int64
	// HTTPClient replaces the traced default (tests).
	HTTPClient *http.Client
}

// New returns a client. The default HTTP client is traced: every call is a child span
// of the request and carries traceparent to the adapter.
func New(opt Options) *Client {
	hc := opt.HTTPClient
	if hc == nil {
		hc = telemetry.NewHTTPClient(telemetry.ClientOptions{
			Timeout:  opt.Timeout,
			SpanName: func(r *http.Request) string { return "adapter GET " + routeOf(r.URL.Path) },
		})
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = 32 << 20
	}
	return &Client{
		base: strings.TrimRight(opt.BaseURL, "/"),
		http: hc,
		// Probes are kept out of traces: one every few seconds per pod would drown them.
		probe:   &http.Client{Timeout: time.Second},
		maxBody: opt.MaxBody,
	}
}

// routeOf names the span by template, never by the id in the path.
func routeOf(path string) string {
	if strings.HasPrefix(path, "/v1/matches/") {
		return "/v1/matches/{id}"
	}
	return path
}

// Get fetches path?rawQuery. Any HTTP answer is a Response (the caller decides what a
// 4xx or 5xx means); only a missing answer is an error.
func (c *Client) Get(ctx context.Context, path, rawQuery string) (Response, error) {
	u := c.base + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Response{}, fmt.Errorf("building adapter request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, classify(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return Response{}, classify(err)
	}
	if int64(len(body)) > c.maxBody {
		return Response{}, ErrTooLarge
	}
	out := Response{Status: resp.StatusCode, Body: body}
	switch p := resp.Header.Get("X-Provider"); p {
	case domain.ProviderSportMonks, domain.ProviderOpenLigaDB:
		out.Provider = p
	}
	return out, nil
}

func classify(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

// Ping checks that the adapter answers its liveness probe, for readiness.
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("building adapter probe: %w", err)
	}
	resp, err := c.probe.Do(req)
	if err != nil {
		return classify(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: probe answered %d", ErrUnreachable, resp.StatusCode)
	}
	return nil
}
