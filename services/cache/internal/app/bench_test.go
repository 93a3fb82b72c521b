package app_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/football-tracker/backend/pkg/leagues"
	"github.com/football-tracker/backend/pkg/redistest"

	"github.com/football-tracker/backend/services/cache/internal/query"
)

func benchInstance(b *testing.B) *instance {
	b.Helper()
	srv := redistest.Start(b)
	adapter := newStubAdapterTB(b)
	return startInstanceTB(b, testEnv(map[string]string{"REDIS_URL": srv.URL()}, adapter.URL, nil))
}

// BenchmarkGetHit is the cache's hit path below HTTP: one MGET to a local
// redis-server, decode, freshness check.
func BenchmarkGetHit(b *testing.B) {
	inst := benchInstance(b)
	var args fasthttp.Args
	args.Parse("league=bl1&season=2025")
	q, verr := query.NewParser(leagues.Builtin(), "bl1").Parse(query.Matches, "", &args)
	require.Nil(b, verr)
	ctx := context.Background()
	for range 50 {
		if res, err := inst.Cache.Get(ctx, q); err == nil && res.Outcome == "HIT" {
			break
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := inst.Cache.Get(ctx, q)
		if err != nil || res.Outcome != "HIT" {
			b.Fatalf("not a hit: %v %s %d %s", err, res.Outcome, res.Status, res.Body)
		}
	}
}

// BenchmarkHandlerHit is the whole request on the hit path without the network:
// routing, validation, the shared middleware (tracing, access log, metrics), the
// lookup and the response headers.
func BenchmarkHandlerHit(b *testing.B) {
	inst := benchInstance(b)
	handler := inst.Fiber.Handler()
	do := func() *fasthttp.RequestCtx {
		var fctx fasthttp.RequestCtx
		fctx.Request.SetRequestURI("/v1/matches?season=2025&league=bl1")
		fctx.Request.Header.SetMethod(http.MethodGet)
		handler(&fctx)
		return &fctx
	}
	for range 50 {
		if string(do().Response.Header.Peek("X-Cache")) == "HIT" {
			break
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fctx := do()
		if string(fctx.Response.Header.Peek("X-Cache")) != "HIT" {
			b.Fatalf("not a hit: %d %s", fctx.Response.StatusCode(), fctx.Response.Body())
		}
	}
}
