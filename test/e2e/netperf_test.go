package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// defaultRouteMTU reads the MTU metric of the default route inside a
// running container's network namespace (busybox's ip does not show it).
func defaultRouteMTU(t *testing.T, d *daemon, ctr string) int {
	t.Helper()
	pid, _ := strconv.Atoi(d.inspect(t, ctr, "{{.State.Pid}}"))
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			return r.MTU
		}
	}
	t.Fatalf("no default route in %s: %v", ctr, routes)
	return 0
}

// TestNetworkLinkMTU: links on berth's all-veth bridges are jumbo, while
// the default route keeps the network's MTU (1500, or -o ...driver.mtu),
// so what leaves the subnet is sized as in Docker. IPv6 is off in
// containers of IPv4-only networks.
func TestNetworkLinkMTU(t *testing.T) {
	d := sharedDaemon(t)
	bb := d.busybox(t)
	ctr := uniqueName(t)
	d.runD(t, "--name", ctr, bb, "sleep", "60")
	out := d.must(t, "exec", ctr, "sh", "-c", "cat /sys/class/net/eth0/mtu /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip -6 addr")
	if f := strings.Fields(out); len(f) < 3 || f[0] != "65520" || f[1] != "1" || f[2] != "1" {
		t.Fatalf("eth0 MTU, disable_ipv6 (all, eth0): %q", out)
	}
	if strings.Contains(out, "inet6") {
		t.Fatalf("IPv6 addresses on an IPv4-only network:\n%s", out)
	}
	if got := defaultRouteMTU(t, d, ctr); got != 1500 {
		t.Fatalf("default route MTU %d, want 1500", got)
	}

	small := uniqueName(t)
	d.must(t, "network", "create", "-o", "com.docker.network.driver.mtu=1400", small)
	t.Cleanup(func() { d.docker("network", "rm", small) })
	if got := d.must(t, "network", "inspect", "-f", `{{index .Options "com.docker.network.driver.mtu"}}`, small); strings.TrimSpace(got) != "1400" {
		t.Fatalf("network MTU option: %q", got)
	}
	ctr2 := uniqueName(t)
	d.runD(t, "--name", ctr2, "--network", small, bb, "sleep", "60")
	if got := defaultRouteMTU(t, d, ctr2); got != 1400 {
		t.Fatalf("default route MTU on a 1400 network: %d", got)
	}
}

