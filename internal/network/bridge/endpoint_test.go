package bridge

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestSetupJumboLinkWithRouteMTU plugs a veth into a fresh namespace of
// its own (root only) and reads back what the container would see: the
// link at JumboMTU, the default routes at the network's MTU, the IPv6
// address usable at once (no DAD), and IPv6 off in a namespace made
// without it.
func TestSetupJumboLinkWithRouteMTU(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	br := fmt.Sprintf("bbt%d", os.Getpid()%100000)
	if err := EnsureBridge(br, netip.MustParsePrefix("10.239.252.1/24"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DeleteBridge(br) })
	if !VethOnly(br) {
		t.Fatal("an empty bridge should count as veth-only")
	}
	if err := SetMTU(br, JumboMTU); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v6 := filepath.Join(dir, "v6")
	if err := CreateNetNS(v6, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DeleteNetNS(v6) })
	ep := Endpoint{Bridge: br, HostVeth: fmt.Sprintf("vbt%d", os.Getpid()%100000), IfName: "eth0",
		Address: netip.MustParsePrefix("10.239.252.2/24"), Gateway: netip.MustParseAddr("10.239.252.1"),
		MAC: "02:42:0a:ef:fc:02", MTU: JumboMTU, RouteMTU: 1400,
		Address6: netip.MustParsePrefix("fd42:beef::2/64"), Gateway6: netip.MustParseAddr("fd42:beef::1")}
	if err := Setup(v6, ep); err != nil {
		t.Fatal(err)
	}
	h := handleIn(t, v6)
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if a := eth0.Attrs(); a.MTU != JumboMTU || a.HardwareAddr.String() != ep.MAC || a.Flags&1 == 0 {
		t.Fatalf("eth0: mtu %d mac %s flags %v", a.MTU, a.HardwareAddr, a.Flags)
	}
	host, err := netlink.LinkByName(ep.HostVeth)
	if err != nil || host.Attrs().MTU != JumboMTU || host.Attrs().OperState == netlink.OperDown {
		t.Fatalf("host end: %v %v", host, err)
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := h.RouteList(eth0, fam)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range routes {
			if r.Gw != nil {
				found = true
				if r.MTU != 1400 {
					t.Errorf("family %d default route MTU %d, want 1400", fam, r.MTU)
				}
			}
		}
		if !found {
			t.Errorf("family %d: no default route in %v", fam, routes)
		}
	}
	addrs, err := h.AddrList(eth0, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range addrs {
		got = append(got, a.IPNet.String())
		if a.IP.Equal(ep.Address6.Addr().AsSlice()) && a.Flags&0x40 != 0 { // IFA_F_TENTATIVE
			t.Errorf("%s is tentative (DAD not skipped)", a.IPNet)
		}
	}
	if !strings.Contains(strings.Join(got, " "), "fd42:beef::2/64") {
		t.Fatalf("IPv6 addresses: %v", got)
	}

	v4only := filepath.Join(dir, "v4")
	if err := CreateNetNS(v4only, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DeleteNetNS(v4only) })
	h4 := handleIn(t, v4only)
	lo, err := h4.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := h4.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	if addrs, _ := h4.AddrList(lo, netlink.FAMILY_V6); len(addrs) != 0 {
		t.Fatalf("IPv6 on lo of a namespace made without IPv6: %v", addrs)
	}
}

func handleIn(t *testing.T, path string) *netlink.Handle {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}
