// Command provider-adapter is the Football Tracker provider-adapter service.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/service"

	settings "github.com/football-tracker/backend/services/provider-adapter/internal/config"
)

const name = "provider-adapter"

func main() {
	var s settings.Settings
	config.MustLoad(name, &s)

	ctx := context.Background()
	rt, err := service.Init(ctx, name, s.Server, s.SportMonksToken)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	app := rt.NewApp(httpserver.Config{})
	if err := rt.Run(ctx, app); err != nil {
		rt.Fatal(err)
	}
}
