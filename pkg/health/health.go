// Package health keeps a service's readiness as a set of named components and answers
// the probes. Liveness never checks a dependency: a Redis blip must not restart pods.
package health

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// CheckFunc reports whether a dependency answers.
type CheckFunc func(ctx context.Context) error

type component struct {
	check    CheckFunc
	optional bool
}

// Option changes how a component counts.
type Option func(*component)

// Optional marks a component whose failure is reported but leaves the service ready,
// for dependencies the service can work without (degraded).
func Optional() Option { return func(c *component) { c.optional = true } }

// Checker is the set of components of one service.
type Checker struct {
	mu           sync.RWMutex
	components   map[string]component
	shuttingDown atomic.Bool
	timeout      time.Duration
}

// New returns a checker whose checks each get timeout to answer.
func New(timeout time.Duration) *Checker {
	if timeout <= 0 {
		timeout = time.Second
	}
	return &Checker{components: map[string]component{}, timeout: timeout}
}

// Register adds or replaces a component.
func (h *Checker) Register(name string, check CheckFunc, opts ...Option) {
	c := component{check: check}
	for _, o := range opts {
		o(&c)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.components[name] = c
}

// SetShuttingDown makes readiness fail from now on, so the load balancer stops sending
// new requests while in-flight ones drain.
func (h *Checker) SetShuttingDown() { h.shuttingDown.Store(true) }

// ShuttingDown reports whether shutdown has begun.
func (h *Checker) ShuttingDown() bool { return h.shuttingDown.Load() }

// Report is the result of one readiness evaluation.
type Report struct {
	Ready      bool              `json:"ready"`
	Components map[string]string `json:"components"`
}

// Degraded reports whether any component, required or optional, is down.
func (r Report) Degraded() bool {
	for _, s := range r.Components {
		if s != "up" {
			return true
		}
	}
	return false
}

// Check runs every component's check concurrently.
func (h *Checker) Check(ctx context.Context) Report {
	h.mu.RLock()
	comps := maps.Clone(h.components)
	h.mu.RUnlock()

	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()

	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(comps))
	for name, c := range comps {
		go func() { results <- result{name, c.check(ctx)} }()
	}
	rep := Report{Ready: !h.shuttingDown.Load(), Components: make(map[string]string, len(comps))}
	for range comps {
		r := <-results
		if r.err != nil {
			rep.Components[r.name] = "down"
			if !comps[r.name].optional {
				rep.Ready = false
			}
			continue
		}
		rep.Components[r.name] = "up"
	}
	return rep
}

// Names lists the registered components, sorted.
func (h *Checker) Names() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Sorted(maps.Keys(h.components))
}

// Live answers the liveness probe: the process serves requests, nothing more.
func (h *Checker) Live(c *fiber.Ctx) error {
	return c.Status(http.StatusOK).JSON(fiber.Map{"status": "alive"})
}

// Ready answers the readiness probe with each component's state; component names are
// shown, addresses never.
func (h *Checker) Ready(c *fiber.Ctx) error {
	rep := h.Check(c.UserContext())
	status := http.StatusOK
	if !rep.Ready {
		status = http.StatusServiceUnavailable
	}
	return c.Status(status).JSON(rep)
}
