package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Endpoint is what to plug into a container's namespace.
type Endpoint struct {
	Bridge   string       // host bridge device
	HostVeth string       // host end's name (<= 15 bytes)
	IfName   string       // name inside the container (eth0, eth1, ...)
	Address  netip.Prefix // container address with the subnet's length
	Gateway  netip.Addr   // default route; invalid for --internal networks
	MAC      string
	MTU      int // the link's (both ends)
	// RouteMTU, when below MTU, goes on the default route: traffic that
	// leaves the subnet keeps the network's MTU (see JumboMTU).
	RouteMTU int
	// Address6/Gateway6: the IPv6 side on --ipv6 networks (ipv6.go).
	Address6 netip.Prefix
	Gateway6 netip.Addr
}

// Setup creates the veth pair with its peer directly in the namespace at
// nsPath, attaches the host end to the bridge, and configures the inside:
// loopback up, address, MAC, MTU, default route. The peer is created
// with its name, MAC and MTU, so only address, up and route are left.
func Setup(nsPath string, ep Endpoint) error {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return fmt.Errorf("open network namespace: %w", err)
	}
	defer ns.Close()
	br, err := netlink.LinkByName(ep.Bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", ep.Bridge, err)
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = ep.HostVeth
	attrs.MasterIndex = br.Attrs().Index
	attrs.Flags = net.FlagUp // the host end comes up with its creation: one call less
	if ep.MTU > 0 {
		attrs.MTU = ep.MTU
	}
	veth := &netlink.Veth{LinkAttrs: attrs, PeerName: ep.IfName, PeerNamespace: netlink.NsFd(int(ns))}
	if ep.MAC != "" {
		if hw, err := net.ParseMAC(ep.MAC); err == nil {
			veth.PeerHardwareAddr = hw
		}
	}
	err = netlink.LinkAdd(veth)
	if errors.Is(err, syscall.EEXIST) {
		// The same container's previous run (restart): its namespace is
		// unpinned, but the kernel destroys it, and this veth, later.
		Teardown(ep.HostVeth)
		err = netlink.LinkAdd(veth)
	}
	if err != nil {
		return fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	ok := false
	defer func() {
		if !ok {
			netlink.LinkDel(veth)
		}
	}()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	if lo, err := h.LinkByName("lo"); err == nil {
		if err := h.LinkSetUp(lo); err != nil {
			return err
		}
	}
	peer, err := h.LinkByName(ep.IfName)
	if err != nil {
		return err
	}
	if err := h.AddrAdd(peer, &netlink.Addr{IPNet: ipNet(ep.Address)}); err != nil {
		return fmt.Errorf("address %s: %w", ep.Address, err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return err
	}
	if ep.Gateway.IsValid() {
		route := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: ep.Gateway.AsSlice()}
		if ep.RouteMTU > 0 && ep.RouteMTU < ep.MTU {
			route.MTU = ep.RouteMTU
		}
		if err := h.RouteAdd(route); err != nil {
			return fmt.Errorf("default route via %s: %w", ep.Gateway, err)
		}
	}
	if err := addIPv6(h, peer, ep); err != nil {
		return err
	}
	ok = true
	return nil
}

// Teardown deletes the host end of a veth pair (the kernel removes its
// peer with it). A missing device is fine: it went with its namespace.
func Teardown(hostVeth string) error {
	link, err := netlink.LinkByName(hostVeth)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil
		}
		return err
	}
	return netlink.LinkDel(link)
}

// RemoveFromNS deletes the interface ifName inside the namespace at nsPath
// (network disconnect of a running container).
func RemoveFromNS(nsPath, ifName string) error {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(ifName)
	if err != nil {
		return nil
	}
	return h.LinkDel(link)
}
