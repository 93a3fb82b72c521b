package providerstub

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/football-tracker/backend/pkg/fixtures"
)

var matchFile = regexp.MustCompile(`^getmatchdata_([a-z0-9]+)_(\d{4})_(\d+)\.json$`)

// openLigaDB indexes the recorded match days by league and season.
type openLigaDB struct {
	// days[league/season] lists the recorded match days' raw arrays.
	days    map[string][]json.RawMessage
	byMatch map[int64]json.RawMessage
}

func loadOpenLigaDB() *openLigaDB {
	o := &openLigaDB{days: map[string][]json.RawMessage{}, byMatch: map[int64]json.RawMessage{}}
	entries, err := fs.ReadDir(fixtures.FS(), "openligadb")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		m := matchFile.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		var matches []json.RawMessage
		if err := json.Unmarshal(fixtures.MustRead("openligadb/"+e.Name()), &matches); err != nil {
			panic("fixture " + e.Name() + ": " + err.Error())
		}
		key := m[1] + "/" + m[2]
		o.days[key] = append(o.days[key], matches...)
		for _, raw := range matches {
			var id struct {
				MatchID int64 `json:"matchID"`
			}
			if json.Unmarshal(raw, &id) == nil && id.MatchID > 0 {
				o.byMatch[id.MatchID] = raw
			}
		}
	}
	var single json.RawMessage = fixtures.MustRead("openligadb/getmatchdata_match_72395.json")
	o.byMatch[72395] = single
	// The single recorded match is the only one of its season (bl1 2024): it answers
	// the season listing too, so a season query has data at both providers.
	o.days["bl1/2024"] = append(o.days["bl1/2024"], single)
	return o
}

func (s *Stub) routesOpenLigaDB() {
	o := loadOpenLigaDB()
	handle := func(pattern string, h http.HandlerFunc) {
		s.mux.HandleFunc("GET "+pattern, s.provider(OpenLigaDB, h))
	}
	// The recorded match days stand in for the whole season: the real API returns all
	// 306 Bundesliga matches here.
	handle("/getmatchdata/{league}/{season}", func(w http.ResponseWriter, r *http.Request) {
		writeArray(w, o.days[strings.ToLower(r.PathValue("league"))+"/"+r.PathValue("season")])
	})
	handle("/getmatchdata/{league}/{season}/{matchday}", func(w http.ResponseWriter, r *http.Request) {
		name := "openligadb/getmatchdata_" + strings.ToLower(r.PathValue("league")) + "_" + r.PathValue("season") + "_" + r.PathValue("matchday") + ".json"
		if b, err := fixtures.Read(name); err == nil {
			writeJSON(w, http.StatusOK, string(b))
			return
		}
		writeJSON(w, http.StatusOK, "[]")
	})
	handle("/getmatchdata/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if raw, ok := o.byMatch[id]; err == nil && ok {
			writeJSON(w, http.StatusOK, string(raw))
			return
		}
		// The real API answers an unknown id with an empty 200.
		w.WriteHeader(http.StatusOK)
	})
	handle("/getavailableleagues", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, string(fixtures.MustRead("openligadb/getavailableleagues_DERIVED.json")))
	})
	handle("/getavailableteams/{league}/{season}", func(w http.ResponseWriter, r *http.Request) {
		if strings.ToLower(r.PathValue("league")) == "bl1" && r.PathValue("season") == "2023" {
			writeJSON(w, http.StatusOK, string(fixtures.MustRead("openligadb/getavailableteams_bl1_2023_DERIVED.json")))
			return
		}
		writeJSON(w, http.StatusOK, "[]")
	})
	handle("/getcurrentgroup/{league}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, string(fixtures.MustRead("openligadb/getcurrentgroup_bl1_DERIVED.json")))
	})
}

func writeArray(w http.ResponseWriter, items []json.RawMessage) {
	if items == nil {
		items = []json.RawMessage{}
	}
	b, err := json.Marshal(items)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, string(b))
}
