// Package bridge does the bridge driver's kernel work with netlink: the
// bridge device and its gateway address, a veth pair per endpoint with
// one end moved into the container's network namespace, addresses,
// routes and MTU. Nothing here execs a binary.
package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"

	"github.com/vishvananda/netlink"
)

// EnsureBridge creates the bridge (if missing), gives it the gateway
// address, sets it up, and enables route_localnet on it so that DNAT of
// 127.0.0.1 traffic to containers is routable.
func EnsureBridge(name string, gateway netip.Prefix, mtu int) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if !errors.As(err, &notFound) {
			return err
		}
		attrs := netlink.NewLinkAttrs()
		attrs.Name = name
		if mtu > 0 {
			attrs.MTU = mtu
		}
		br := &netlink.Bridge{LinkAttrs: attrs}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("create bridge %s: %w", name, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return err
		}
	}
	if _, ok := link.(*netlink.Bridge); !ok {
		return fmt.Errorf("%s exists and is not a bridge", name)
	}
	if gateway.IsValid() {
		addr := &netlink.Addr{IPNet: ipNet(gateway)}
		if err := netlink.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("set %s on %s: %w", gateway, name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return err
	}
	return writeSysctl("/proc/sys/net/ipv4/conf/"+name+"/route_localnet", "1")
}

// DeleteBridge removes the bridge device; a missing one is fine.
func DeleteBridge(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	return netlink.LinkDel(link)
}

// EnableForwarding turns on IPv4 forwarding, without which no container
// reaches anything beyond its bridge (Docker does the same).
func EnableForwarding() error {
	return writeSysctl("/proc/sys/net/ipv4/ip_forward", "1")
}

func writeSysctl(path, value string) error {
	if b, err := os.ReadFile(path); err == nil && string(b) == value+"\n" {
		return nil
	}
	return os.WriteFile(path, []byte(value), 0o644)
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// LinkExists reports whether a device of that name is on the host.
func LinkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}
