package limitconfig

import "testing"

// FuzzParse feeds arbitrary bytes to the parser a hand-written file goes through: it
// must refuse or accept, never panic, and whatever it accepts must validate and render.
func FuzzParse(f *testing.F) {
	f.Add([]byte(designExample))
	f.Add([]byte(`{"tiers":{"user":{"perMinute":1,"perDay":1}}}`))
	f.Add([]byte("clients: {a: {tier: admin, suspended: true}}"))
	f.Add([]byte("tiers: [1, 2"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := Parse(raw)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
		if _, err := c.Render(); err != nil {
			t.Fatalf("accepted config does not render: %v", err)
		}
	})
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte("chrome-extension: \"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\"\n"))
	f.Add([]byte("a: b"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = ParseCredentials(raw)
	})
}
