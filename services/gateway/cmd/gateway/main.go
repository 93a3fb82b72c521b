// Command gateway is the Football Tracker gateway service.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/service"

	settings "github.com/football-tracker/backend/services/gateway/internal/config"
	"github.com/football-tracker/backend/services/gateway/internal/server"
)

const name = "gateway"

func main() {
	var s settings.Settings
	config.MustLoad(name, &s)

	ctx := context.Background()
	rt, err := service.Init(ctx, name, s.Server, s.JWTSecret, s.AdminPass, s.Password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	app := rt.NewApp(httpserver.Config{BodyLimit: s.MaxBodyBytes, TrustedProxies: s.TrustedProxies})
	app.Get("/api/v1/health", server.Health(rt.Health, s.Version, time.Now()))
	if err := rt.Run(ctx, app); err != nil {
		rt.Fatal(err)
	}
}
