// Command cache is the Football Tracker cache service.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/service"

	settings "github.com/football-tracker/backend/services/cache/internal/config"
)

const name = "cache"

func main() {
	var s settings.Settings
	config.MustLoad(name, &s)

	ctx := context.Background()
	rt, err := service.Init(ctx, name, s.Server, s.Password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	app := rt.NewApp(httpserver.Config{})
	if err := rt.Run(ctx, app); err != nil {
		rt.Fatal(err)
	}
}
