package daemon

import (
	"github.com/berth-dev/berth/internal/network"
	"github.com/berth-dev/berth/internal/network/bridge"
)

// adoptLinkMTU decides, once per bridge when it comes up, the MTU of its
// links: bridge.JumboMTU when only veths are on it, else the network's
// own. The network's MTU stays what inspect shows and what the
// containers' default route carries.
func (d *Daemon) adoptLinkMTU(n *network.Record) error {
	mtu := n.MTU
	if bridge.VethOnly(n.Bridge) {
		mtu = bridge.JumboMTU
	}
	if mtu > 0 {
		if err := bridge.SetMTU(n.Bridge, mtu); err != nil {
			return err
		}
	}
	d.nets.mu.Lock()
	if d.nets.linkMTUs == nil {
		d.nets.linkMTUs = map[string]int{}
	}
	d.nets.linkMTUs[n.Bridge] = mtu
	d.nets.mu.Unlock()
	return nil
}

// linkMTU is the MTU for a new veth pair on n's bridge.
func (d *Daemon) linkMTU(n *network.Record) int {
	d.nets.mu.Lock()
	defer d.nets.mu.Unlock()
	if mtu, ok := d.nets.linkMTUs[n.Bridge]; ok {
		return mtu
	}
	return n.MTU
}
