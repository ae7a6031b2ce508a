package daemon

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
)

// validateNetworkModeConflicts refuses, with Docker's messages, the options
// that make no sense for a container that uses another container's network
// namespace (or the host's UTS namespace), and --add-host and published
// port values dockerd refuses at create. cfg is the request's config,
// before the image's is merged in.
func validateNetworkModeConflicts(cfg *apicontainer.Config, hc *apicontainer.HostConfig) error {
	mode := hc.NetworkMode
	if mode.IsContainer() {
		switch {
		case cfg.Hostname != "":
			return errdefs.Invalid("conflicting options: hostname and the network mode")
		case len(hc.Links) > 0:
			return errdefs.Invalid("conflicting options: container type network can't be used with links. This would result in undefined behavior")
		case len(hc.DNS) > 0:
			return errdefs.Invalid("conflicting options: dns and the network mode")
		case len(hc.ExtraHosts) > 0:
			return errdefs.Invalid("conflicting options: custom host-to-IP mapping and the network mode")
		case len(hc.PortBindings) > 0 || hc.PublishAllPorts:
			return errdefs.Invalid("conflicting options: port publishing and the container type network mode")
		case len(cfg.ExposedPorts) > 0:
			return errdefs.Invalid("conflicting options: port exposing and the container type network mode")
		}
	}
	if hc.UTSMode.IsHost() && cfg.Hostname != "" {
		return errdefs.Invalid("conflicting options: hostname and the UTS mode")
	}
	for _, h := range hc.ExtraHosts {
		_, ip, ok := parseExtraHost(h)
		if !ok {
			return errdefs.Invalid("bad format for add-host: %q", h)
		}
		if _, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil && ip != "host-gateway" {
			return errdefs.Invalid("invalid IP address in add-host: %q", ip)
		}
	}
	for _, bindings := range hc.PortBindings {
		for _, b := range bindings {
			if b.HostPort != "" && !validHostPorts(b.HostPort) {
				return errdefs.Invalid("invalid port specification: %q", b.HostPort)
			}
		}
	}
	return nil
}

// parseExtraHost reads an --add-host entry: host:ip, or host=ip as the
// docker CLI sends it since 25.0.
func parseExtraHost(h string) (name, ip string, ok bool) {
	if name, ip, ok = strings.Cut(h, "="); ok {
		return name, ip, true
	}
	return strings.Cut(h, ":")
}

// validHostPorts reports whether a binding's HostPort is "N" or "N-M" with
// ports of 16 bits.
func validHostPorts(s string) bool {
	_, _, err := parsePortRange(s)
	return err == nil
}

// parsePortRange reads "N" or "N-M" (M >= N), ports of 16 bits.
func parsePortRange(s string) (lo, hi uint64, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = strconv.ParseUint(a, 10, 16); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = strconv.ParseUint(b, 10, 16); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, errors.New("invalid range")
		}
	}
	return lo, hi, nil
}

// shareNetworkFiles makes c use the hostname and the /etc/hostname,
// /etc/hosts and /etc/resolv.conf of other, whose network namespace it
// joins (--network container:NAME), as Docker does at start. c.Mu is held.
func shareNetworkFiles(c, other *container.Container) {
	other.Mu.Lock()
	defer other.Mu.Unlock()
	c.Config.Hostname = other.Config.Hostname
	c.Config.Domainname = other.Config.Domainname
	c.HostnamePath = other.HostnamePath
	c.HostsPath = other.HostsPath
	c.ResolvConfPath = other.ResolvConfPath
}
