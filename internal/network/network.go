// Package network holds berth's network records: the networks (driver
// bridge, host, none), their IP address management and the endpoints that
// attach containers to them. One JSON file per network, written with
// atomicfile, so allocations survive a kill -9 of the daemon.
package network

import (
	"net/netip"
	"time"
)

// Built-in network names, as in Docker.
const (
	DefaultBridge = "bridge"
	Host          = "host"
	None          = "none"
)

// Record is one network as berth keeps it.
type Record struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Driver     string            `json:"driver"` // bridge, host, null
	Created    time.Time         `json:"created"`
	Internal   bool              `json:"internal,omitempty"`
	Attachable bool              `json:"attachable,omitempty"`
	EnableIPv6 bool              `json:"enable_ipv6,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Options    map[string]string `json:"options,omitempty"`

	// Bridge is the host's bridge device (bridge driver only).
	Bridge  string       `json:"bridge,omitempty"`
	MTU     int          `json:"mtu,omitempty"`
	Subnet  netip.Prefix `json:"subnet,omitzero"`
	IPRange netip.Prefix `json:"ip_range,omitzero"`
	Gateway netip.Addr   `json:"gateway,omitzero"`
	// Subnet6/Gateway6: the IPv6 subnet of an --ipv6 network.
	Subnet6  netip.Prefix `json:"subnet6,omitzero"`
	Gateway6 netip.Addr   `json:"gateway6,omitzero"`

	// Endpoints by container ID: the attachment and its allocated address.
	Endpoints map[string]*Endpoint `json:"endpoints,omitempty"`
}

// Endpoint attaches one container to one network. It exists from create
// (or connect) until the container is removed (or disconnected), so the
// address stays the same across restarts.
type Endpoint struct {
	ID          string     `json:"id"`
	ContainerID string     `json:"container_id"`
	Name        string     `json:"name"` // container name without "/"
	Aliases     []string   `json:"aliases,omitempty"`
	IP          netip.Addr `json:"ip,omitzero"`
	IP6         netip.Addr `json:"ip6,omitzero"` // on --ipv6 networks (ipam6.go)
	MAC         string     `json:"mac,omitempty"`
	// RequestedIP is the --ip the user asked for (kept for inspect).
	RequestedIP netip.Addr `json:"requested_ip,omitzero"`
	// RequestedIP6 is the --ip6 the user asked for.
	RequestedIP6 netip.Addr        `json:"requested_ip6,omitzero"`
	DriverOpts   map[string]string `json:"driver_opts,omitempty"`
}

// IsBridge reports whether the network has a bridge device and addresses.
func (r *Record) IsBridge() bool { return r.Driver == "bridge" }

// IsDefaultBridge is Docker's "bridge" network: no embedded name
// resolution between containers there, as in Docker.
func (r *Record) IsDefaultBridge() bool { return r.Name == DefaultBridge }

// IsPredefined reports the networks a user cannot remove.
func (r *Record) IsPredefined() bool {
	return r.Name == DefaultBridge || r.Name == Host || r.Name == None
}

// DNSNames is what resolves to the endpoint on its network.
func (e *Endpoint) DNSNames() []string {
	names := []string{e.Name}
	names = append(names, e.Aliases...)
	if len(e.ContainerID) >= 12 {
		names = append(names, e.ContainerID[:12])
	}
	return names
}
