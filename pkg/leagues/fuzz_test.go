package leagues

import "testing"

func FuzzParse(f *testing.F) {
	f.Add([]byte("leagues: [{shortcut: bl1, name: Bundesliga, openligadb: bl1}]"))
	f.Add([]byte(`{"leagues":[{"shortcut":"pl","name":"PL","sportmonksId":8}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw)
		if err != nil {
			return
		}
		for _, e := range r.Entries() {
			if !r.Has(e.Shortcut) {
				t.Fatalf("entry %q not found by Has", e.Shortcut)
			}
		}
	})
}
