// Command provider-adapter is the Football Tracker provider-adapter service: the only
// service holding provider credentials, serving SportMonks first and OpenLigaDB as
// fallback behind one domain model.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/httpserver"
	"github.com/football-tracker/backend/pkg/service"

	"github.com/football-tracker/backend/services/provider-adapter/internal/adapter"
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
	if _, err := adapter.Mount(app, &s, adapter.Deps{Logger: rt.Logger, Health: rt.Health, Registry: rt.Registry}); err != nil {
		rt.Fatal(err)
	}
	if err := rt.Run(ctx, app); err != nil {
		rt.Fatal(err)
	}
}
