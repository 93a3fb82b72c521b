// Command baseline is the ceiling the gateway is measured against by `make bench`: a
// bare fiber app with nothing on the request path (no middleware, no auth, no rate
// limit, no upstream) that answers every GET with one fixed JSON body. The body has
// the byte size of the gateway's cache-hit answer, so the two runs move the same bytes
// and differ only by the work the gateway does per request.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gofiber/fiber/v2"
)

// envelopeOverhead is the length of the envelope around the padding in Body.
const envelopeOverhead = len(`{"success":true,"data":"","cached":true,"timestamp":"2006-01-02T15:04:05Z"}`)

// Body returns a JSON envelope of exactly size bytes, or an error when size is smaller
// than the empty envelope.
func Body(size int) ([]byte, error) {
	if size < envelopeOverhead {
		return nil, fmt.Errorf("size %d is below the smallest envelope (%d bytes)", size, envelopeOverhead)
	}
	pad := strings.Repeat("x", size-envelopeOverhead)
	return []byte(`{"success":true,"data":"` + pad + `","cached":true,"timestamp":"2006-01-02T15:04:05Z"}`), nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("baseline: ")
	addr := flag.String("addr", "127.0.0.1:8095", "listen address")
	size := flag.Int("size", 20*1024, "response body size in bytes (the gateway's cache-hit answer)")
	flag.Parse()

	body, err := Body(*size)
	if err != nil {
		log.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})

	// SIGTERM and Ctrl-C stop the listener so the harness sees a clean exit.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = app.Shutdown()
	}()
	log.Printf("listening on %s, %d-byte body", *addr, len(body))
	if err := app.Listen(*addr); err != nil {
		log.Fatal(err)
	}
}
