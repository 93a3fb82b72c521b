// Package server holds the gateway's public routes.
package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/health"
)

// HealthBody is the data of GET /api/v1/health.
type HealthBody struct {
	Status       string            `json:"status"`
	Version      string            `json:"version"`
	Uptime       string            `json:"uptime"`
	Dependencies map[string]string `json:"dependencies"`
}

// Health answers GET /api/v1/health: the state of each dependency by name, never its
// address.
func Health(checker *health.Checker, version string, started time.Time) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rep := checker.Check(c.UserContext())
		status := "healthy"
		if rep.Degraded() || !rep.Ready {
			status = "degraded"
		}
		return envelope.OK(c, HealthBody{
			Status:       status,
			Version:      version,
			Uptime:       time.Since(started).Round(time.Second).String(),
			Dependencies: rep.Components,
		}, false)
	}
}
