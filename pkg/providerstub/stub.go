// Package providerstub is a stand-in for the SportMonks and OpenLigaDB APIs that replays
// the recorded fixtures. Tests, the offline stack (`make run OFFLINE=1`) and `make bench`
// use it. Faults (errors, rate limits, garbage, hangs) can be switched on per provider,
// from Go or over HTTP, so a test in another process can break a provider on purpose.
package providerstub

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Provider names as used in fault and counter paths.
const (
	SportMonks = "sportmonks"
	OpenLigaDB = "openligadb"
)

// Fault is what a provider does instead of answering normally.
type Fault string

// The faults a provider can be given.
const (
	FaultNone    Fault = ""
	Fault500     Fault = "500"
	Fault429     Fault = "429"
	Fault401     Fault = "401"
	FaultGarbage Fault = "garbage" // truncated JSON with status 200
	FaultHTML    Fault = "html"    // an HTML error page with status 502
	FaultEmpty   Fault = "empty"   // 200 with empty data
	FaultHang    Fault = "hang"    // no answer until the client gives up
	FaultHuge    Fault = "huge"    // a 200 body far over any sane size
)

// Stub serves both providers. The zero value is not usable; call New.
type Stub struct {
	mux    *http.ServeMux
	mu     sync.RWMutex
	faults map[string]Fault
	calls  map[string]*atomic.Int64
	// requests keeps every URL and header received, so tests can check what reached
	// the provider (e.g. that no token was put in a URL).
	reqMu    sync.Mutex
	requests []Request
	// SportMonksToken, when set, is required in the Authorization header.
	SportMonksToken string
}

// Request is one request the stub received.
type Request struct {
	Provider string
	Method   string
	URL      string
	Header   http.Header
}

// New returns a stub with every provider healthy.
func New() *Stub {
	s := &Stub{
		mux:    http.NewServeMux(),
		faults: map[string]Fault{},
		calls:  map[string]*atomic.Int64{SportMonks: {}, OpenLigaDB: {}},
	}
	s.routesOpenLigaDB()
	s.routesSportMonks()
	s.mux.HandleFunc("POST /_stub/faults/{provider}", s.setFaultHTTP)
	s.mux.HandleFunc("GET /_stub/calls", s.callsHTTP)
	s.mux.HandleFunc("POST /_stub/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

// SetFault makes a provider misbehave until it is cleared with FaultNone.
func (s *Stub) SetFault(provider string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[provider] = f
}

// Calls returns how many requests a provider has received.
func (s *Stub) Calls(provider string) int64 {
	if c, ok := s.calls[provider]; ok {
		return c.Load()
	}
	return 0
}

// Requests returns a copy of every request received.
func (s *Stub) Requests() []Request {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset clears faults, counters and the request log.
func (s *Stub) Reset() {
	s.mu.Lock()
	s.faults = map[string]Fault{}
	s.mu.Unlock()
	for _, c := range s.calls {
		c.Store(0)
	}
	s.reqMu.Lock()
	s.requests = nil
	s.reqMu.Unlock()
}

func (s *Stub) fault(provider string) Fault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults[provider]
}

// ServeHTTP implements http.Handler.
func (s *Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Stub) setFaultHTTP(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	if provider != SportMonks && provider != OpenLigaDB {
		http.Error(w, "unknown provider", http.StatusNotFound)
		return
	}
	s.SetFault(provider, Fault(r.URL.Query().Get("fault")))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Stub) callsHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int64{
		SportMonks: s.Calls(SportMonks),
		OpenLigaDB: s.Calls(OpenLigaDB),
	})
}

// provider wraps a provider's handler with counting, recording and faults.
func (s *Stub) provider(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.calls[name].Add(1)
		s.reqMu.Lock()
		s.requests = append(s.requests, Request{Provider: name, Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone()})
		s.reqMu.Unlock()
		if s.applyFault(name, w, r) {
			return
		}
		h(w, r)
	}
}

func (s *Stub) applyFault(provider string, w http.ResponseWriter, r *http.Request) bool {
	switch s.fault(provider) {
	case FaultNone:
		return false
	case Fault500:
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal server error"}`)
	case Fault429:
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusTooManyRequests, `{"message":"You have reached the rate limit for this entity.","code":5005}`)
	case Fault401:
		writeJSON(w, http.StatusUnauthorized, `{"message":"Unauthenticated."}`)
	case FaultGarbage:
		writeJSON(w, http.StatusOK, `{"data":[{"id":1,"name":"trunc`)
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"))
	case FaultEmpty:
		if provider == SportMonks {
			writeJSON(w, http.StatusOK, `{"data":[]}`)
		} else {
			writeJSON(w, http.StatusOK, `[]`)
		}
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	case FaultHuge:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":[` + strings.Repeat(`{"id":1},`, 2_000_000) + `{"id":1}]}`))
	default:
		writeJSON(w, http.StatusInternalServerError, `{"message":"unknown stub fault"}`)
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
