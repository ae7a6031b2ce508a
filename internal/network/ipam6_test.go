package network

import (
	"net/netip"
	"testing"
)

func TestAllocate6FollowsIPv4Offset(t *testing.T) {
	r := &Record{EnableIPv6: true, Subnet: netip.MustParsePrefix("10.1.2.0/24"),
		Subnet6: netip.MustParsePrefix("fd00:1:2::/64"), Gateway6: netip.MustParseAddr("fd00:1:2::1")}
	if got := r.allocate6(netip.MustParseAddr("10.1.2.2")); got != netip.MustParseAddr("fd00:1:2::2") {
		t.Fatalf("10.1.2.2 -> %s", got)
	}
	if got := r.allocate6(netip.MustParseAddr("10.1.2.254")); got != netip.MustParseAddr("fd00:1:2::fe") {
		t.Fatalf("10.1.2.254 -> %s", got)
	}
	// The gateway's host part is taken: moved past the IPv4 range.
	r.Gateway6 = netip.MustParseAddr("fd00:1:2::5")
	if got := r.allocate6(netip.MustParseAddr("10.1.2.5")); got != netip.MustParseAddr("fd00:1:2::1:0:5") {
		t.Fatalf("gateway clash -> %s", got)
	}
	r.EnableIPv6 = false
	if got := r.allocate6(netip.MustParseAddr("10.1.2.2")); got.IsValid() {
		t.Fatalf("IPv4-only network got %s", got)
	}
}
