// Package firewall keeps berth's nftables table: DNAT for published ports
// (from outside, from the host including 127.0.0.1, and hairpin from
// containers), masquerade for egress, isolation between networks and no
// egress for --internal ones. Everything lives in ONE table of berth's own
// (family ip), written through netlink batches (no exec per rule).
//
// Apply rewrites berth's chains from the whole desired state in a single
// atomic batch: the same call creates, updates and, after a daemon
// restart, re-installs the rules, so there is never a duplicate and never
// a half-written rule set. The "user" chain is created once and never
// flushed: it is the host policy's place (see UserChain).
package firewall

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Network is one bridge network as the firewall sees it.
type Network struct {
	Bridge   string
	Subnet   netip.Prefix
	Subnet6  netip.Prefix // --ipv6 networks: rules in the ip6 table (ipv6.go)
	Internal bool
}

// Port is one published port: HostIP (invalid = every address)
// HostPort/Proto is forwarded to ContainerIP:ContainerPort. An IPv6
// ContainerIP makes it a rule of the ip6 table.
type Port struct {
	Proto         string // "tcp" or "udp"
	HostIP        netip.Addr
	HostPort      uint16
	ContainerIP   netip.Addr
	ContainerPort uint16
}

// State is everything berth's table must say.
type State struct {
	Networks []Network
	Ports    []Port
}

// UserChain is a base chain evaluated before berth's DNAT (prerouting,
// priority dstnat-10) whose rules berth never touches: a host policy put
// there (e.g. `nft add rule ip berth user tcp dport 8080 drop`) restricts
// published ports, which Docker's rules bypass (moby#22054).
const UserChain = "user"

// Chain names berth owns and rewrites.
const (
	chainPrerouting  = "prerouting"
	chainOutput      = "output"
	chainPostrouting = "postrouting"
	chainForward     = "forward"
	chainPorts       = "ports"
)

func table(name string) *nftables.Table {
	return &nftables.Table{Name: name, Family: nftables.TableFamilyIPv4}
}

// batchBuffer is the socket buffer size for Apply's batch. The kernel
// echoes every rule back, all queued before the first read: with the
// default (rmem_default, ~208 KiB) ten bridge networks already overflowed
// it (ENOBUFS), and many published ports made the batch itself too long
// for the send buffer (EMSGSIZE), so a daemon restarted with its networks
// and containers came up without its firewall.
const batchBuffer = 32 << 20

func bigBuffers(conn *netlink.Conn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	return raw.Control(func(fd uintptr) {
		// The FORCE variants pass net.core.[rw]mem_max (we run as root);
		// the plain ones are the fallback, capped there.
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, batchBuffer) != nil {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, batchBuffer)
		}
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, batchBuffer) != nil {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, batchBuffer)
		}
	})
}

// Apply makes the table say exactly st.
func Apply(tableName string, st State) error {
	c, err := nftables.New(nftables.WithSockOptions(bigBuffers))
	if err != nil {
		return err
	}
	t := c.AddTable(table(tableName))
	accept := nftables.ChainPolicyAccept
	prio := func(p int32) *nftables.ChainPriority { return nftables.ChainPriorityRef(nftables.ChainPriority(p)) }
	if existing, _ := c.ListChain(t, UserChain); existing == nil {
		c.AddChain(&nftables.Chain{Name: UserChain, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookPrerouting, Priority: prio(-110), Policy: &accept})
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
	add := func(chain string, exprs ...expr.Any) {
		c.AddRule(&nftables.Rule{Table: t, Chain: chains[chain], Exprs: exprs})
	}
	for _, r := range rules(st) {
		add(r.chain, r.exprs...)
	}
	applyIPv6(c, tableName, st)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: %w", tableName, err)
	}
	return nil
}

// Delete removes berth's table (clean shutdown). A missing table is fine.
func Delete(tableName string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	if _, err := c.ListTableOfFamily(tableName, nftables.TableFamilyIPv6); err == nil {
		c.DelTable(table6(tableName))
	}
	if _, err := c.ListTableOfFamily(tableName, nftables.TableFamilyIPv4); err == nil {
		c.DelTable(table(tableName))
	}
	return c.Flush()
}

