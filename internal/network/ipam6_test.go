package network

import (
	"net/netip"
	"testing"
)

func TestAllocate6(t *testing.T) {
	r := &Record{EnableIPv6: true, Subnet: netip.MustParsePrefix("10.1.2.0/24"),
		Subnet6: netip.MustParsePrefix("fd00:1:2::/64"), Gateway6: netip.MustParseAddr("fd00:1:2::1"),
		Endpoints: map[string]*Endpoint{}}
	alloc := func(want, ip4 string) (netip.Addr, error) {
		var w, v netip.Addr
		if want != "" {
			w = netip.MustParseAddr(want)
		}
		if ip4 != "" {
			v = netip.MustParseAddr(ip4)
		}
		return r.allocate6(w, v)
	}
	expect := func(want, ip4, got string) {
		t.Helper()
		a, err := alloc(want, ip4)
		if err != nil || a.String() != got {
			t.Fatalf("allocate6(%q, %q) = %s, %v; want %s", want, ip4, a, err, got)
		}
	}
	expect("", "10.1.2.2", "fd00:1:2::2")
	expect("", "10.1.2.254", "fd00:1:2::fe")
	// --ip6 taken by one endpoint: the derived address of another moves up.
	r.Endpoints["a"] = &Endpoint{IP6: netip.MustParseAddr("fd00:1:2::3")}
	expect("", "10.1.2.3", "fd00:1:2::1:0:3")
	expect("fd00:1:2::99", "10.1.2.4", "fd00:1:2::99")
	if _, err := alloc("fd00:1:2::3", "10.1.2.5"); err == nil {
		t.Fatal("an address in use was given again")
	}
	if _, err := alloc("fd00:9::3", "10.1.2.5"); err == nil {
		t.Fatal("an address outside the subnet was accepted")
	}
	// The gateway's host part is taken too.
	r.Gateway6 = netip.MustParseAddr("fd00:1:2::5")
	expect("", "10.1.2.5", "fd00:1:2::1:0:5")
	r.EnableIPv6 = false
	expect("", "10.1.2.2", "invalid IP")
	if _, err := alloc("fd00:1:2::7", "10.1.2.7"); err == nil {
		t.Fatal("--ip6 on an IPv4-only network was accepted")
	}
}
