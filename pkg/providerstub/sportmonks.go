package providerstub

import (
	"net/http"
)

// routesSportMonks serves the SportMonks v3 paths the adapter uses. Every answer is
// wrapped in the real envelope (data, pagination, subscription, rate_limit, timezone).
func (s *Stub) routesSportMonks() {
	handle := func(pattern string, h http.HandlerFunc) {
		s.mux.HandleFunc("GET "+pattern, s.provider(SportMonks, s.requireToken(h)))
	}
	handle("/v3/football/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message":"No result(s) found matching your request."}`)
	})
}

// requireToken answers 401 like the real API when the token is missing or wrong.
func (s *Stub) requireToken(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.SportMonksToken != "" && r.Header.Get("Authorization") != s.SportMonksToken {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Unauthenticated."}`)
			return
		}
		h(w, r)
	}
}
