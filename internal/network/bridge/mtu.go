package bridge

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// JumboMTU is the MTU of berth's virtual links (the bridge and the veth
// pairs on it) when nothing on the bridge leaves the machine. Traffic
// between containers and the host then moves in 64 KiB segments, as over
// loopback: a fresh TCP connection sends a 1 MiB response in a few round
// trips instead of a slow start through 1448-byte segments. The network's
// own MTU (1500 by default) goes on the containers' default route, so
// traffic that leaves the subnet is sized exactly as before.
const JumboMTU = 65520

// VethOnly reports whether every port of the bridge is a veth: then no
// frame on it reaches a physical link, and its links may use JumboMTU. A
// bridge the user enslaved a NIC to (-o com.docker.network.bridge.name of
// an existing bridge) keeps the network's MTU.
func VethOnly(name string) bool {
	br, err := netlink.LinkByName(name)
	if err != nil {
		return false
	}
	links, err := netlink.LinkList()
	if err != nil {
		return false
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index && l.Type() != "veth" {
			return false
		}
	}
	return true
}

// SetMTU sets the device's MTU if it differs. An MTU set explicitly on a
// bridge stays: the kernel no longer lowers it to its smallest port's.
func SetMTU(name string, mtu int) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	if link.Attrs().MTU == mtu {
		return nil
	}
	if err := netlink.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("set MTU %d on %s: %w", mtu, name, err)
	}
	return nil
}
