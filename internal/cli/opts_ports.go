package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// parsePorts parses -p ([ip:][hostPort:]containerPort[/proto], ranges allowed) and --expose.
func parsePorts(publish, expose []string) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, spec := range publish {
		if err := parsePublish(spec, exposed, bindings); err != nil {
			return nil, nil, err
		}
	}
	for _, e := range expose {
		portStr, proto, _ := strings.Cut(e, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, err := parsePortRange(portStr)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid range format for --expose: %s, error: %w", e, err)
		}
		for p := lo; p <= hi; p++ {
			port, ok := network.PortFrom(uint16(p), network.IPProtocol(strings.ToLower(proto)))
			if !ok {
				return nil, nil, fmt.Errorf("invalid port: %s", e)
			}
			exposed[port] = struct{}{}
		}
	}
	if len(exposed) == 0 {
		exposed = nil
	}
	if len(bindings) == 0 {
		bindings = nil
	}
	return exposed, bindings, nil
}

func parsePortRange(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	loS, hiS, isRange := strings.Cut(s, "-")
	lo, err := strconv.ParseUint(loS, 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid port %q", loS)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.ParseUint(hiS, 10, 16); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("invalid port range %q", s)
		}
	}
	return int(lo), int(hi), nil
}

func parsePublish(spec string, exposed network.PortSet, bindings network.PortMap) error {
	rest, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	var ip, hostPort, ctrPort string
	// an IPv6 host address is written in brackets: [::1]:80:80
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return fmt.Errorf("invalid ip address: %s", rest)
		}
		ip, rest = rest[1:end], strings.TrimPrefix(rest[end+1:], ":")
		parts := strings.Split(rest, ":")
		if len(parts) != 2 {
			return fmt.Errorf("invalid port format for --publish: %s", spec)
		}
		hostPort, ctrPort = parts[0], parts[1]
	} else {
		parts := strings.Split(rest, ":")
		switch len(parts) {
		case 1:
			ctrPort = parts[0]
		case 2:
			hostPort, ctrPort = parts[0], parts[1]
		case 3:
			ip, hostPort, ctrPort = parts[0], parts[1], parts[2]
		default:
			return fmt.Errorf("invalid port format for --publish: %s", spec)
		}
	}
	if ctrPort == "" {
		return fmt.Errorf("no port specified: %s<empty>", spec)
	}
	var hostIP netip.Addr
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return fmt.Errorf("invalid ip address: %s", ip)
		}
		hostIP = a
	}
	clo, chi, err := parsePortRange(ctrPort)
	if err != nil {
		return fmt.Errorf("invalid containerPort: %s", ctrPort)
	}
	hlo, hhi, err := parsePortRange(hostPort)
	if err != nil {
		return fmt.Errorf("invalid hostPort: %s", hostPort)
	}
	if hostPort != "" && hhi-hlo != chi-clo && hhi != hlo {
		return fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", ctrPort, hostPort)
	}
	for i := 0; i <= chi-clo; i++ {
		port, ok := network.PortFrom(uint16(clo+i), network.IPProtocol(strings.ToLower(proto)))
		if !ok {
			return fmt.Errorf("invalid port: %s", spec)
		}
		hp := ""
		switch {
		case hostPort == "":
		case hhi == hlo && chi != clo:
			hp = strconv.Itoa(hlo)
		case hhi != hlo && chi == clo:
			hp = hostPort // a host range for a single port: let the daemon pick one
		default:
			hp = strconv.Itoa(hlo + i)
		}
		exposed[port] = struct{}{}
		bindings[port] = append(bindings[port], network.PortBinding{HostIP: hostIP, HostPort: hp})
	}
	return nil
}
