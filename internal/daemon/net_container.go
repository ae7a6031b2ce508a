package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/network"
	"github.com/berth-dev/berth/internal/network/bridge"
	apicontainer "github.com/moby/moby/api/types/container"
	apinetwork "github.com/moby/moby/api/types/network"
)

// resolveNetworkMode applies Docker's default (the bridge network) and
// checks that the named network (or container) exists.
func (d *Daemon) resolveNetworkMode(hc *apicontainer.HostConfig) error {
	mode := string(hc.NetworkMode)
	switch {
	case mode == "" || mode == "default":
		hc.NetworkMode = network.DefaultBridge
	case mode == network.Host || mode == network.None:
	case hc.NetworkMode.IsContainer():
		ref := hc.NetworkMode.ConnectedContainer()
		other, err := d.containers.Get(ref)
		if err != nil {
			// 400, not 404: the docker CLI takes a 404 on create for a
			// missing image and would try to pull (COMPATIBILITY.md).
			return errdefs.Invalid("No such container: %s", ref)
		}
		// By ID, as dockerd records it: a rename or a new container of
		// that name does not change whose namespace is joined.
		hc.NetworkMode = apicontainer.NetworkMode("container:" + other.ID)
	default:
		if _, err := d.nets.store.Get(mode); err != nil {
			return errdefs.As(errdefs.KindInvalid, err) // 400, as for container: above
		}
	}
	return nil
}

// attachAtCreate records the container's endpoints (its network mode's
// network and every other network of the request) and writes its
// /etc/hosts and /etc/resolv.conf.
func (d *Daemon) attachAtCreate(c *container.Container, nc *apinetwork.NetworkingConfig) error {
	hc := c.HostConfig
	mode := string(hc.NetworkMode)
	configs := map[string]*apinetwork.EndpointSettings{}
	if nc != nil {
		for k, v := range nc.EndpointsConfig {
			configs[k] = v
		}
	}
	if mode == network.Host || mode == network.None || hc.NetworkMode.IsContainer() {
		if len(configs) > 0 {
			for k := range configs {
				if k != mode {
					return errdefs.Invalid("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
				}
			}
		}
		return d.writeNetworkFiles(c)
	}
	primary, err := d.nets.store.Get(mode)
	if err != nil {
		return err
	}
	// The request may name the primary network by name, ID or "default".
	var primaryCfg *apinetwork.EndpointSettings
	for k, v := range configs {
		if k == primary.Name || k == primary.ID || k == "default" {
			primaryCfg = v
			delete(configs, k)
		}
	}
	if err := d.connectEndpoint(c, primary, primaryCfg); err != nil {
		return err
	}
	names := make([]string, 0, len(configs))
	for k := range configs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		n, err := d.nets.store.Get(k)
		if err != nil {
			return err
		}
		if err := d.connectEndpoint(c, n, configs[k]); err != nil {
			return err
		}
	}
	return d.writeNetworkFiles(c)
}

// connectEndpoint records c's endpoint on n (allocating its address).
func (d *Daemon) connectEndpoint(c *container.Container, n *network.Record, cfg *apinetwork.EndpointSettings) error {
	if !n.IsBridge() {
		return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
	}
	ep := network.Endpoint{ContainerID: c.ID, Name: strings.TrimPrefix(c.Name, "/")}
	if cfg != nil {
		ep.Aliases = cfg.Aliases
		ep.DriverOpts = cfg.DriverOpts
		if cfg.IPAMConfig != nil {
			ep.RequestedIP = cfg.IPAMConfig.IPv4Address
			ep.RequestedIP6 = cfg.IPAMConfig.IPv6Address
		}
		if len(cfg.MacAddress) > 0 {
			ep.MAC = cfg.MacAddress.String()
		}
	}
	if n.IsDefaultBridge() && len(ep.Aliases) > 0 {
		return errdefs.Invalid("network-scoped alias is supported only for containers in user defined networks")
	}
	_, err := d.nets.store.Attach(n.ID, ep)
	return err
}

// attachments are c's endpoints, its network mode's network first (that
// one carries the default route and the published ports).
func (d *Daemon) attachments(c *container.Container) []network.Attachment {
	atts := d.nets.store.EndpointsOf(c.ID)
	mode := string(c.HostConfig.NetworkMode)
	sort.SliceStable(atts, func(i, j int) bool {
		return (atts[i].Net.Name == mode || atts[i].Net.ID == mode) && !(atts[j].Net.Name == mode || atts[j].Net.ID == mode)
	})
	return atts
}

// detachAll forgets c's endpoints (container removal).
func (d *Daemon) detachAll(c *container.Container) {
	for _, a := range d.nets.store.EndpointsOf(c.ID) {
		if err := d.nets.store.Detach(a.Net.ID, c.ID); err != nil {
			d.log.Warn("releasing endpoint", "id", c.ID, "network", a.Net.Name, "err", err)
		}
	}
}

// vethName is the host end's name: unique per container and network,
// within IFNAMSIZ.
func vethName(containerID, networkID string) string {
	sum := sha256.Sum256([]byte(containerID + "/" + networkID))
	return "vb" + hex.EncodeToString(sum[:])[:13]
}