// TestNetworkPublishedPortBigTransfer: a 4 MiB file crosses the jumbo
// links intact, through a port published on 127.0.0.1 (DNAT, masquerade)
// and between two containers.
func TestNetworkPublishedPortBigTransfer(t *testing.T) {
	d := sharedDaemon(t)
	bb := d.busybox(t)
	dir := t.TempDir()
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	if err := os.WriteFile(filepath.Join(dir, "f.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%x", sha256.Sum256(data))
	web := uniqueName(t)
	d.runD(t, "--name", web, "-p", "127.0.0.1::80", "-v", dir+":/www:ro", bb, "httpd", "-f", "-p", "80", "-h", "/www")
	addr := strings.TrimSpace(d.must(t, "port", web, "80"))
	var got string
	waitFor(t, 10e9, "published port answering", func() bool {
		body, err := httpGet("http://" + addr + "/f.bin")
		got = fmt.Sprintf("%x", sha256.Sum256([]byte(body)))
		return err == nil && len(body) == len(data)
	})
	if got != want {
		t.Fatalf("sha256 through the published port: %s, want %s", got, want)
	}
	ip := d.inspect(t, web, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
	out := d.must(t, "run", "--rm", bb, "sh", "-c", "wget -qO- http://"+ip+"/f.bin | sha256sum")
	if !strings.HasPrefix(strings.TrimSpace(out), want) {
		t.Fatalf("sha256 between containers: %q, want %s", out, want)
	}
}

// TestNetworkContainerModeSharesFiles: --network container:NAME uses the
// other container's hostname, /etc/hosts and /etc/resolv.conf, and
// refuses the options Docker refuses with it.
func TestNetworkContainerModeSharesFiles(t *testing.T) {
	d := sharedDaemon(t)
	bb := d.busybox(t)
	web := uniqueName(t)
	d.runD(t, "--name", web, "--add-host", "only-in-web:10.9.8.7", bb, "sleep", "60")
	hostname := d.inspect(t, web, "{{.Config.Hostname}}")
	out := d.must(t, "run", "--rm", "--network", "container:"+web, bb, "sh", "-c", "hostname; cat /etc/hosts /etc/resolv.conf")
	if !strings.HasPrefix(out, hostname+"\n") || !strings.Contains(out, "10.9.8.7\tonly-in-web") || !strings.Contains(out, "nameserver") {
		t.Fatalf("container:%s does not share its hostname and files:\n%s", web, out)
	}
	for _, c := range []struct{ flag, msg string }{
		{"--hostname=x", "conflicting options: hostname and the network mode"},
		{"--add-host=a:1.2.3.4", "conflicting options: custom host-to-IP mapping and the network mode"},
		{"--dns=1.1.1.1", "conflicting options: dns and the network mode"},
		{"--publish=8080:80", "conflicting options: port publishing and the container type network mode"},
		{"--expose=80", "conflicting options: port exposing and the container type network mode"},
	} {
		_, stderr, code := d.docker("run", "--rm", "--network", "container:"+web, c.flag, bb, "true")
		if code != 125 || !strings.Contains(stderr, c.msg) {
			t.Errorf("run %s with container:NAME: exit %d, stderr %q; want 125 and %q", c.flag, code, stderr, c.msg)
		}
	}
}

// TestNetworkConnectNoneContainer: as in Docker, a running --network none
// container cannot be connected while on "none", but can be disconnected
// from it and then connected: it gets its interface at once, and other
// containers reach it.
func TestNetworkConnectNoneContainer(t *testing.T) {
	d := sharedDaemon(t)
	bb := d.busybox(t)
	ctr := uniqueName(t)
	d.runD(t, "--name", ctr, "--network", "none", bb, "sleep", "60")
	_, stderr, code := d.docker("network", "connect", "bridge", ctr)
	if code == 0 || !strings.Contains(stderr, "container cannot be connected to multiple networks with one of the networks in private (none) mode") {
		t.Fatalf("connect while on none: exit %d, %q", code, stderr)
	}
	d.must(t, "network", "disconnect", "none", ctr)
	if got := d.inspect(t, ctr, "{{len .NetworkSettings.Networks}}"); got != "0" {
		t.Fatalf("networks after disconnecting none: %s", got)
	}
	d.must(t, "network", "connect", "bridge", ctr)
	ip := d.inspect(t, ctr, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
	if out := d.must(t, "exec", ctr, "ip", "-o", "-4", "addr", "show", "eth0"); ip == "" || !strings.Contains(out, "inet "+ip+"/") {
		t.Fatalf("eth0 after connect: %q, inspect says %q", out, ip)
	}
	d.must(t, "run", "--rm", bb, "ping", "-c", "1", "-W", "3", ip)
}

// TestNetworkQuickRestarts: a restart sets the network up again while the
// previous run's namespace (unpinned in the background) may still hold
// the veth of the same name.
func TestNetworkQuickRestarts(t *testing.T) {
	d := sharedDaemon(t)
	bb := d.busybox(t)
	ctr := uniqueName(t)
	d.runD(t, "--name", ctr, bb, "sleep", "60")
	ip := d.inspect(t, ctr, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
	for i := 0; i < 5; i++ {
		d.must(t, "restart", "-t", "0", ctr)
		if out := d.must(t, "exec", ctr, "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, "inet "+ip+"/") {
			t.Fatalf("restart %d: eth0 is %q, want %s", i, out, ip)
		}
	}
}
