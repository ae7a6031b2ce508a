package daemon

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/network/firewall"
	apinetwork "github.com/moby/moby/api/types/network"
)

// publishPorts resolves -p and -P into DNAT rules to ip: fixed host
// ports are checked against other containers' ports, ranges take their
// first free port, an empty host port takes a free ephemeral one.
func (d *Daemon) publishPorts(c *container.Container, ip netip.Addr) ([]firewall.Port, map[string][]boundPort, error) {
	want := apinetwork.PortMap{}
	for p, bs := range c.HostConfig.PortBindings {
		want[p] = bs
	}
	if c.HostConfig.PublishAllPorts {
		for p := range c.Config.ExposedPorts {
			if _, ok := want[p]; !ok {
				want[p] = []apinetwork.PortBinding{{}}
			}
		}
	}
	if len(want) == 0 {
		return nil, nil, nil
	}
	keys := make([]apinetwork.Port, 0, len(want))
	for p := range want {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	used := d.usedHostPorts()
	var rules []firewall.Port
	bound := map[string][]boundPort{}
	for _, p := range keys {
		proto := string(p.Proto())
		if proto != "tcp" && proto != "udp" {
			continue
		}
		for _, b := range want[p] {
			if b.HostIP.IsValid() && !b.HostIP.Unmap().Is4() {
				continue // IPv6 host addresses: not yet (docs/COMPATIBILITY.md)
			}
			hostIP := b.HostIP.Unmap()
			shown := "0.0.0.0"
			if hostIP.IsValid() {
				shown = hostIP.String()
			}
			hp, err := pickHostPort(proto, hostIP, b.HostPort, used)
			if err != nil {
				return nil, nil, err
			}
			used[proto+"/"+strconv.Itoa(int(hp))] = true
			rules = append(rules, firewall.Port{Proto: proto, HostIP: hostIP, HostPort: hp, ContainerIP: ip, ContainerPort: p.Num()})
			bound[p.String()] = append(bound[p.String()], boundPort{HostIP: shown, HostPort: strconv.Itoa(int(hp))})
		}
	}
	return rules, bound, nil
}

// usedHostPorts are the host ports ("tcp/8080") other running containers publish.
func (d *Daemon) usedHostPorts() map[string]bool {
	used := map[string]bool{}
	d.nets.mu.Lock()
	defer d.nets.mu.Unlock()
	for _, s := range d.nets.states {
		for _, p := range s.Ports {
			used[p.Proto+"/"+strconv.Itoa(int(p.HostPort))] = true
		}
	}
	return used
}

func pickHostPort(proto string, hostIP netip.Addr, spec string, used map[string]bool) (uint16, error) {
	addr := "0.0.0.0"
	if hostIP.IsValid() {
		addr = hostIP.String()
	}
	if spec == "" || spec == "0" {
		return ephemeralPort(proto, addr)
	}
	loS, hiS, isRange := strings.Cut(spec, "-")
	lo, err := strconv.ParseUint(loS, 10, 16)
	if err != nil {
		return 0, errdefs.Invalid("invalid host port: %s", spec)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.ParseUint(hiS, 10, 16); err != nil || hi < lo {
			return 0, errdefs.Invalid("invalid host port range: %s", spec)
		}
	}
	for p := lo; p <= hi; p++ {
		if !used[proto+"/"+strconv.FormatUint(p, 10)] {
			return uint16(p), nil
		}
	}
	// A 500 as dockerd's ("driver failed programming external
	// connectivity ..." in its words; the cause is the same line).
	return 0, fmt.Errorf("Bind for %s:%s failed: port is already allocated", addr, spec)
}

// ephemeralPort asks the kernel for a free port in its ephemeral range,
// as Docker's allocator picks from that range.
func ephemeralPort(proto, addr string) (uint16, error) {
	if proto == "udp" {
		pc, err := net.ListenPacket("udp4", addr+":0")
		if err != nil {
			return 0, fmt.Errorf("allocate a host port: %w", err)
		}
		defer pc.Close()
		return uint16(pc.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp4", addr+":0")
	if err != nil {
		return 0, fmt.Errorf("allocate a host port: %w", err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}
