package firewall

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
)

// A daemon restarted with many networks (and published ports) applies
// them in one batch; every rule is echoed back, and the default socket
// buffer overflowed (ENOBUFS) so the firewall was not installed.
func TestApplyManyNetworks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (nftables)")
	}
	name := fmt.Sprintf("berth_fwtest_%d", os.Getpid())
	t.Cleanup(func() { Delete(name) })
	nports := 200
	var st State
	for i := range 40 {
		st.Networks = append(st.Networks, Network{Bridge: fmt.Sprintf("br-fwt%d", i), Subnet: netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", 200+i/200, i%200))})
	}
	for i := range nports {
		st.Ports = append(st.Ports, Port{HostPort: uint16(20000 + i), ContainerIP: netip.MustParseAddr("10.200.0.2"), ContainerPort: 80, Proto: "tcp"})
	}
	if err := Apply(name, st); err != nil {
		t.Fatal(err)
	}
	n, err := CountRules(name)
	if err != nil {
		t.Fatal(err)
	}
	if n[chainPorts] < nports {
		t.Fatalf("rules after Apply: %v", n)
	}
}
