package daemon

import (
	"fmt"
	"net/netip"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/network/bridge"
)

// plugLive gives a running container its interface on network netID
// (network connect). A container that had no bridge network has no
// namespace of berth's: it cannot be connected while running.
func (d *Daemon) plugLive(c *container.Container, netID string) error {
	m := d.nets
	m.mu.Lock()
	st := m.states[c.ID]
	m.mu.Unlock()
	if st == nil {
		return errdefs.Conflict("container %s has no network namespace of berth's; stop it to connect it", c.ID[:12])
	}
	for _, a := range d.attachments(c) {
		if a.Net.ID != netID {
			continue
		}
		used := map[string]bool{}
		for _, l := range st.Links {
			used[l.IfName] = true
		}
		ifname := ""
		for i := 0; ; i++ {
			if ifname = fmt.Sprintf("eth%d", i); !used[ifname] {
				break
			}
		}
		link := linkState{HostVeth: vethName(c.ID, netID), IfName: ifname}
		ep := bridge.Endpoint{Bridge: a.Net.Bridge, HostVeth: link.HostVeth, IfName: ifname,
			Address: netip.PrefixFrom(a.EP.IP, a.Net.Subnet.Bits()), MAC: a.EP.MAC,
			MTU: d.linkMTU(a.Net), RouteMTU: a.Net.MTU}
		if a.EP.IP6.IsValid() {
			ep.Address6 = netip.PrefixFrom(a.EP.IP6, a.Net.Subnet6.Bits())
		}
		if err := bridge.Setup(st.NetNS, ep); err != nil {
			return err
		}
		m.mu.Lock()
		st.Links[netID] = link
		err := m.saveState(c.ID, st)
		m.mu.Unlock()
		return err
	}
	return nil
}

// unplugLive removes a running container's interface on netID.
func (d *Daemon) unplugLive(c *container.Container, netID string) {
	m := d.nets
	m.mu.Lock()
	st := m.states[c.ID]
	m.mu.Unlock()
	if st == nil {
		return
	}
	m.mu.Lock()
	link, ok := st.Links[netID]
	delete(st.Links, netID)
	m.saveState(c.ID, st)
	m.mu.Unlock()
	if ok {
		bridge.RemoveFromNS(st.NetNS, link.IfName)
		bridge.Teardown(link.HostVeth)
	}
}
