package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/network/firewall"
)

// keepIPv6Forwarding restores the host's IPv6 forwarding setting, which a
// daemon turns on when an IPv6 network comes up (as Docker does).
func keepIPv6Forwarding(t *testing.T) {
	const path = "/proc/sys/net/ipv6/conf/all/forwarding"
	before, err := os.ReadFile(path)
	if err != nil {
		t.Skip("no IPv6 on this host")
	}
	t.Cleanup(func() { os.WriteFile(path, before, 0o644) })
}

// TestNetworkIPv6: an --ipv6 network gives containers an IPv6 address and
// route; containers reach each other over IPv6 by address and by name
// (AAAA); a port published on all addresses answers on the bridge's IPv6
// gateway address too (ip6 DNAT); inspect shows the addresses; the ip6
// table has the user chain and goes with the last IPv6 network.
func TestNetworkIPv6(t *testing.T) {
	keepIPv6Forwarding(t)
	d := sharedDaemon(t)
	bb := d.busybox(t)
	subnet := netip.MustParsePrefix(fmt.Sprintf("fd42:%x:%x::/64", os.Getpid()&0xffff, len(t.Name())))
	name := uniqueName(t)
	d.must(t, "network", "create", "--ipv6", "--subnet", subnet.String(), name)
	removed := false
	t.Cleanup(func() {
		if !removed {
			d.docker("network", "rm", name)
		}
	})
	gw6 := subnet.Addr().Next()
	if got := d.must(t, "network", "inspect", "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}},{{.Gateway}} {{end}}", name); !strings.Contains(got, "true") || !strings.Contains(got, subnet.String()+","+gw6.String()) {
		t.Fatalf("network inspect: %q", got)
	}
	web := uniqueName(t)
	webServer(t, d, web, "--network", name, "-p", "80")
	ip6 := d.inspect(t, web, "{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}/{{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}}{{end}}")
	addr6, _, _ := strings.Cut(ip6, "/")
	if a, err := netip.ParseAddr(addr6); err != nil || !subnet.Contains(a) || !strings.HasSuffix(ip6, "/64 "+gw6.String()) {
		t.Fatalf("inspect IPv6 address: %q", ip6)
	}
	out := d.must(t, "run", "--rm", "--network", name, bb, "sh", "-c",
		"cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip -6 addr show eth0; ip -6 route; wget -qO- http://["+addr6+"]/; nslookup -type=AAAA "+web)
	for _, want := range []string{"0\n", "inet6 " + subnet.Addr().String(), "default via " + gw6.String(), "hello from " + web, addr6} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// --ip6 picks the address.
	fixed := subnet.Addr().As16()
	fixed[15] = 0x99
	want6 := netip.AddrFrom16(fixed).String()
	out = d.must(t, "run", "--rm", "--network", name, "--ip6", want6, bb, "ip", "-6", "addr", "show", "eth0")
	if !strings.Contains(out, "inet6 "+want6+"/64") {
		t.Errorf("--ip6 %s: %s", want6, out)
	}
	// -p 80 publishes on [::] too; the gateway address is the host's.
	ports := d.must(t, "port", web, "80")
	var port6 string
	for _, l := range strings.Split(strings.TrimSpace(ports), "\n") {
		if strings.HasPrefix(l, "[::]:") {
			port6 = strings.TrimPrefix(l, "[::]:")
		}
	}
	if port6 == "" {
		t.Fatalf("no [::] binding in port output:\n%s", ports)
	}
	waitFor(t, 5e9, "published port on the IPv6 gateway", func() bool {
		got, err := httpGet("http://[" + gw6.String() + "]:" + port6 + "/")
		return err == nil && strings.Contains(got, "hello from "+web)
	})
	if c, err := firewall.CountRules6(d.net.table); err != nil || c["ports"] != 1 || c["forward"] == 0 {
		t.Fatalf("ip6 table rules: %v %v", c, err)
	} else if _, ok := c[firewall.UserChain]; !ok {
		t.Fatalf("ip6 table has no %q chain for the host's policy: %v", firewall.UserChain, c)
	}
	d.must(t, "rm", "-f", web)
	d.must(t, "network", "rm", name)
	removed = true
	if c, err := firewall.CountRules6(d.net.table); err == nil {
		t.Fatalf("ip6 table still there without IPv6 networks: %v", c)
	}
}
