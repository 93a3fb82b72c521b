package providerstub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/football-tracker/backend/pkg/fixtures"
)

// routesSportMonks serves the SportMonks v3 paths the adapter uses. Every answer is
// wrapped in the real envelope (data, pagination, subscription, rate_limit, timezone);
// collections page by per_page/page and count down a per-entity hourly allowance that
// ends in the provider's 429 (code 5005), like the real API.
func (s *Stub) routesSportMonks() {
	sm := loadSportMonks()
	smStates.Store(s, sm)
	handle := func(pattern, entity string, h func(w http.ResponseWriter, r *http.Request, e *smEnvelope)) {
		s.mux.HandleFunc("GET "+pattern, s.provider(SportMonks, s.requireToken(func(w http.ResponseWriter, r *http.Request) {
			env, ok := sm.spend(w, entity)
			if !ok {
				return
			}
			h(w, r, env)
		})))
	}
	handle("/v3/football/leagues", "League", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		items := make([]any, 0, len(sm.leagues))
		for _, id := range sm.leagueOrder {
			items = append(items, sm.league(id, r.URL.Query().Get("include")))
		}
		e.page(w, r, items)
	})
	handle("/v3/football/leagues/{id}", "League", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		if _, ok := sm.leagues[id]; !ok {
			e.noResults(w)
			return
		}
		e.item(w, sm.league(id, r.URL.Query().Get("include")))
	})
	handle("/v3/football/fixtures", "Fixture", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		season, hasSeason := filterValue(r, "fixtureSeasons")
		league, hasLeague := filterValue(r, "fixtureLeagues")
		e.page(w, r, sm.fixtures(func(f smFixture) bool {
			return (!hasSeason || f.SeasonID == season) && (!hasLeague || f.LeagueID == league)
		}))
	})
	handle("/v3/football/fixtures/date/{date}", "Fixture", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		date := r.PathValue("date")
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			writeJSON(w, http.StatusBadRequest, `{"message":"The date format is invalid.","code":5003}`)
			return
		}
		league, hasLeague := filterValue(r, "fixtureLeagues")
		e.page(w, r, sm.fixtures(func(f smFixture) bool {
			return strings.HasPrefix(f.StartingAt, date) && (!hasLeague || f.LeagueID == league)
		}))
	})
	handle("/v3/football/fixtures/{id}", "Fixture", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		raw, ok := sm.byID[id]
		if !ok {
			e.noResults(w)
			return
		}
		e.item(w, raw)
	})
	handle("/v3/football/teams/seasons/{id}", "Team", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		e.page(w, r, sm.teams[id])
	})
	handle("/v3/football/states", "State", func(w http.ResponseWriter, r *http.Request, e *smEnvelope) {
		var doc struct {
			Data []json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(fixtures.MustRead("sportmonks/states_documented_1_to_10.json"), &doc)
		items := make([]any, len(doc.Data))
		for i, d := range doc.Data {
			items[i] = d
		}
		e.page(w, r, items)
	})
	// Anything else under the API answers like the real one does for an unknown path.
	s.mux.HandleFunc("GET /v3/football/", s.provider(SportMonks, s.requireToken(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message":"No result(s) found matching your request."}`)
	})))
	s.mux.HandleFunc("POST /_stub/sportmonks/quota", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("remaining"))
		entity := r.URL.Query().Get("entity")
		if err != nil || n < 0 || entity == "" {
			http.Error(w, "entity and remaining are required", http.StatusBadRequest)
			return
		}
		s.SetSportMonksRemaining(entity, n)
		w.WriteHeader(http.StatusNoContent)
	})
}

// smStates holds each stub's SportMonks state (quota counters) beside the Stub.
var smStates sync.Map // *Stub → *sportMonks

// SportMonksQuotaPerHour is the allowance per entity the stub starts with (the real
// Standard plans allow 3000 calls per entity per hour).
const SportMonksQuotaPerHour = 3000

