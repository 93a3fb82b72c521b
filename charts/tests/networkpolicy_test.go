package tests

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestNetworkPolicies checks the rendered policies as the CNI would read them: every pod
// of the release is under deny-all; only the gateway accepts traffic from outside the
// release; only the adapter reaches addresses outside the cluster (the controller only
// the API server's CIDR); only gateway and cache reach Redis; everyone reaches DNS.
func TestNetworkPolicies(t *testing.T) {
	t.Parallel()
	_, off := mustRender(t, nil)
	assert.Empty(t, off.ofKind("NetworkPolicy"), "off by default")

	_, objs := mustRender(t, readValues(t, filepath.Join("testdata", "scenarios", "networkpolicies.yaml")))
	var policies []*networkingv1.NetworkPolicy
	for _, u := range objs.ofKind("NetworkPolicy") {
		policies = append(policies, as[networkingv1.NetworkPolicy](t, u))
	}
	pods := map[string]labels.Set{}
	for _, d := range workloads(t, objs) {
		pods[d.Labels["app.kubernetes.io/component"]] = d.Spec.Template.Labels
	}
	require.Len(t, pods, 5, "gateway, cache, provider-adapter, controller, redis")

	selects := func(p *networkingv1.NetworkPolicy, component string) bool {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		require.NoError(t, err)
		return sel.Matches(pods[component])
	}
	// policiesFor returns the policies selecting a component, by type.
	policiesFor := func(component string, typ networkingv1.PolicyType) []*networkingv1.NetworkPolicy {
		var out []*networkingv1.NetworkPolicy
		for _, p := range policies {
			if !selects(p, component) {
				continue
			}
			for _, pt := range p.Spec.PolicyTypes {
				if pt == typ {
					out = append(out, p)
				}
			}
		}
		return out
	}
	// peerComponents returns which release components a peer list admits; "*" for
	// anything outside the release (namespace selectors, IP blocks, or no peer at all).
	peerComponents := func(peers []networkingv1.NetworkPolicyPeer) map[string]bool {
		out := map[string]bool{}
		if len(peers) == 0 {
			out["*"] = true
			return out
		}
		for _, peer := range peers {
			if peer.NamespaceSelector != nil || peer.IPBlock != nil || peer.PodSelector == nil {
				out["*"] = true
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
			require.NoError(t, err)
			for c, l := range pods {
				if sel.Matches(l) {
					out[c] = true
				}
			}
		}
		return out
	}

	for component := range pods {
		t.Run(component, func(t *testing.T) {
			ingress := policiesFor(component, networkingv1.PolicyTypeIngress)
			egress := policiesFor(component, networkingv1.PolicyTypeEgress)
			require.NotEmpty(t, ingress, "deny-all covers ingress")
			require.NotEmpty(t, egress, "deny-all covers egress")

			from := map[string]bool{}
			for _, p := range ingress {
				for _, r := range p.Spec.Ingress {
					if p.Name == "ft-cache" || p.Name == "ft-provider-adapter" || p.Name == "ft-controller" {
						if hasPort(r.Ports, 8080) && len(r.From) == 1 && r.From[0].NamespaceSelector != nil &&
							r.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "monitoring" {
							continue // Prometheus scraping, from metricsFrom
						}
					}
					for c := range peerComponents(r.From) {
						from[c] = true
					}
				}
			}
			to := map[string]bool{}
			dns := false
			for _, p := range egress {
				for _, r := range p.Spec.Egress {
					if hasPort(r.Ports, 53) {
						dns = true
						continue
					}
					for c := range peerComponents(r.To) {
						to[c] = true
					}
				}
			}
			assert.True(t, dns, "DNS is allowed")

			switch component {
			case "gateway":
				assert.Equal(t, map[string]bool{"*": true}, from, "the gateway is the entry point")
				assert.Equal(t, map[string]bool{"cache": true, "provider-adapter": true, "redis": true}, to)
			case "cache":
				assert.Equal(t, map[string]bool{"gateway": true}, from)
				assert.Equal(t, map[string]bool{"provider-adapter": true, "redis": true}, to)
			case "provider-adapter":
				assert.Equal(t, map[string]bool{"gateway": true, "cache": true}, from)
				assert.Equal(t, map[string]bool{"*": true}, to, "the only way out of the cluster")
			case "redis":
				assert.Equal(t, map[string]bool{"gateway": true, "cache": true}, from, "only gateway and cache reach Redis")
				assert.Empty(t, to)
			case "controller":
				assert.Empty(t, from)
				for _, p := range egress {
					for _, r := range p.Spec.Egress {
						if hasPort(r.Ports, 53) {
							continue
						}
						require.Len(t, r.To, 1, "only the API server")
						require.NotNil(t, r.To[0].IPBlock)
						assert.Equal(t, "10.0.0.1/32", r.To[0].IPBlock.CIDR)
					}
				}
			}
		})
	}
}

func hasPort(ports []networkingv1.NetworkPolicyPort, port int32) bool {
	for _, p := range ports {
		if p.Port != nil && p.Port.IntVal == port {
			return true
		}
	}
	return false
}
