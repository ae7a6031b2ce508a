package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/berth-dev/berth/internal/network/bridge"
	"github.com/berth-dev/berth/internal/network/firewall"
	"github.com/vishvananda/netlink"
)

// Every test daemon gets its own bridge name, subnet and nftables table:
// other suites (and other engineers' suites) run on this machine at the
// same time, and two daemons on one bridge or table would fight.

var netSeq atomic.Int64

type daemonNet struct {
	bridge string
	subnet netip.Prefix
	table  string
}

func newDaemonNet() daemonNet {
	n := netSeq.Add(1)
	tag := fmt.Sprintf("%d%d", os.Getpid()%100000, n)
	return daemonNet{
		bridge: "bte" + tag, // <= 15 bytes
		subnet: freeTestSubnet(),
		table:  "berth_e2e_" + tag,
	}
}

func (n daemonNet) args() []string {
	gw := n.subnet.Addr().Next()
	return []string{"-b", n.bridge, "--bip", netip.PrefixFrom(gw, n.subnet.Bits()).String(), "--nft-table", n.table}
}

// freeTestSubnet picks a random 10.2xx.y.0/24 that no host route overlaps.
func freeTestSubnet() netip.Prefix {
	routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
	for {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + rand.IntN(50)), byte(rand.IntN(256)), 0}), 24)
		clash := false
		for _, r := range routes {
			if r.Dst == nil {
				continue
			}
			a, _ := netip.AddrFromSlice(r.Dst.IP)
			ones, _ := r.Dst.Mask.Size()
			if ones == 0 {
				continue // the default route
			}
			if netip.PrefixFrom(a.Unmap(), ones).Overlaps(p) {
				clash = true
			}
		}
		if !clash {
			return p
		}
	}
}

// bridges are the bridge devices of this daemon's networks.
func (d *daemon) bridges() []string {
	out := []string{d.net.bridge}
	files, _ := filepath.Glob(filepath.Join(d.dataRoot, "networks", "*.json"))
	for _, f := range files {
		var rec struct {
			Bridge string `json:"bridge"`
		}
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &rec) == nil && rec.Bridge != "" && rec.Bridge != d.net.bridge {
			out = append(out, rec.Bridge)
		}
	}
	return out
}

// cleanupNetwork removes what a daemon that did not stop cleanly (or
// whose containers were still running) left: pinned namespaces, bridges,
// the accepts in the host's FORWARD chain, and its table.
func (d *daemon) cleanupNetwork(logf func(string, ...any)) {
	pinned, _ := filepath.Glob(filepath.Join(d.execRoot, "network", "netns", "*"))
	for _, p := range pinned {
		if err := bridge.DeleteNetNS(p); err != nil {
			logf("e2e: netns %s: %v", p, err)
		}
	}
	for _, br := range d.bridges() {
		firewall.RemoveBridgeFromForeignForward(br)
		if err := bridge.DeleteBridge(br); err != nil {
			logf("e2e: bridge %s: %v", br, err)
		}
	}
	if err := firewall.Delete(d.net.table); err != nil {
		logf("e2e: nft table %s: %v", d.net.table, err)
	}
}
