package firewall

import (
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// IPv6 lives in a table of family ip6 with the same name, present only
// while some network has IPv6: forward (the same rules as IPv4),
// masquerade for egress, and DNAT for ports published to IPv6 container
// addresses. There is no loopback DNAT: ::1 is never routed off the host
// (no route_localnet for IPv6), as with Docker's own IPv6 NAT.

func table6(name string) *nftables.Table {
	return &nftables.Table{Name: name, Family: nftables.TableFamilyIPv6}
}

// applyIPv6 adds the ip6 table's batch to c: rewritten from st, or deleted
// when no network has IPv6.
func applyIPv6(c *nftables.Conn, tableName string, st State) {
	var nets []Network
	for _, n := range st.Networks {
		if n.Subnet6.IsValid() {
			nets = append(nets, n)
		}
	}
	if len(nets) == 0 {
		if _, err := c.ListTableOfFamily(tableName, nftables.TableFamilyIPv6); err == nil {
			c.DelTable(table6(tableName))
		}
		return
	}
	t := c.AddTable(table6(tableName))
	accept := nftables.ChainPolicyAccept
	if existing, _ := c.ListChain(t, UserChain); existing == nil {
		// The host policy's place for IPv6, as in the ip table.
		c.AddChain(&nftables.Chain{Name: UserChain, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRef(-110), Policy: &accept})
	}
	chains := map[string]*nftables.Chain{
		chainPrerouting:  {Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest, Policy: &accept},
		chainOutput:      {Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest, Policy: &accept},
		chainPostrouting: {Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource, Policy: &accept},
		chainForward:     {Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept},
		chainPorts:       {},
	}
	for _, name := range []string{chainPorts, chainPrerouting, chainOutput, chainPostrouting, chainForward} {
		ch := chains[name]
		ch.Name, ch.Table = name, t
		c.AddChain(ch)
		c.FlushChain(ch)
	}
	for _, r := range rules6(nets, st.Ports) {
		c.AddRule(&nftables.Rule{Table: t, Chain: chains[r.chain], Exprs: r.exprs})
	}
}

// rules6 is the ip6 table's rule set.
func rules6(nets []Network, ports []Port) []rule {
	var out []rule
	r := func(chain string, e ...expr.Any) { out = append(out, rule{chain, e}) }
	r(chainPrerouting, append(fibLocalDaddr(), jump(chainPorts))...)
	r(chainOutput, append(fibLocalDaddr(), jump(chainPorts))...)
	for _, p := range ports {
		if !p.ContainerIP.Is6() {
			continue
		}
		var e []expr.Any
		e = append(e, l4proto(p.Proto)...)
		if p.HostIP.IsValid() && !p.HostIP.IsUnspecified() {
			e = append(e, ip6Field(24, p.HostIP)...)
		}
		e = append(e,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(p.HostPort)},
			&expr.Immediate{Register: 1, Data: p.ContainerIP.AsSlice()},
			&expr.Immediate{Register: 2, Data: be16(p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV6, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		)
		r(chainPorts, e...)
	}
	out = append(out, forwardRules(nets)...)
	for _, n := range nets {
		if !n.Internal {
			r(chainPostrouting, append(append(saddr6In(n.Subnet6), ifname(unix.NFT_META_OIFNAME, expr.CmpOpNeq, n.Bridge)...), &expr.Masq{})...)
		}
		// Hairpin: a container reaching a published port of its own network.
		r(chainPostrouting, append(append(append(ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge), saddr6In(n.Subnet6)...), ctStatusDNAT()...), &expr.Masq{})...)
	}
	return out
}

// ip6Field matches the IPv6 header's 16-byte field at offset (8 saddr, 24 daddr).
func ip6Field(offset uint32, a netip.Addr) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 16},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()},
	}
}

// saddr6In matches an IPv6 source inside p.
func saddr6In(p netip.Prefix) []expr.Any {
	mask := make([]byte, 16)
	for i := 0; i < p.Bits(); i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 8, Len: 16},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: mask, Xor: make([]byte, 16)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}

// CountRules6 is CountRules for the ip6 table (absent: an error).
func CountRules6(tableName string) (map[string]int, error) {
	return countRules(tableName, nftables.TableFamilyIPv6, table6(tableName))
}
