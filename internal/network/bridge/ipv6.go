package bridge

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// AddGateway6 gives the bridge its IPv6 gateway address, without duplicate
// address detection (the address is usable at once; berth owns the subnet).
func AddGateway6(name string, gateway netip.Prefix) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: ipNet(gateway), Flags: unix.IFA_F_NODAD}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("set %s on %s: %w", gateway, name, err)
	}
	return nil
}

// EnableForwarding6 turns on IPv6 forwarding, which IPv6 networks need to
// reach beyond their bridge (Docker does the same when it has one).
func EnableForwarding6() error {
	return writeSysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1")
}

// addIPv6 configures the container side of an IPv6 endpoint: the address
// (no DAD: a tentative address would refuse connections for a second) and,
// with a gateway, the default route.
func addIPv6(h *netlink.Handle, peer netlink.Link, ep Endpoint) error {
	if !ep.Address6.IsValid() {
		return nil
	}
	if err := h.AddrAdd(peer, &netlink.Addr{IPNet: ipNet(ep.Address6), Flags: unix.IFA_F_NODAD}); err != nil {
		return fmt.Errorf("address %s: %w", ep.Address6, err)
	}
	if !ep.Gateway6.IsValid() {
		return nil
	}
	route := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: ep.Gateway6.AsSlice(), Family: netlink.FAMILY_V6}
	if ep.RouteMTU > 0 && ep.RouteMTU < ep.MTU {
		route.MTU = ep.RouteMTU
	}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("default route via %s: %w", ep.Gateway6, err)
	}
	return nil
}
