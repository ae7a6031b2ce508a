package daemon

import (
	"net/netip"
	"strings"

	"github.com/berth-dev/berth/internal/network"
)

// Lookup implements dns.Resolver: name resolves to the containers that
// share a user-defined network with the asking container (by name, alias
// or short ID), as in Docker; the default bridge has no such names. The
// asker is found by its source address on any of its networks, so a
// container asking through its first network's gateway still sees the
// names of every user-defined network it is connected to.
func (d *Daemon) Lookup(src netip.Addr, name string) ([]netip.Addr, bool) {
	nets := d.nets.store.List()
	asker := ""
	for _, n := range nets {
		if !n.Subnet.Contains(src) {
			continue
		}
		for id, ep := range n.Endpoints {
			if ep.IP == src {
				asker = id
			}
		}
	}
	var out []netip.Addr
	found := false
	for _, n := range nets {
		if _, member := n.Endpoints[asker]; !member || !n.IsBridge() || n.IsDefaultBridge() {
			continue
		}
		for _, ep := range n.Endpoints {
			if d.endpointAnswers(ep, name) {
				found = true
				out = append(out, ep.IP)
				if ep.IP6.IsValid() {
					out = append(out, ep.IP6)
				}
			}
		}
	}
	return out, found
}

// endpointAnswers reports whether a running container's endpoint has name.
func (d *Daemon) endpointAnswers(ep *network.Endpoint, name string) bool {
	c, err := d.containers.Get(ep.ContainerID)
	if err != nil {
		return false
	}
	c.Mu.Lock()
	running, cname := c.State.Running, strings.TrimPrefix(c.Name, "/")
	c.Mu.Unlock()
	if !running {
		return false
	}
	names := append([]string{cname}, ep.Aliases...)
	names = append(names, ep.ContainerID[:12])
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// Upstreams implements dns.Resolver: the asking container's --dns
// servers, or else the host's resolvers.
func (d *Daemon) Upstreams(src netip.Addr) []string {
	for _, n := range d.nets.store.List() {
		if !n.Subnet.Contains(src) {
			continue
		}
		for _, ep := range n.Endpoints {
			if ep.IP != src {
				continue
			}
			if c, err := d.containers.Get(ep.ContainerID); err == nil && len(c.HostConfig.DNS) > 0 {
				var out []string
				for _, a := range c.HostConfig.DNS {
					out = append(out, netip.AddrPortFrom(a, 53).String())
				}
				return out
			}
		}
	}
	return d.nets.hostNS
}
