package daemon

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/network"
	"github.com/berth-dev/berth/internal/network/bridge"
	"github.com/berth-dev/berth/internal/network/dns"
	"github.com/berth-dev/berth/internal/network/firewall"
	"github.com/vishvananda/netlink"
)

// Network defaults (daemon flags -b, --bip, --nft-table).
const (
	DefaultBridgeName = "berth0"
	DefaultNftTable   = "berth"
)

// netManager is the daemon's networking state: the network store, the
// per-container runtime state of running containers (netns, veths,
// published ports), the DNS servers and the nftables table.
type netManager struct {
	store   *network.Store
	table   string
	execDir string // EXEC_ROOT/network: <id>.json states and netns/<id>

	mu     sync.Mutex
	states map[string]*netState   // running containers by ID
	dns    map[string]*dns.Server // by network ID
	hostNS []string               // the host's resolvers (ip:53)
	// linkMTUs is the MTU of each bridge's links (net_mtu.go).
	linkMTUs map[string]int
	// unpinning: background teardowns in flight, by container ID (net_teardown.go).
	unpinning map[string]chan struct{}
	fwMu      sync.Mutex // one firewall rewrite at a time, each from the latest state
}

// netState is what a running container's network set-up created; it is
// persisted so a restarted daemon can tear it down or re-install its rules.
type netState struct {
	NetNS string                 `json:"netns"`
	Links map[string]linkState   `json:"links"` // by network ID
	Ports []firewall.Port        `json:"ports,omitempty"`
	Bound map[string][]boundPort `json:"bound,omitempty"` // "80/tcp" -> host bindings
}

type linkState struct {
	HostVeth string `json:"host_veth"`
	IfName   string `json:"ifname"`
}

type boundPort struct {
	HostIP   string `json:"host_ip"`
	HostPort string `json:"host_port"`
}

func (m *netManager) statePath(id string) string { return filepath.Join(m.execDir, id+".json") }
func (m *netManager) netnsPath(id string) string { return filepath.Join(m.execDir, "netns", id) }

func (m *netManager) saveState(id string, st *netState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(m.statePath(id), b, 0o600)
}

// initNetworks opens the network store, makes sure the predefined
// networks exist (the default bridge with the daemon's -b/--bip), brings
// up every bridge and its resolver, and loads the states of containers
// that were running when the daemon stopped.
func (d *Daemon) initNetworks() error {
	store, err := network.Open(filepath.Join(d.cfg.DataRoot, "networks"))
	if err != nil {
		return err
	}
	table := d.cfg.NftTable
	if table == "" {
		table = DefaultNftTable
	}
	m := &netManager{store: store, table: table, execDir: filepath.Join(d.cfg.ExecRoot, "network"),
		states: map[string]*netState{}, dns: map[string]*dns.Server{}}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		m.hostNS = dns.HostUpstreams(string(b))
	}
	d.nets = m
	if err := os.MkdirAll(filepath.Join(m.execDir, "netns"), 0o700); err != nil {
		return err
	}
	if err := d.ensurePredefinedNetworks(); err != nil {
		return err
	}
	if err := bridge.EnableForwarding(); err != nil {
		d.log.Warn("cannot enable IPv4 forwarding", "err", err)
	}
	for _, n := range store.List() {
		if n.IsBridge() {
			if err := d.bringUp(n); err != nil {
				return err
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(m.execDir, "*.json"))
	for _, f := range files {
		var st netState
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &st) == nil {
			m.states[strings.TrimSuffix(filepath.Base(f), ".json")] = &st
		}
	}
	return nil
}

// finishNetworkReconcile runs after container reconcile: set-ups of
// containers that are no longer running are torn down, then the firewall
// is re-installed from the records (one batch: no duplicates).
func (d *Daemon) finishNetworkReconcile() {
	d.nets.mu.Lock()
	var stale []string
	for id := range d.nets.states {
		c, err := d.containers.Get(id)
		if err != nil || !c.State.Running {
			stale = append(stale, id)
		}
	}
	d.nets.mu.Unlock()
	for _, id := range stale {
		d.teardownNetworkID(id)
	}
	// Endpoints of containers that do not exist: a create cut off after
	// attaching but before its record was saved. Their addresses would
	// stay allocated and the network could never be removed.
	for _, n := range d.nets.store.List() {
		for id := range n.Endpoints {
			if _, err := d.containers.Get(id); err != nil {
				if err := d.nets.store.Detach(n.ID, id); err != nil {
					d.log.Warn("releasing endpoint of a missing container", "id", id, "network", n.Name, "err", err)
				}
			}
		}
	}
	d.waitAllUnpinned()
	// Namespaces pinned by a daemon that died before writing a state.
	if pinned, err := filepath.Glob(filepath.Join(d.nets.execDir, "netns", "*")); err == nil {
		for _, p := range pinned {
			id := filepath.Base(p)
			d.nets.mu.Lock()
			_, known := d.nets.states[id]
			d.nets.mu.Unlock()
			if !known {
				bridge.DeleteNetNS(p)
			}
		}
	}
	if err := d.applyFirewall(); err != nil {
		d.log.Error("installing firewall rules", "err", err)
	}
}

