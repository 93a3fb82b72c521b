// Command gateway is the Football Tracker gateway service: the only public entry.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/football-tracker/backend/pkg/config"
	"github.com/football-tracker/backend/pkg/service"

	settings "github.com/football-tracker/backend/services/gateway/internal/config"
	"github.com/football-tracker/backend/services/gateway/internal/server"
)

const name = "gateway"

func main() {
	var s settings.Settings
	config.MustLoad(name, &s)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt, err := service.Init(ctx, name, s.Server, s.JWTSecret, s.AdminPass, s.Password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	app, run, err := server.Build(ctx, rt, s, time.Now())
	if err != nil {
		rt.Fatal(err)
	}
	go run(ctx)
	if err := rt.Run(ctx, app); err != nil {
		rt.Fatal(err)
	}
}
