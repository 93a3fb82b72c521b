package leagues

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltin(t *testing.T) {
	t.Parallel()
	r := Builtin()
	for _, s := range []string{"bl1", "bl2", "bl3", "pl", "laliga", "seriea", "ligue1"} {
		assert.True(t, r.Has(s), s)
	}
	bl1, err := r.Lookup("bl1")
	require.NoError(t, err)
	assert.Equal(t, "bl1", bl1.OpenLigaDB)
	assert.Equal(t, 82, bl1.SportMonksID)
	_, err = r.Lookup("../etc/passwd")
	assert.ErrorIs(t, err, ErrUnknown)
	assert.False(t, r.Has("BL1"), "shortcuts are exact")
}

func TestLoadOverride(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "leagues.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
leagues:
  - {shortcut: bl1, name: Bundesliga, country: Germany, openligadb: bl1}
  - {shortcut: em, name: EURO, country: Europe, openligadb: em20}
`), 0o600))
	r, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"bl1", "em"}, r.Shortcuts())
	assert.False(t, r.Has("pl"), "the file replaces the built-in list")
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, raw, want string }{
		{"empty", "leagues: []", "no league"},
		{"bad shortcut", "leagues: [{shortcut: 'a/b', name: x, openligadb: bl1}]", "must match"},
		{"duplicate", "leagues: [{shortcut: bl1, name: x, openligadb: bl1}, {shortcut: bl1, name: y, openligadb: bl1}]", "twice"},
		{"no provider", "leagues: [{shortcut: bl1, name: x}]", "needs a sportmonksId"},
		{"unknown field", "leagues: [{shortcut: bl1, name: x, openligadb: bl1, id: 3}]", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