func (d *Daemon) ensurePredefinedNetworks() error {
	s := d.nets.store
	for _, name := range []string{network.Host, network.None} {
		if _, err := s.Get(name); err != nil {
			driver := name
			if name == network.None {
				driver = "null"
			}
			if err := s.Add(&network.Record{ID: network.NewID(), Name: name, Driver: driver, Created: time.Now().UTC()}); err != nil {
				return err
			}
		}
	}
	brName := d.cfg.Bridge
	if brName == "" {
		brName = DefaultBridgeName
	}
	var subnet netip.Prefix
	var gw netip.Addr
	if d.cfg.BIP != "" {
		p, err := netip.ParsePrefix(d.cfg.BIP)
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("invalid --bip %q: want an IPv4 CIDR such as 172.30.0.1/16", d.cfg.BIP)
		}
		subnet, gw = p.Masked(), p.Addr()
		if gw == subnet.Addr() {
			gw = gw.Next()
		}
	}
	existing, err := s.Get(network.DefaultBridge)
	if err == nil {
		if existing.Bridge == brName && (!subnet.IsValid() || (existing.Subnet == subnet && existing.Gateway == gw)) {
			return nil
		}
		if len(existing.Endpoints) > 0 {
			d.log.Warn("bridge network has endpoints: keeping its old settings", "bridge", existing.Bridge, "subnet", existing.Subnet)
			return nil
		}
		d.takeDown(existing)
		s.Remove(existing.ID)
	}
	if !subnet.IsValid() {
		if subnet, err = s.FreeSubnet(hostRouteOverlaps); err != nil {
			return err
		}
		gw = subnet.Addr().Next()
	}
	return s.Add(&network.Record{ID: network.NewID(), Name: network.DefaultBridge, Driver: "bridge", Created: time.Now().UTC(),
		Bridge: brName, Subnet: subnet, Gateway: gw, MTU: 1500,
		Options: map[string]string{"com.docker.network.bridge.name": brName, "com.docker.network.bridge.default_bridge": "true",
			"com.docker.network.bridge.enable_ip_masquerade": "true", "com.docker.network.driver.mtu": "1500"}})
}

// hostRouteOverlaps reports whether a host route (other than berth's own
// default route) overlaps p, so a new subnet does not hide host networks.
func hostRouteOverlaps(p netip.Prefix) bool {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return false
	}
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		a, ok := netip.AddrFromSlice(r.Dst.IP)
		if !ok {
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		if ones == 0 {
			continue // the default route
		}
		if netip.PrefixFrom(a.Unmap(), ones).Overlaps(p) {
			return true
		}
	}
	return false
}

// bringUp creates the network's bridge, its foreign-firewall accepts and
// its resolver.
func (d *Daemon) bringUp(n *network.Record) error {
	gw := netip.PrefixFrom(n.Gateway, n.Subnet.Bits())
	if err := bridge.EnsureBridge(n.Bridge, gw, n.MTU); err != nil {
		return err
	}
	if err := d.adoptLinkMTU(n); err != nil {
		return err
	}
	if err := d.bringUpIPv6(n); err != nil {
		return err
	}
	if err := firewall.AllowBridgeInForeignForward(n.Bridge); err != nil {
		d.log.Warn("cannot open the host's FORWARD chain for the bridge", "bridge", n.Bridge, "err", err)
	}
	d.nets.mu.Lock()
	defer d.nets.mu.Unlock()
	if _, ok := d.nets.dns[n.ID]; ok {
		return nil
	}
	srv, err := dns.Listen(n.Gateway, d)
	if err != nil {
		d.log.Warn("embedded DNS server not started", "network", n.Name, "err", err)
		return nil
	}
	d.nets.dns[n.ID] = srv
	return nil
}

// takeDown removes what bringUp made.
func (d *Daemon) takeDown(n *network.Record) {
	d.nets.mu.Lock()
	srv, ok := d.nets.dns[n.ID]
	delete(d.nets.dns, n.ID)
	d.nets.mu.Unlock()
	if ok {
		// Close waits for queries in flight, which may need container
		// locks whose holders wait for d.nets.mu: never close under it.
		srv.Close()
	}
	if n.Bridge == "" {
		return
	}
	firewall.RemoveBridgeFromForeignForward(n.Bridge)
	if err := bridge.DeleteBridge(n.Bridge); err != nil {
		d.log.Warn("removing bridge", "bridge", n.Bridge, "err", err)
	}
}

// applyFirewall rewrites berth's nftables table from the bridge networks
// and the published ports of running containers.
func (d *Daemon) applyFirewall() error {
	d.nets.fwMu.Lock()
	defer d.nets.fwMu.Unlock()
	var st firewall.State
	for _, n := range d.nets.store.List() {
		if n.IsBridge() {
			st.Networks = append(st.Networks, firewall.Network{Bridge: n.Bridge, Subnet: n.Subnet, Subnet6: firewallSubnet6(n), Internal: n.Internal})
		}
	}
	d.nets.mu.Lock()
	for _, s := range d.nets.states {
		st.Ports = append(st.Ports, s.Ports...)
	}
	d.nets.mu.Unlock()
	return firewall.Apply(d.nets.table, st)
}

// shutdownNetworks runs on a clean daemon stop: resolvers stop, berth's
// table goes, and bridges with no running container on them are removed.
func (d *Daemon) shutdownNetworks() {
	if d.nets == nil {
		return
	}
	d.waitAllUnpinned()
	d.nets.mu.Lock()
	servers := d.nets.dns
	d.nets.dns = map[string]*dns.Server{}
	d.nets.mu.Unlock()
	for _, srv := range servers { // outside the lock: see takeDown
		srv.Close()
	}
	d.nets.mu.Lock()
	inUse := map[string]bool{}
	for _, s := range d.nets.states {
		for netID := range s.Links {
			inUse[netID] = true
		}
	}
	d.nets.mu.Unlock()
	if err := firewall.Delete(d.nets.table); err != nil {
		d.log.Warn("removing nftables table", "table", d.nets.table, "err", err)
	}
	for _, n := range d.nets.store.List() {
		if n.IsBridge() && !inUse[n.ID] {
			d.takeDown(n)
		}
	}
}
