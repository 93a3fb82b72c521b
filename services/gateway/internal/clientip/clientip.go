// Package clientip decides which address a request comes from: the socket peer, unless
// that peer is a trusted proxy, in which case X-Forwarded-For is walked from the right
// and the first address that is not itself a trusted proxy is the client. Walking from
// the left would let any client choose its own rate-limit key.
package clientip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Trusted is a set of proxy networks.
type Trusted []netip.Prefix

// ParseTrusted reads TRUSTED_PROXIES entries: single IPs or CIDRs.
func ParseTrusted(entries []string) (Trusted, error) {
	out := make(Trusted, 0, len(entries))
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("parsing trusted proxy %q: %w", e, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("parsing trusted proxy %q: %w", e, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Contains reports whether a is a trusted proxy.
func (t Trusted) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address for a peer and its X-Forwarded-For header.
func (t Trusted) Resolve(peer netip.Addr, xff string) netip.Addr {
	peer = peer.Unmap()
	if len(t) == 0 || !t.Contains(peer) || xff == "" {
		return peer
	}
	client := peer
	for xff != "" {
		var hop string
		if i := strings.LastIndexByte(xff, ','); i >= 0 {
			hop, xff = xff[i+1:], xff[:i]
		} else {
			hop, xff = xff, ""
		}
		a, err := netip.ParseAddr(strings.TrimSpace(hop))
		if err != nil {
			// A malformed hop ends the chain: what lies left of it cannot be trusted.
			return client
		}
		client = a.Unmap()
		if !t.Contains(client) {
			return client
		}
	}
	return client
}

// Of returns the client address of a fiber request as a string.
func (t Trusted) Of(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return ""
	}
	if len(t) == 0 {
		return peer.Unmap().String()
	}
	return t.Resolve(peer, c.Get(fiber.HeaderXForwardedFor)).String()
}
