package network

import (
	"net/netip"
	"testing"
)

func newBridge(t *testing.T, s *Store, name, subnet string) *Record {
	t.Helper()
	p := netip.MustParsePrefix(subnet)
	r := &Record{ID: NewID(), Name: name, Driver: "bridge", Bridge: "br-" + name, Subnet: p, Gateway: p.Addr().Next()}
	if err := s.Add(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAllocationsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := newBridge(t, s, "n1", "10.50.0.0/29")
	a, err := s.Attach(n.ID, Endpoint{ContainerID: "c1", Name: "one"})
	if err != nil || a.IP.String() != "10.50.0.2" || a.MAC != "02:42:0a:32:00:02" {
		t.Fatalf("first endpoint: %+v %v", a, err)
	}
	if _, err := s.Attach(n.ID, Endpoint{ContainerID: "c2", RequestedIP: netip.MustParseAddr("10.50.0.2")}); err == nil {
		t.Fatal("a used --ip was given twice")
	}
	b, err := s.Attach(n.ID, Endpoint{ContainerID: "c2", RequestedIP: netip.MustParseAddr("10.50.0.5")})
	if err != nil || b.IP.String() != "10.50.0.5" {
		t.Fatalf("requested IP: %+v %v", b, err)
	}
	// A daemon killed now loses nothing: a new store reads the allocations.
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s2.Attach(n.ID, Endpoint{ContainerID: "c3"})
	if err != nil || c.IP.String() != "10.50.0.3" {
		t.Fatalf("after reopen: %+v %v", c, err)
	}
	// /29: .1 gateway, .2-.6 usable, .7 broadcast.
	for _, id := range []string{"c4", "c5"} {
		if _, err := s2.Attach(n.ID, Endpoint{ContainerID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s2.Attach(n.ID, Endpoint{ContainerID: "c6"}); err == nil {
		t.Fatal("allocated past the subnet (or its broadcast address)")
	}
	if err := s2.Detach(n.ID, "c1"); err != nil {
		t.Fatal(err)
	}
	if d, err := s2.Attach(n.ID, Endpoint{ContainerID: "c6"}); err != nil || d.IP.String() != "10.50.0.2" {
		t.Fatalf("freed address not reused: %+v %v", d, err)
	}
	if got := len(s2.EndpointsOf("c6")); got != 1 {
		t.Fatalf("EndpointsOf: %d", got)
	}
}

func TestLookupAndNames(t *testing.T) {
	s, _ := Open(t.TempDir())
	n := newBridge(t, s, "front", "10.51.0.0/24")
	if err := s.Add(&Record{ID: NewID(), Name: "front"}); err == nil {
		t.Fatal("duplicate name accepted")
	}
	for _, ref := range []string{"front", n.ID, n.ID[:6]} {
		if _, err := s.Get(ref); err != nil {
			t.Fatalf("Get(%q): %v", ref, err)
		}
	}
	if _, err := s.Get("nope"); err == nil || err.Error() != "network nope not found" {
		t.Fatalf("missing network: %v", err)
	}
	p, err := s.FreeSubnet(func(p netip.Prefix) bool { return p.Addr().As4()[1] == 17 })
	if err != nil || p.String() != "172.18.0.0/16" {
		t.Fatalf("FreeSubnet: %v %v", p, err)
	}
}
