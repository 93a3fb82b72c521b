// Command providerstub serves the recorded SportMonks and OpenLigaDB responses on one
// port, for the offline stack and benchmarks. Faults can be switched on over HTTP:
// POST /_stub/faults/{sportmonks|openligadb}?fault=500|429|401|garbage|html|empty|hang|huge.
package main

import (
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/football-tracker/backend/pkg/providerstub"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	stub := providerstub.New()
	stub.SportMonksToken = os.Getenv("SPORTMONKS_API_TOKEN")
	srv := &http.Server{Addr: *addr, Handler: stub, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("providerstub listening on %s", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
