package telemetry

import (
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// ClientOptions configure an outgoing HTTP client.
type ClientOptions struct {
	// Timeout bounds a whole request, body included.
	Timeout time.Duration
	// MaxConnsPerHost bounds the pool to one upstream; idle connections are kept up to
	// the same number so a busy service reuses them instead of dialling.
	MaxConnsPerHost int
	// SpanName names the client span; the default is "HTTP <method>".
	SpanName func(r *http.Request) string
}

// NewHTTPClient returns a client whose every request is a child span of the request's
// context and carries traceparent and baggage downstream.
func NewHTTPClient(opts ClientOptions) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxConnsPerHost <= 0 {
		opts.MaxConnsPerHost = 64
	}
	base := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   2 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4 * opts.MaxConnsPerHost,
		MaxIdleConnsPerHost:   opts.MaxConnsPerHost,
		MaxConnsPerHost:       opts.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	otelOpts := []otelhttp.Option{otelhttp.WithPropagators(Propagator())}
	if opts.SpanName != nil {
		otelOpts = append(otelOpts, otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return opts.SpanName(r)
		}))
	}
	return &http.Client{
		Timeout:   opts.Timeout,
		Transport: otelhttp.NewTransport(base, otelOpts...),
	}
}