// CountRules is the number of rules in each of berth's chains (tests and
// leak checks use it).
func CountRules(tableName string) (map[string]int, error) {
	return countRules(tableName, nftables.TableFamilyIPv4, table(tableName))
}

// countRules counts the rules of berth's chains in table t of one family
// (the table absent: an error).
func countRules(tableName string, family nftables.TableFamily, t *nftables.Table) (map[string]int, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, err
	}
	if _, err := c.ListTableOfFamily(tableName, family); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, name := range []string{chainPorts, chainPrerouting, chainOutput, chainPostrouting, chainForward, UserChain} {
		rs, err := c.GetRules(t, &nftables.Chain{Name: name, Table: t})
		if err != nil {
			continue
		}
		out[name] = len(rs)
	}
	return out, nil
}

type rule struct {
	chain string
	exprs []expr.Any
}

// rules is the whole rule set for st, chain by chain.
func rules(st State) []rule {
	var out []rule
	r := func(chain string, e ...expr.Any) { out = append(out, rule{chain, e}) }

	// Traffic to a local address may be a published port: DNAT it. From
	// outside (prerouting) and from the host itself, 127.0.0.1 included
	// (output).
	r(chainPrerouting, append(fibLocalDaddr(), jump(chainPorts))...)
	r(chainOutput, append(fibLocalDaddr(), jump(chainPorts))...)
	for _, p := range st.Ports {
		if p.ContainerIP.Is6() {
			continue // ip6 table
		}
		var e []expr.Any
		e = append(e, l4proto(p.Proto)...)
		if p.HostIP.IsValid() && !p.HostIP.IsUnspecified() {
			e = append(e, ipField(16, p.HostIP)...)
		}
		e = append(e,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(p.HostPort)},
			&expr.Immediate{Register: 1, Data: p.ContainerIP.AsSlice()},
			&expr.Immediate{Register: 2, Data: be16(p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		)
		r(chainPorts, e...)
	}

	out = append(out, forwardRules(st.Networks)...)
	for _, n := range st.Networks {
		// Masquerade: egress (not for --internal), and traffic DNATed into
		// the bridge from 127.0.0.1 or from a container of the same network
		// (hairpin), whose replies must come back through the host.
		if !n.Internal {
			r(chainPostrouting, append(append(saddrIn(n.Subnet), ifname(unix.NFT_META_OIFNAME, expr.CmpOpNeq, n.Bridge)...), &expr.Masq{})...)
		}
		r(chainPostrouting, append(append(ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge), saddrIn(netip.MustParsePrefix("127.0.0.0/8"))...), &expr.Masq{})...)
		r(chainPostrouting, append(append(append(ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge), saddrIn(n.Subnet)...), ctStatusDNAT()...), &expr.Masq{})...)
	}
	return out
}

// forwardRules is the forward chain, the same for IPv4 and IPv6 (it
// matches interfaces and conntrack state only): established first, then
// per network.
func forwardRules(nets []Network) []rule {
	var out []rule
	r := func(chain string, e ...expr.Any) { out = append(out, rule{chain, e}) }
	// Replies of forwarded connections: the hot path, one rule.
	r(chainForward,
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: le32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED), Xor: le32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: le32(0)},
		accept())
	for _, n := range nets {
		// Within the network: allowed.
		r(chainForward, append(append(ifname(unix.NFT_META_IIFNAME, expr.CmpOpEq, n.Bridge), ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge)...), accept())...)
		// Between berth's networks: isolated.
		for _, o := range nets {
			if o.Bridge != n.Bridge {
				r(chainForward, append(append(ifname(unix.NFT_META_IIFNAME, expr.CmpOpEq, n.Bridge), ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, o.Bridge)...), drop())...)
			}
		}
		if n.Internal {
			r(chainForward, append(ifname(unix.NFT_META_IIFNAME, expr.CmpOpEq, n.Bridge), drop())...)
			r(chainForward, append(ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge), drop())...)
			continue
		}
		r(chainForward, append(ifname(unix.NFT_META_IIFNAME, expr.CmpOpEq, n.Bridge), accept())...)
		// Into the network only what a published port let in.
		r(chainForward, append(append(ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge), ctStatusDNAT()...), accept())...)
		r(chainForward, append(ifname(unix.NFT_META_OIFNAME, expr.CmpOpEq, n.Bridge), drop())...)
	}
	return out
}