// SetSportMonksRemaining sets how many calls SportMonks still allows for an entity
// ("Fixture", "League", "Team"); at 0 the stub answers 429 like the real API.
func (s *Stub) SetSportMonksRemaining(entity string, n int) {
	if v, ok := smStates.Load(s); ok {
		sm := v.(*sportMonks)
		sm.mu.Lock()
		sm.remaining[entity] = n
		sm.mu.Unlock()
	}
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

// smFixture is the part of a fixture the stub filters on; the raw object is served.
type smFixture struct {
	ID         int64  `json:"id"`
	LeagueID   int    `json:"league_id"`
	SeasonID   int    `json:"season_id"`
	StartingAt string `json:"starting_at"`
	raw        json.RawMessage
}

type smSeason struct {
	ID        int    `json:"id"`
	LeagueID  int    `json:"league_id"`
	Name      string `json:"name"`
	IsCurrent bool   `json:"is_current"`
}

type sportMonks struct {
	leagues      map[int]json.RawMessage
	leagueOrder  []int
	seasons      map[int][]smSeason // by league id
	list         []smFixture        // sorted by kick-off
	byID         map[int64]json.RawMessage
	teams        map[int][]any // by season id
	subscription json.RawMessage

	mu        sync.Mutex
	remaining map[string]int
	window    time.Time
}

// seasonNames names the seasons the recorded fixtures belong to (from their dates:
// the Premier League fixture of 2025-05-25 is season 23614, 2024/2025).
var seasonNames = []smSeason{
	{ID: 23614, LeagueID: 8, Name: "2024/2025", IsCurrent: true},
	{ID: 23620, LeagueID: 5, Name: "2024/2025", IsCurrent: true},
	{ID: 23690, LeagueID: 501, Name: "2024/2025", IsCurrent: true},
	{ID: 1273, LeagueID: 271, Name: "2005/2006"},
}

func loadSportMonks() *sportMonks {
	sm := &sportMonks{
		leagues:   map[int]json.RawMessage{},
		seasons:   map[int][]smSeason{},
		byID:      map[int64]json.RawMessage{},
		teams:     map[int][]any{},
		remaining: map[string]int{},
		window:    time.Now(),
	}
	var env struct {
		Subscription json.RawMessage `json:"subscription"`
	}
	mustJSON("sportmonks/envelope_subscription_rate_limit_documented.json", &env)
	sm.subscription = env.Subscription

	var states struct {
		Data []map[string]any `json:"data"`
	}
	mustJSON("sportmonks/states_documented_1_to_10.json", &states)
	stateByID := map[int]map[string]any{}
	for _, st := range states.Data {
		if id, ok := st["id"].(float64); ok {
			stateByID[int(id)] = st
		}
	}

	// Leagues: the mock collection (Superliga, Premiership) plus the Premier League
	// object of the real fixture.
	var leagues struct {
		Data []json.RawMessage `json:"data"`
	}
	mustJSON("sportmonks/leagues_collection_mock.json", &leagues)
	var full map[string]json.RawMessage
	mustJSON("sportmonks/fixture_by_id_19135043_data_only.json", &full)
	for _, raw := range append([]json.RawMessage{full["league"]}, leagues.Data...) {
		var l struct {
			ID int `json:"id"`
		}
		if json.Unmarshal(raw, &l) == nil && l.ID > 0 {
			if _, dup := sm.leagues[l.ID]; !dup {
				sm.leagues[l.ID] = raw
				sm.leagueOrder = append(sm.leagueOrder, l.ID)
			}
		}
	}
	for _, s := range seasonNames {
		sm.seasons[s.LeagueID] = append(sm.seasons[s.LeagueID], s)
	}

	// Fixtures: Manchester United's schedule (real), with the enclosing round and the
	// documented state attached as the includes would, the full fixture 19135043 in
	// place of its schedule copy, and the documented and mock collections.
	var stages []struct {
		Fixtures []map[string]any `json:"fixtures"`
		Rounds   []struct {
			ID       int              `json:"id"`
			Name     string           `json:"name"`
			Fixtures []map[string]any `json:"fixtures"`
		} `json:"rounds"`
	}
	mustJSON("sportmonks/schedules_teams_14_data_only.json", &stages)
	add := func(f map[string]any) {
		if sid, ok := f["state_id"].(float64); ok && f["state"] == nil {
			if st, ok := stateByID[int(sid)]; ok {
				f["state"] = st
			}
		}
		raw, err := json.Marshal(f)
		if err != nil {
			panic(err)
		}
		var fx smFixture
		if json.Unmarshal(raw, &fx) != nil || fx.ID == 0 {
			return
		}
		if _, dup := sm.byID[fx.ID]; dup {
			return
		}
		fx.raw = raw
		sm.byID[fx.ID] = raw
		sm.list = append(sm.list, fx)
	}
	fullFixture := map[string]any{}
	mustJSON("sportmonks/fixture_by_id_19135043_data_only.json", &fullFixture)
	for _, st := range stages {
		for _, rd := range st.Rounds {
			for _, f := range rd.Fixtures {
				if id, _ := f["id"].(float64); int64(id) == 19135043 {
					fullFixture["round"] = map[string]any{"id": rd.ID, "name": rd.Name}
					continue
				}
				f["round"] = map[string]any{"id": rd.ID, "name": rd.Name}
				add(f)
			}
		}
		for _, f := range st.Fixtures {
			add(f)
		}
	}
	add(fullFixture)
	for _, name := range []string{"sportmonks/fixtures_between_documented_partial.json", "sportmonks/fixtures_collection_mock.json"} {
		var doc struct {
			Data []map[string]any `json:"data"`
		}
		mustJSON(name, &doc)
		for _, f := range doc.Data {
			add(f)
		}
	}
	sortFixtures(sm.list)

	// Teams of a season: the participants of its recorded fixtures.
	seen := map[string]bool{}
	for _, fx := range sm.list {
		var f struct {
			SeasonID     int              `json:"season_id"`
			Participants []map[string]any `json:"participants"`
		}
		_ = json.Unmarshal(fx.raw, &f)
		for _, p := range f.Participants {
			delete(p, "meta")
			key := fmt.Sprint(f.SeasonID, "/", p["id"])
			if !seen[key] {
				seen[key] = true
				sm.teams[f.SeasonID] = append(sm.teams[f.SeasonID], p)
			}
		}
	}
	return sm
}

func sortFixtures(list []smFixture) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && (list[j].StartingAt < list[j-1].StartingAt ||
			(list[j].StartingAt == list[j-1].StartingAt && list[j].ID < list[j-1].ID)); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

func mustJSON(name string, v any) {
	if err := json.Unmarshal(fixtures.MustRead(name), v); err != nil {
		panic("fixture " + name + ": " + err.Error())
	}
}

func (sm *sportMonks) fixtures(keep func(smFixture) bool) []any {
	out := []any{}
	for _, f := range sm.list {
		if keep(f) {
			out = append(out, f.raw)
		}
	}
	return out
}

// league is the league object with the seasons or currentSeason include when asked.
func (sm *sportMonks) league(id int, include string) any {
	var obj map[string]any
	_ = json.Unmarshal(sm.leagues[id], &obj)
	for _, inc := range strings.Split(include, ";") {
		switch strings.ToLower(inc) {
		case "seasons":
			seasons := sm.seasons[id]
			if seasons == nil {
				seasons = []smSeason{}
			}
			obj["seasons"] = seasons
		case "currentseason":
			obj["currentseason"] = nil
			for _, s := range sm.seasons[id] {
				if s.IsCurrent {
					obj["currentseason"] = s
				}
			}
		}
	}
	return obj
}

func filterValue(r *http.Request, name string) (int, bool) {
	for _, f := range strings.Split(r.URL.Query().Get("filters"), ";") {
		k, v, ok := strings.Cut(f, ":")
		if ok && strings.EqualFold(k, name) {
			n, err := strconv.Atoi(strings.Split(v, ",")[0])
			return n, err == nil
		}
	}
	return 0, false
}

// smEnvelope writes one answer with the envelope members the real API sends.
type smEnvelope struct {
	sm        *sportMonks
	entity    string
	remaining int
	resetsIn  int
}

// spend counts the call against the entity's hourly allowance; at zero it answers
// 429 and reports false.
func (sm *sportMonks) spend(w http.ResponseWriter, entity string) (*smEnvelope, bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if time.Since(sm.window) >= time.Hour {
		sm.window = time.Now()
		sm.remaining = map[string]int{}
	}
	left, ok := sm.remaining[entity]
	if !ok {
		left = SportMonksQuotaPerHour
	}
	resetsIn := int((time.Hour - time.Since(sm.window)).Seconds())
	if left <= 0 {
		w.Header().Set("Retry-After", strconv.Itoa(resetsIn))
		writeJSON(w, http.StatusTooManyRequests, `{"message":"You have reached the rate limit for this entity.","code":5005}`)
		return nil, false
	}
	left--
	sm.remaining[entity] = left
	return &smEnvelope{sm: sm, entity: entity, remaining: left, resetsIn: resetsIn}, true
}

func (e *smEnvelope) write(w http.ResponseWriter, members map[string]any) {
	members["subscription"] = e.sm.subscription
	members["rate_limit"] = map[string]any{
		"resets_in_seconds": e.resetsIn,
		"remaining":         e.remaining,
		"requested_entity":  e.entity,
	}
	members["timezone"] = "UTC"
	b, err := json.Marshal(members)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, string(b))
}

func (e *smEnvelope) item(w http.ResponseWriter, data any) {
	e.write(w, map[string]any{"data": data})
}

// noResults is the real API's 200 answer for a query with nothing behind it.
func (e *smEnvelope) noResults(w http.ResponseWriter) {
	e.write(w, map[string]any{"message": "No result(s) found matching your request. Either the query did not return any results or you don't have access to it via your current subscription."})
}

// page serves one page of items: per_page (default 25, at most 50) and page.
func (e *smEnvelope) page(w http.ResponseWriter, r *http.Request, items []any) {
	perPage, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 25
	}
	perPage = min(perPage, 50)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	hasMore := end < len(items)
	var next any
	if hasMore {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page+1))
		next = "http://" + r.Host + r.URL.Path + "?" + q.Encode()
	}
	if start == end && len(items) == 0 {
		e.noResults(w)
		return
	}
	e.write(w, map[string]any{
		"data": items[start:end],
		"pagination": map[string]any{
			"count":        end - start,
			"per_page":     perPage,
			"current_page": page,
			"next_page":    next,
			"has_more":     hasMore,
		},
	})
}
