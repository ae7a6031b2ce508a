package firewall

import (
	"net/netip"
	"testing"
)

func count(rs []rule, chain string) int {
	n := 0
	for _, r := range rs {
		if r.chain == chain {
			n++
		}
	}
	return n
}

func TestRulesPerNetworkAndPort(t *testing.T) {
	st := State{
		Networks: []Network{
			{Bridge: "b0", Subnet: netip.MustParsePrefix("10.1.0.0/24")},
			{Bridge: "b1", Subnet: netip.MustParsePrefix("10.2.0.0/24"), Internal: true},
		},
		Ports: []Port{{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("10.1.0.2"), ContainerPort: 80},
			{Proto: "udp", HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 53, ContainerIP: netip.MustParseAddr("10.1.0.2"), ContainerPort: 53}},
	}
	rs := rules(st)
	if got := count(rs, chainPorts); got != 2 {
		t.Fatalf("ports: %d rules", got)
	}
	// Egress masquerade only for the non-internal network; loopback and
	// hairpin masquerade for both.
	if got := count(rs, chainPostrouting); got != 5 {
		t.Fatalf("postrouting: %d rules", got)
	}
	// forward: established + b0 (intra, isolate from b1, egress, dnat in, drop in)
	// + b1 (intra, isolate from b0, drop out, drop in).
	if got := count(rs, chainForward); got != 1+5+4 {
		t.Fatalf("forward: %d rules", got)
	}
	// The same state gives the same rules: Apply is idempotent.
	if len(rules(st)) != len(rs) {
		t.Fatal("rules are not deterministic")
	}
}

func TestRules6OnlyForIPv6Networks(t *testing.T) {
	nets := []Network{
		{Bridge: "b0", Subnet: netip.MustParsePrefix("10.1.0.0/24"), Subnet6: netip.MustParsePrefix("fd00:1::/64")},
		{Bridge: "b1", Subnet: netip.MustParsePrefix("10.2.0.0/24"), Subnet6: netip.MustParsePrefix("fd00:2::/64"), Internal: true},
	}
	ports := []Port{
		{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("10.1.0.2"), ContainerPort: 80},
		{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("fd00:1::2"), ContainerPort: 80},
	}
	rs := rules6(nets, ports)
	if got := count(rs, chainPorts); got != 1 {
		t.Fatalf("ip6 ports: %d rules, want only the IPv6 one", got)
	}
	// egress + hairpin for b0, hairpin only for the internal b1.
	if got := count(rs, chainPostrouting); got != 3 {
		t.Fatalf("ip6 postrouting: %d rules", got)
	}
	if got := count(rs, chainForward); got != 1+5+4 {
		t.Fatalf("ip6 forward: %d rules", got)
	}
	if got := count(rules(State{Networks: nets, Ports: ports}), chainPorts); got != 1 {
		t.Fatalf("ip ports: %d rules, want only the IPv4 one", got)
	}
}
