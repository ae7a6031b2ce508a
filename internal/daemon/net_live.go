package daemon

import (
	"fmt"
	"net/netip"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/network/bridge"
)

// plugLive gives a running container its interface on network netID
// (network connect). The namespace of a container that had no bridge
// network is adopted first.
func (d *Daemon) plugLive(c *container.Container, netID string) error {
	m := d.nets
	m.mu.Lock()
	st := m.states[c.ID]
	m.mu.Unlock()
	if st == nil { // started without a network of berth's (net_none.go)
		var err error
		if st, err = d.adoptRuntimeNetNS(c); err != nil {
			return err
		}
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
