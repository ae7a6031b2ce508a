package daemon

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/network"
	"github.com/moby/moby/api/types/events"
	apinetwork "github.com/moby/moby/api/types/network"
)

// apiNetwork is the API's view of a record.
func apiNetwork(n *network.Record) apinetwork.Network {
	out := apinetwork.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv4: true, EnableIPv6: n.EnableIPv6, Internal: n.Internal, Attachable: n.Attachable,
		IPAM:    apinetwork.IPAM{Driver: "default", Options: map[string]string{}, Config: []apinetwork.IPAMConfig{}},
		Options: n.Options, Labels: n.Labels,
	}
	if out.Options == nil {
		out.Options = map[string]string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if n.Subnet.IsValid() {
		out.IPAM.Config = append(out.IPAM.Config, apinetwork.IPAMConfig{Subnet: n.Subnet, IPRange: n.IPRange, Gateway: n.Gateway})
	}
	if n.Subnet6.IsValid() {
		out.IPAM.Config = append(out.IPAM.Config, apinetwork.IPAMConfig{Subnet: n.Subnet6, Gateway: n.Gateway6})
	}
	return out
}

func (d *Daemon) networkEvent(n *network.Record, action events.Action, extra map[string]string) {
	attrs := map[string]string{"name": n.Name, "type": n.Driver}
	for k, v := range extra {
		attrs[k] = v
	}
	d.events.Publish(events.NetworkEventType, action, n.ID, attrs)
}

