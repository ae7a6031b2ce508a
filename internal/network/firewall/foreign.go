package firewall

import (
	"bytes"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// A base chain of another table with a drop policy (dockerd and
// iptables-based firewalls set `ip filter FORWARD` to drop) drops berth's
// forwarded traffic whatever berth's own table says: in nftables every
// base chain must let a packet through. When such a chain exists, berth
// puts two plain accepts for its bridge at its top (`-i BR -j ACCEPT`,
// `-o BR -j ACCEPT` in iptables terms, so iptables-nft still reads the
// table); berth's own forward chain keeps doing the filtering.

var foreignForward = &nftables.Chain{Name: "FORWARD", Table: &nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv4}}

func foreignDropPolicy(c *nftables.Conn) bool {
	ch, err := c.ListChain(foreignForward.Table, foreignForward.Name)
	return err == nil && ch != nil && ch.Policy != nil && *ch.Policy == nftables.ChainPolicyDrop
}

// AllowBridgeInForeignForward adds the two accepts for bridge when a
// foreign FORWARD chain drops by default; present ones are kept.
func AllowBridgeInForeignForward(bridge string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	if !foreignDropPolicy(c) {
		return nil
	}
	have := foreignRules(c, bridge)
	for _, key := range []expr.MetaKey{unix.NFT_META_OIFNAME, unix.NFT_META_IIFNAME} {
		if len(have[key]) == 0 {
			c.InsertRule(&nftables.Rule{Table: foreignForward.Table, Chain: foreignForward,
				Exprs: append(ifname(key, expr.CmpOpEq, bridge), accept())})
		}
	}
	return c.Flush()
}

// RemoveBridgeFromForeignForward deletes what AllowBridgeInForeignForward added.
func RemoveBridgeFromForeignForward(bridge string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	n := 0
	for _, rs := range foreignRules(c, bridge) {
		for _, r := range rs {
			if err := c.DelRule(r); err == nil {
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	return c.Flush()
}

// foreignRules finds "iifname/oifname BR accept" rules in the foreign chain.
func foreignRules(c *nftables.Conn, bridge string) map[expr.MetaKey][]*nftables.Rule {
	out := map[expr.MetaKey][]*nftables.Rule{}
	rs, err := c.GetRules(foreignForward.Table, foreignForward)
	if err != nil {
		return out
	}
	for _, r := range rs {
		if len(r.Exprs) != 3 {
			continue
		}
		m, ok1 := r.Exprs[0].(*expr.Meta)
		cmp, ok2 := r.Exprs[1].(*expr.Cmp)
		v, ok3 := r.Exprs[2].(*expr.Verdict)
		if !ok1 || !ok2 || !ok3 || v.Kind != expr.VerdictAccept || cmp.Op != expr.CmpOpEq {
			continue
		}
		if (m.Key == unix.NFT_META_IIFNAME || m.Key == unix.NFT_META_OIFNAME) && bytes.Equal(bytes.TrimRight(cmp.Data, "\x00"), []byte(bridge)) {
			out[m.Key] = append(out[m.Key], r)
		}
	}
	return out
}