// setupNetwork prepares the container's network namespace before the
// runtime runs and returns its path for the OCI spec ("" lets the runtime
// make a fresh one or use the host's). c.Mu is held.
func (d *Daemon) setupNetwork(c *container.Container) (string, error) {
	hc := c.HostConfig
	switch {
	case hc.NetworkMode.IsHost(), string(hc.NetworkMode) == network.None:
		return "", nil
	case hc.NetworkMode.IsContainer():
		return d.joinedNetNS(c)
	}
	// A named network removed since create: dockerd refuses the start.
	if mode := string(hc.NetworkMode); mode != "" && mode != "default" && !hc.NetworkMode.IsBridge() {
		if _, err := d.nets.store.Get(mode); err != nil {
			return "", err
		}
	}
	atts := d.attachments(c)
	if len(atts) == 0 {
		return "", nil
	}
	tm := newStepTimer(d.log, "network set-up", c.ID)
	defer tm.done()
	d.teardownNetworkID(c.ID) // leftovers of a run that was not torn down
	tm.step("leftovers")
	m := d.nets
	st := &netState{NetNS: m.netnsPath(c.ID), Links: map[string]linkState{}}
	if err := bridge.CreateNetNS(st.NetNS, wantsIPv6(atts)); err != nil {
		return "", err
	}
	tm.step("netns")
	ok := false
	defer func() {
		if !ok {
			d.teardownState(c.ID, st)
		}
	}()
	// Saved first: a daemon killed half-way finds what to clean up.
	if err := m.saveState(c.ID, st); err != nil {
		return "", err
	}
	tm.step("state")
	routed := false
	var primaryIP, primaryIP6 netip.Addr
	for i, a := range atts {
		link := linkState{HostVeth: vethName(c.ID, a.Net.ID), IfName: fmt.Sprintf("eth%d", i)}
		ep := bridge.Endpoint{Bridge: a.Net.Bridge, HostVeth: link.HostVeth, IfName: link.IfName,
			Address: netip.PrefixFrom(a.EP.IP, a.Net.Subnet.Bits()), MAC: a.EP.MAC,
			MTU: d.linkMTU(a.Net), RouteMTU: a.Net.MTU}
		if a.EP.IP6.IsValid() {
			ep.Address6 = netip.PrefixFrom(a.EP.IP6, a.Net.Subnet6.Bits())
		}
		if !a.Net.Internal && !routed {
			ep.Gateway, routed, primaryIP = a.Net.Gateway, true, a.EP.IP
			if ep.Address6.IsValid() {
				ep.Gateway6, primaryIP6 = a.Net.Gateway6, a.EP.IP6
			}
		}
		st.Links[a.Net.ID] = link
		if err := bridge.Setup(st.NetNS, ep); err != nil {
			return "", err
		}
		tm.step(link.IfName)
	}
	if primaryIP.IsValid() {
		ports, bound, err := d.publishPorts(c, primaryIP)
		if err != nil {
			return "", err
		}
		st.Ports, st.Bound = ports, bound
		if primaryIP6.IsValid() {
			if st.Ports, st.Bound, err = d.publishPorts6(c, primaryIP6, st.Ports, st.Bound); err != nil {
				return "", err
			}
		}
	}
	if err := m.saveState(c.ID, st); err != nil {
		return "", err
	}
	tm.step("ports+state")
	m.mu.Lock()
	m.states[c.ID] = st
	m.mu.Unlock()
	if len(st.Ports) > 0 {
		if err := d.applyFirewall(); err != nil {
			m.mu.Lock()
			delete(m.states, c.ID)
			m.mu.Unlock()
			return "", err
		}
		tm.step("firewall")
	}
	ok = true
	return st.NetNS, nil
}

// joinedNetNS is the namespace of the container named by
// --network container:NAME, which must be running.
func (d *Daemon) joinedNetNS(c *container.Container) (string, error) {
	ref := c.HostConfig.NetworkMode.ConnectedContainer()
	other, err := d.containers.Get(ref)
	if err != nil {
		return "", errdefs.NotFound("No such container: %s", ref)
	}
	if other.ID == c.ID {
		return "", errdefs.Invalid("cannot join own network namespace")
	}
	other.Mu.Lock()
	running, pid := other.State.Running, other.State.Pid
	other.Mu.Unlock()
	if !running {
		return "", errdefs.Conflict("cannot join network namespace of a non running container: %s", strings.TrimPrefix(other.Name, "/"))
	}
	shareNetworkFiles(c, other)
	d.nets.mu.Lock()
	st := d.nets.states[other.ID]
	d.nets.mu.Unlock()
	if st != nil {
		return st.NetNS, nil
	}
	return fmt.Sprintf("/proc/%d/ns/net", pid), nil
}

// teardownNetwork releases a stopped container's namespace, veths and
// published ports.
func (d *Daemon) teardownNetwork(c *container.Container) {
	d.teardownNetworkID(c.ID)
}

func (d *Daemon) teardownNetworkID(id string) {
	d.waitUnpinned(id)
	m := d.nets
	m.mu.Lock()
	st := m.states[id]
	delete(m.states, id)
	m.mu.Unlock()
	if st == nil {
		st = &netState{NetNS: m.netnsPath(id)}
		if _, err := os.Stat(m.statePath(id)); err != nil {
			if _, err := os.Stat(st.NetNS); err != nil {
				return
			}
		}
	}
	tm := newStepTimer(d.log, "network teardown", id)
	defer tm.done()
	d.teardownStateLater(id, st)
	tm.step("unpin-queued")
	if len(st.Ports) > 0 {
		if err := d.applyFirewall(); err != nil {
			d.log.Warn("updating firewall rules", "err", err)
		}
		tm.step("firewall")
	}
}

// teardownState unpins the namespace; the kernel then destroys it and
// the veth pairs in it in the background. Deleting each veth here first
// would wait for RCU grace periods (tens of ms on the exit path of every
// `run --rm`); veths whose namespace could not be unpinned are deleted.
func (d *Daemon) teardownState(id string, st *netState) {
	if err := bridge.DeleteNetNS(st.NetNS); err != nil {
		for _, l := range st.Links {
			bridge.Teardown(l.HostVeth)
		}
		d.log.Warn("removing network namespace", "id", id, "err", err)
	}
	os.Remove(d.nets.statePath(id))
}