// NetworkList implements api.NetworkBackend with Docker's filters.
func (d *Daemon) NetworkList(ctx context.Context, f filters.Args) ([]apinetwork.Summary, error) {
	if err := f.Validate("name", "id", "driver", "label", "type", "scope", "dangling"); err != nil {
		return nil, err
	}
	for _, t := range f.Get("type") {
		if t != "custom" && t != "builtin" {
			return nil, errdefs.Invalid("invalid filter: 'type'='%s'", t)
		}
	}
	for _, v := range f.Get("dangling") {
		if _, err := strconv.ParseBool(v); err != nil {
			return nil, errdefs.Invalid(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`)
		}
	}
	out := []apinetwork.Summary{}
	for _, n := range d.nets.store.List() {
		typ := "custom"
		if n.IsPredefined() {
			typ = "builtin"
		}
		switch {
		case f.Has("name") && !anyRegexp(f.Get("name"), n.Name), // unanchored, as Docker's filters.Match
			f.Has("id") && !anyPrefix(f.Get("id"), n.ID),
			f.Has("driver") && !f.MatchAny("driver", n.Driver),
			f.Has("type") && !f.MatchAny("type", typ),
			f.Has("scope") && !f.MatchAny("scope", "local"),
			!f.MatchLabels("label", n.Labels),
			f.Has("dangling") && (f.MatchAny("dangling", "true") || f.MatchAny("dangling", "1")) != (len(n.Endpoints) == 0 && !n.IsPredefined()):
			continue
		}
		out = append(out, apinetwork.Summary{Network: apiNetwork(n)})
	}
	return out, nil
}

// NetworkInspect lists the network's running containers, as Docker.
func (d *Daemon) NetworkInspect(ctx context.Context, ref string) (apinetwork.Inspect, error) {
	n, err := d.nets.store.Get(ref)
	if err != nil {
		return apinetwork.Inspect{}, err
	}
	out := apinetwork.Inspect{Network: apiNetwork(n), Containers: map[string]apinetwork.EndpointResource{}}
	for id, ep := range n.Endpoints {
		c, err := d.containers.Get(id)
		if err != nil {
			continue
		}
		c.Mu.Lock()
		running, name := c.State.Running, strings.TrimPrefix(c.Name, "/")
		c.Mu.Unlock()
		if !running {
			continue
		}
		res := apinetwork.EndpointResource{Name: name, EndpointID: ep.ID}
		if ep.IP.IsValid() {
			res.IPv4Address = netip.PrefixFrom(ep.IP, n.Subnet.Bits())
		}
		var hw apinetwork.HardwareAddr
		if hw.UnmarshalText([]byte(ep.MAC)) == nil {
			res.MacAddress = hw
		}
		out.Containers[id] = res
	}
	return out, nil
}

// NetworkCreate makes a bridge network: its subnet (given or a free one),
// bridge device, resolver and rules.
func (d *Daemon) NetworkCreate(ctx context.Context, req apinetwork.CreateRequest) (apinetwork.CreateResponse, error) {
	resp := apinetwork.CreateResponse{}
	if req.Name == "" {
		return resp, errdefs.Invalid("network name cannot be empty")
	}
	switch req.Driver {
	case "", "bridge":
	case "host", "null":
		return resp, errdefs.Forbidden("only one instance of %q network is allowed", req.Driver)
	default:
		return resp, errdefs.NotFound("plugin %q not found", req.Driver)
	}
	if req.ConfigOnly || req.ConfigFrom != nil || req.Ingress {
		return resp, errdefs.NotImplemented("berth: config-only, config-from and ingress networks are not implemented")
	}
	if req.Scope != "" && req.Scope != "local" {
		return resp, errdefs.NotImplemented("berth: network scope %q is not implemented", req.Scope)
	}
	id := network.NewID()
	n := &network.Record{ID: id, Name: req.Name, Driver: "bridge", Created: time.Now().UTC(),
		Internal: req.Internal, Attachable: req.Attachable, Labels: req.Labels, Options: req.Options,
		Bridge: "br-" + id[:12], MTU: 1500}
	if req.EnableIPv6 != nil {
		n.EnableIPv6 = *req.EnableIPv6
	}
	for k, v := range req.Options {
		switch k {
		case "com.docker.network.bridge.name":
			if len(v) > 15 {
				return resp, errdefs.Invalid("bridge name %q is longer than 15 characters", v)
			}
			n.Bridge = v
		case "com.docker.network.driver.mtu":
			mtu, err := strconv.Atoi(v)
			if err != nil || mtu < 68 {
				return resp, errdefs.Invalid("invalid MTU %q", v)
			}
			n.MTU = mtu
		}
	}
	if req.IPAM != nil {
		if req.IPAM.Driver != "" && req.IPAM.Driver != "default" {
			return resp, errdefs.NotFound("plugin %q not found", req.IPAM.Driver)
		}
		for _, c := range req.IPAM.Config {
			if err := applyIPAMConfig(n, c); err != nil {
				return resp, err
			}
		}
	}
	if n.EnableIPv6 && !n.Subnet6.IsValid() {
		return resp, errdefs.NotImplemented("berth: --ipv6 needs an IPv6 --subnet (no default IPv6 pool yet)")
	}
	for _, o := range d.nets.store.List() {
		if o.Name == req.Name {
			return resp, errdefs.Conflict("network with name %s already exists", req.Name)
		}
		if o.Bridge != "" && o.Bridge == n.Bridge {
			return resp, errdefs.Conflict("bridge name %s is used by network %s", n.Bridge, o.Name)
		}
		if n.Subnet.IsValid() && o.Subnet.IsValid() && o.Subnet.Overlaps(n.Subnet) {
			return resp, errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
		}
	}
	if !n.Subnet.IsValid() {
		p, err := d.nets.store.FreeSubnet(hostRouteOverlaps)
		if err != nil {
			return resp, err
		}
		n.Subnet = p
	}
	if !n.Gateway.IsValid() {
		n.Gateway = n.Subnet.Masked().Addr().Next()
	}
	if err := d.nets.store.Add(n); err != nil {
		return resp, err
	}
	if err := d.bringUp(n); err != nil {
		d.takeDown(n)
		d.nets.store.Remove(n.ID)
		return resp, err
	}
	if err := d.applyFirewall(); err != nil {
		d.takeDown(n)
		d.nets.store.Remove(n.ID)
		d.applyFirewall()
		return resp, err
	}
	d.networkEvent(n, events.ActionCreate, nil)
	resp.ID = n.ID
	return resp, nil
}

func applyIPAMConfig(n *network.Record, c apinetwork.IPAMConfig) error {
	if !c.Subnet.IsValid() {
		if c.IPRange.IsValid() || c.Gateway.IsValid() {
			return errdefs.Invalid("invalid ipam config: gateway or ip-range without a subnet")
		}
		return nil
	}
	// Host bits set are a mistake dockerd (28) refuses rather than guesses.
	if c.Subnet != c.Subnet.Masked() {
		return errdefs.Invalid("invalid network config:\ninvalid subnet %s: it should be %s", c.Subnet, c.Subnet.Masked())
	}
	if c.Gateway.IsValid() && !c.Subnet.Contains(c.Gateway) {
		return errdefs.Invalid("no matching subnet for gateway %s", c.Gateway)
	}
	if c.Subnet.Addr().Is6() {
		n.Subnet6, n.Gateway6 = c.Subnet, c.Gateway
		if !n.Gateway6.IsValid() {
			n.Gateway6 = n.Subnet6.Addr().Next()
		}
		return nil
	}
	if n.Subnet.IsValid() {
		return errdefs.NotImplemented("berth: several IPv4 subnets per network are not implemented")
	}
	if c.Subnet.Bits() > 30 {
		return errdefs.Invalid("invalid subnet %s: too small for a bridge network", c.Subnet)
	}
	n.Subnet = c.Subnet
	if c.Gateway.IsValid() {
		if c.Gateway == n.Subnet.Addr() || c.Gateway == network.LastAddr(n.Subnet) {
			return errdefs.Forbidden("failed to allocate gateway (%s): Address already in use", c.Gateway)
		}
		n.Gateway = c.Gateway
	}
	if c.IPRange.IsValid() {
		if !n.Subnet.Contains(c.IPRange.Addr()) || c.IPRange.Bits() < n.Subnet.Bits() {
			return errdefs.Invalid("invalid ip-range %s: not in subnet %s", c.IPRange, n.Subnet)
		}
		if c.IPRange != c.IPRange.Masked() {
			return errdefs.Invalid("invalid network config:\ninvalid ip-range %s: it should be %s", c.IPRange, c.IPRange.Masked())
		}
		n.IPRange = c.IPRange
	}
	return nil
}

// NetworkRemove removes a user network no running container uses.
func (d *Daemon) NetworkRemove(ctx context.Context, ref string) error {
	n, err := d.nets.store.Get(ref)
	if err != nil {
		return err
	}
	if n.IsPredefined() {
		return errdefs.Forbidden("%s is a pre-defined network and cannot be removed", n.Name)
	}
	d.nets.mu.Lock()
	for id, st := range d.nets.states {
		if _, ok := st.Links[n.ID]; ok {
			d.nets.mu.Unlock()
			return errdefs.Forbidden("error while removing network: network %s id %s has active endpoints (%s)", n.Name, n.ID, id[:12])
		}
	}
	d.nets.mu.Unlock()
	if err := d.nets.store.Remove(n.ID); err != nil {
		return err
	}
	d.takeDown(n)
	if err := d.applyFirewall(); err != nil {
		d.log.Warn("updating firewall rules", "err", err)
	}
	d.networkEvent(n, events.ActionDestroy, nil)
	return nil
}

// NetworksPrune removes user networks without endpoints.
func (d *Daemon) NetworksPrune(ctx context.Context, f filters.Args) (apinetwork.PruneReport, error) {
	rep := apinetwork.PruneReport{NetworksDeleted: []string{}}
	if err := f.Validate("until", "label", "label!"); err != nil {
		return rep, err
	}
	until, err := untilFilter(f)
	if err != nil {
		return rep, err
	}
	for _, n := range d.nets.store.List() {
		if n.IsPredefined() || len(n.Endpoints) > 0 ||
			(!until.IsZero() && n.Created.After(until)) ||
			!f.MatchLabels("label", n.Labels) || matchesAnyLabel(f.Get("label!"), n.Labels) {
			continue
		}
		if err := d.NetworkRemove(ctx, n.ID); err == nil {
			rep.NetworksDeleted = append(rep.NetworksDeleted, n.Name)
		}
	}
	d.events.Publish(events.NetworkEventType, events.ActionPrune, "", map[string]string{})
	return rep, nil
}

// NetworkConnect attaches a container; a running one gets its interface
// at once.
func (d *Daemon) NetworkConnect(ctx context.Context, ref string, req apinetwork.ConnectRequest) error {
	n, err := d.nets.store.Get(ref)
	if err != nil {
		return err
	}
	c, err := d.containers.Get(req.Container)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	hc := c.HostConfig
	// dockerd's answers, case by case.
	switch {
	case string(hc.NetworkMode) == network.None && n.IsBridge(), n.Name == network.None:
		return errdefs.Invalid(errNoneConflict)
	case hc.NetworkMode.IsHost() || hc.NetworkMode.IsContainer():
		return errdefs.Invalid("container sharing network namespace with another container or host cannot be connected to any other network")
	case n.Name == network.Host:
		return errdefs.Invalid("cannot connect container to host network - container must be created in host network mode")
	case !n.IsBridge():
		return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
	}
	if _, ok := n.Endpoints[c.ID]; ok {
		if !c.State.Running {
			// A stopped container already connected: dockerd keeps the
			// endpoint, taking the request's settings if it has any.
			if req.EndpointConfig == nil {
				return nil
			}
			if err := d.nets.store.Detach(n.ID, c.ID); err != nil {
				return err
			}
			if err := d.connectEndpoint(c, n, req.EndpointConfig); err != nil {
				return err
			}
			return d.writeNetworkFiles(c)
		}
		return errdefs.Forbidden("endpoint with name %s already exists in network %s", strings.TrimPrefix(c.Name, "/"), n.Name)
	}
	if err := d.connectEndpoint(c, n, req.EndpointConfig); err != nil {
		return err
	}
	if c.State.Running {
		if err := d.plugLive(c, n.ID); err != nil {
			d.nets.store.Detach(n.ID, c.ID)
			return err
		}
	}
	if err := d.writeNetworkFiles(c); err != nil {
		return err
	}
	d.networkEvent(n, events.ActionConnect, map[string]string{"container": c.ID})
	return nil
}

// NetworkDisconnect detaches a container (and unplugs a running one).
func (d *Daemon) NetworkDisconnect(ctx context.Context, ref string, req apinetwork.DisconnectRequest) error {
	n, err := d.nets.store.Get(ref)
	if err != nil {
		return err
	}
	c, err := d.containers.Get(req.Container)
	if err != nil {
		if req.Force {
			// Docker's --force also cleans endpoints of containers gone.
			for id, ep := range n.Endpoints {
				if ep.Name == req.Container || strings.HasPrefix(id, req.Container) {
					return d.nets.store.Detach(n.ID, id)
				}
			}
		}
		return err
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if n.Name == network.None {
		return d.disconnectNoneNetwork(c, n)
	}
	if n.Name == network.Host {
		return errdefs.Invalid("cannot disconnect container from host network - container was created in host network mode")
	}
	if !n.IsBridge() {
		return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
	}
	if _, ok := n.Endpoints[c.ID]; !ok {
		return errdefs.Forbidden("container %s is not connected to the network %s", c.ID, n.Name)
	}
	if c.State.Running {
		d.unplugLive(c, n.ID)
	}
	if err := d.nets.store.Detach(n.ID, c.ID); err != nil {
		return err
	}
	if err := d.writeNetworkFiles(c); err != nil {
		return err
	}
	d.networkEvent(n, events.ActionDisconnect, map[string]string{"container": c.ID})
	return nil
}
