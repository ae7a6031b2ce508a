package daemon

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/network"
)

const baseHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// ownHostNames is the container's own /etc/hosts entry as libnetwork
// writes it: the FQDN (hostname, plus the domain name if any), then its
// first label when it has dots ("h.example.com h", "a.b.c a").
func ownHostNames(hostname, domain string) string {
	fqdn := hostname
	if domain != "" {
		fqdn += "." + domain
	}
	if short, _, ok := strings.Cut(fqdn, "."); ok && short != "" {
		return fqdn + " " + short
	}
	return fqdn
}

// writeNetworkFiles rewrites /etc/hosts and /etc/resolv.conf of a
// container on bridge networks (and --add-host for every mode). Written
// in place, not renamed: a running container has them bind-mounted.
func (d *Daemon) writeNetworkFiles(c *container.Container) error {
	hc := c.HostConfig
	atts := d.attachments(c)
	hosts := baseHosts
	if hc.NetworkMode.IsHost() && len(hc.ExtraHosts) == 0 {
		// The host's own file, unless --add-host asks for entries: then a
		// fresh one, as dockerd builds it.
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
		}
	}
	// As dockerd: --add-host entries first, then the container's own.
	for _, h := range hc.ExtraHosts {
		name, ip, ok := parseExtraHost(h)
		if !ok {
			return errdefs.Invalid("invalid add-host: %s", h)
		}
		if ip == "host-gateway" {
			ip = d.hostGateway()
		}
		hosts += fmt.Sprintf("%s\t%s\n", ip, name)
	}
	names := ownHostNames(c.Config.Hostname, c.Config.Domainname)
	for _, a := range atts {
		if a.EP.IP.IsValid() {
			hosts += fmt.Sprintf("%s\t%s\n", a.EP.IP, names)
		}
		if a.EP.IP6.IsValid() {
			hosts += fmt.Sprintf("%s\t%s\n", a.EP.IP6, names)
		}
	}
	if err := os.WriteFile(c.HostsPath, []byte(hosts), 0o644); err != nil {
		return err
	}
	if len(atts) == 0 {
		return nil
	}
	// Containers on bridge networks ask berth's resolver on their
	// gateway, which forwards to --dns or to the host's resolvers.
	host, _ := os.ReadFile("/etc/resolv.conf")
	resolv := fmt.Sprintf("nameserver %s\n", atts[0].Net.Gateway)
	search, options := hc.DNSSearch, hc.DNSOptions
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if f[0] == "search" && len(hc.DNSSearch) == 0 {
			search = f[1:]
		}
		if f[0] == "options" && len(hc.DNSOptions) == 0 {
			options = f[1:]
		}
	}
	if len(search) > 0 {
		resolv += "search " + strings.Join(search, " ") + "\n"
	}
	// As dockerd's embedded DNS on user-defined networks: container names
	// are single labels, asked as they are first.
	if !atts[0].Net.IsDefaultBridge() && !slices.ContainsFunc(options, func(o string) bool { return strings.HasPrefix(o, "ndots:") }) {
		options = append(slices.Clone(options), "ndots:0")
	}
	if len(options) > 0 {
		resolv += "options " + strings.Join(options, " ") + "\n"
	}
	return os.WriteFile(c.ResolvConfPath, []byte(resolv), 0o644)
}

// hostGateway is what --add-host NAME:host-gateway means: the default
// bridge's gateway, an address of the host reachable from containers.
func (d *Daemon) hostGateway() string {
	if n, err := d.nets.store.Get(network.DefaultBridge); err == nil && n.Gateway.IsValid() {
		return n.Gateway.String()
	}
	return "127.0.0.1"
}
