package daemon

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/network"
	"github.com/berth-dev/berth/internal/network/bridge"
	"github.com/berth-dev/berth/internal/network/firewall"
)

// wantsIPv6 reports whether any of the container's networks has IPv6
// enabled; without one, its namespace gets IPv6 disabled (Docker 26+).
func wantsIPv6(atts []network.Attachment) bool {
	for _, a := range atts {
		if a.Net.EnableIPv6 {
			return true
		}
	}
	return false
}

// bringUpIPv6 gives an --ipv6 network's bridge its IPv6 gateway and turns
// on IPv6 forwarding.
func (d *Daemon) bringUpIPv6(n *network.Record) error {
	if !n.EnableIPv6 || !n.Subnet6.IsValid() || !n.Gateway6.IsValid() {
		return nil
	}
	if err := bridge.AddGateway6(n.Bridge, netip.PrefixFrom(n.Gateway6, n.Subnet6.Bits())); err != nil {
		return err
	}
	if err := bridge.EnableForwarding6(); err != nil {
		d.log.Warn("cannot enable IPv6 forwarding", "err", err)
	}
	return nil
}

// publishPorts6 adds the IPv6 side of a container's published ports, as
// Docker does for a container with an IPv6 address: every port published
// on all addresses is also published on [::], and bindings to an IPv6
// host address (skipped by publishPorts) go to ip6.
func (d *Daemon) publishPorts6(c *container.Container, ip6 netip.Addr, rules []firewall.Port, bound map[string][]boundPort) ([]firewall.Port, map[string][]boundPort, error) {
	if bound == nil {
		bound = map[string][]boundPort{}
	}
	add := func(proto string, hostIP netip.Addr, hostPort, ctrPort uint16) {
		rules = append(rules, firewall.Port{Proto: proto, HostIP: hostIP, HostPort: hostPort, ContainerIP: ip6, ContainerPort: ctrPort})
		shown := "::"
		if hostIP.IsValid() {
			shown = hostIP.String()
		}
		key := fmt.Sprintf("%d/%s", ctrPort, proto)
		bound[key] = append(bound[key], boundPort{HostIP: shown, HostPort: strconv.Itoa(int(hostPort))})
	}
	for _, p := range rules {
		if p.ContainerIP.Is4() && !p.HostIP.IsValid() {
			add(p.Proto, netip.Addr{}, p.HostPort, p.ContainerPort)
		}
	}
	used := d.usedHostPorts()
	for _, r := range rules {
		used[r.Proto+"/"+strconv.Itoa(int(r.HostPort))] = true
	}
	for p, bs := range c.HostConfig.PortBindings {
		proto := string(p.Proto())
		if proto != "tcp" && proto != "udp" {
			continue
		}
		for _, b := range bs {
			if !b.HostIP.IsValid() || b.HostIP.Unmap().Is4() {
				continue
			}
			hp, err := pickHostPort(proto, b.HostIP, b.HostPort, used)
			if err != nil {
				return nil, nil, err
			}
			used[proto+"/"+strconv.Itoa(int(hp))] = true
			add(proto, b.HostIP, hp, p.Num())
		}
	}
	return rules, bound, nil
}

// firewallSubnet6 is the IPv6 subnet the firewall handles for n.
func firewallSubnet6(n *network.Record) netip.Prefix {
	if n.EnableIPv6 {
		return n.Subnet6
	}
	return netip.Prefix{}
}
