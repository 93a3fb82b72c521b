// Command cache is the Football Tracker cache service: a read-through Redis cache in
// front of the provider-adapter.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/service"

	"github.com/football-tracker/backend/services/cache/internal/app"
	settings "github.com/football-tracker/backend/services/cache/internal/config"
)

const name = "cache"

func main() {
	var s settings.Settings
	config.MustLoad(name, &s)
	if _, err := s.Leagues(); err != nil {
		config.Exit(os.Stderr, name, err)
	}

	ctx := context.Background()
	rt, err := service.Init(ctx, name, s.Server, s.Password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	redis.SetLogger(app.RedisLogger{Logger: rt.Logger})
	a, err := app.New(s, app.Deps{Logger: rt.Logger, Health: rt.Health, Registry: rt.Registry})
	if err != nil {
		rt.Fatal(err)
	}
	rt.OnShutdown(a.Close)
	if err := rt.Run(ctx, a.Fiber); err != nil {
		rt.Fatal(err)
	}
}
