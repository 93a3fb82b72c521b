package clientip_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/services/gateway/internal/clientip"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	trusted, err := clientip.ParseTrusted([]string{"10.0.0.0/8", "192.168.1.1"})
	require.NoError(t, err)
	cases := []struct {
		name, peer, xff, want string
	}{
		{"untrusted peer ignores the header", "203.0.113.5", "1.2.3.4", "203.0.113.5"},
		{"trusted peer, one hop", "10.1.2.3", "198.51.100.7", "198.51.100.7"},
		{"spoofed left-most hop", "10.1.2.3", "1.1.1.1, 198.51.100.7", "198.51.100.7"},
		{"chain of trusted proxies", "10.1.2.3", "198.51.100.7, 192.168.1.1, 10.9.9.9", "198.51.100.7"},
		{"garbage hop ends the chain", "10.1.2.3", "198.51.100.7, junk", "10.1.2.3"},
		{"no header", "192.168.1.1", "", "192.168.1.1"},
		{"mapped IPv4 peer", "::ffff:10.1.2.3", "198.51.100.7", "198.51.100.7"},
		{"all trusted", "10.1.2.3", "10.0.0.1", "10.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := trusted.Resolve(netip.MustParseAddr(tc.peer), tc.xff)
			assert.Equal(t, tc.want, got.String())
		})
	}
}

func TestParseTrusted(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0.0.0/33", "example.com", "1.2.3"} {
		_, err := clientip.ParseTrusted([]string{bad})
		assert.Error(t, err, bad)
	}
}

func FuzzResolve(f *testing.F) {
	trusted, _ := clientip.ParseTrusted([]string{"10.0.0.0/8"})
	f.Add("1.2.3.4, 10.0.0.1")
	f.Add(",,,")
	f.Fuzz(func(t *testing.T, xff string) {
		got := trusted.Resolve(netip.MustParseAddr("10.0.0.1"), xff)
		assert.True(t, got.IsValid())
	})
}
