package telemetry

import (
	"github.com/gofiber/contrib/otelfiber/v2"
	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel"
)

// probePaths are never traced: a probe every few seconds per pod would drown the
// traces people look for.
var probePaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// IsProbe reports whether a path is a probe or scrape endpoint.
func IsProbe(path string) bool { return probePaths[path] }

// FiberMiddleware starts a server span per request, named by the route template
// (/api/v1/matches/:id, never the raw path), and puts it in c.UserContext().
func FiberMiddleware() fiber.Handler {
	return otelfiber.Middleware(
		otelfiber.WithNext(func(c *fiber.Ctx) bool { return IsProbe(c.Path()) }),
		otelfiber.WithTracerProvider(otel.GetTracerProvider()),
		otelfiber.WithPropagators(Propagator()),
	)
}
