package daemon

import (
	"net/netip"
	"sort"
	"strconv"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/network"
	apicontainer "github.com/moby/moby/api/types/container"
	apinetwork "github.com/moby/moby/api/types/network"
)

// networkSettings is inspect's NetworkSettings: one entry per network,
// and while the container's network namespace is up (running, on a bridge
// network, as dockerd shows them) its exposed ports (null when not
// published) and the host ports bound.
func (d *Daemon) networkSettings(c *container.Container) *apicontainer.NetworkSettings {
	ns := &apicontainer.NetworkSettings{Ports: apinetwork.PortMap{}, Networks: map[string]*apinetwork.EndpointSettings{}}
	d.nets.mu.Lock()
	st := d.nets.states[c.ID]
	d.nets.mu.Unlock()
	if st != nil {
		for p := range c.Config.ExposedPorts {
			ns.Ports[p] = nil
		}
		ns.SandboxKey = st.NetNS
		for key, bs := range st.Bound {
			p, err := apinetwork.ParsePort(key)
			if err != nil {
				continue
			}
			for _, b := range bs {
				ip, _ := netip.ParseAddr(b.HostIP)
				ns.Ports[p] = append(ns.Ports[p], apinetwork.PortBinding{HostIP: ip, HostPort: b.HostPort})
			}
		}
	}
	mode := string(c.HostConfig.NetworkMode)
	if mode == network.Host || mode == network.None {
		if n, err := d.nets.store.Get(mode); err == nil {
			ns.Networks[mode] = &apinetwork.EndpointSettings{NetworkID: n.ID}
		}
		return ns
	}
	for _, a := range d.attachments(c) {
		ns.Networks[a.Net.Name] = endpointSettings(a)
	}
	return ns
}

func endpointSettings(a network.Attachment) *apinetwork.EndpointSettings {
	es := &apinetwork.EndpointSettings{
		NetworkID: a.Net.ID, EndpointID: a.EP.ID, Gateway: a.Net.Gateway, IPAddress: a.EP.IP,
		IPPrefixLen: a.Net.Subnet.Bits(), Aliases: a.EP.Aliases, DriverOpts: a.EP.DriverOpts,
		DNSNames: nil,
	}
	if a.EP.IP6.IsValid() {
		es.GlobalIPv6Address, es.GlobalIPv6PrefixLen, es.IPv6Gateway = a.EP.IP6, a.Net.Subnet6.Bits(), a.Net.Gateway6
	}
	if a.Net.Internal {
		es.Gateway, es.IPv6Gateway = netip.Addr{}, netip.Addr{}
	}
	if !a.Net.IsDefaultBridge() {
		es.DNSNames = a.EP.DNSNames()
	}
	if a.EP.RequestedIP.IsValid() || a.EP.RequestedIP6.IsValid() {
		es.IPAMConfig = &apinetwork.EndpointIPAMConfig{IPv4Address: a.EP.RequestedIP, IPv6Address: a.EP.RequestedIP6}
	}
	var hw apinetwork.HardwareAddr
	if hw.UnmarshalText([]byte(a.EP.MAC)) == nil {
		es.MacAddress = hw
	}
	return es
}

// portSummaries is ps's PORTS: bound ports, then exposed ones, while the
// network namespace is up (as networkSettings).
func (d *Daemon) portSummaries(c *container.Container) []apicontainer.PortSummary {
	out := []apicontainer.PortSummary{}
	d.nets.mu.Lock()
	st := d.nets.states[c.ID]
	d.nets.mu.Unlock()
	published := map[string]bool{}
	if st != nil {
		for key, bs := range st.Bound {
			p, err := apinetwork.ParsePort(key)
			if err != nil {
				continue
			}
			published[key] = true
			for _, b := range bs {
				ip, _ := netip.ParseAddr(b.HostIP)
				hp, _ := strconv.Atoi(b.HostPort)
				out = append(out, apicontainer.PortSummary{IP: ip, PrivatePort: p.Num(), PublicPort: uint16(hp), Type: string(p.Proto())})
			}
		}
	}
	for p := range c.Config.ExposedPorts {
		if st != nil && !published[p.String()] {
			out = append(out, apicontainer.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PrivatePort < out[j].PrivatePort })
	return out
}
