package daemon

import (
	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
)

// validateNetworkModeConflicts refuses, with Docker's messages, the options
// that make no sense for a container that uses another container's network
// namespace. cfg is the request's
// config, before the image's is merged in.
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
	return nil
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
