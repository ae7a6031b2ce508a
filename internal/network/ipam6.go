package network

import (
	"math/big"
	"net/netip"

	"github.com/berth-dev/berth/internal/errdefs"
)

// allocate6 picks an endpoint's IPv6 address on an --ipv6 network (none
// on other networks): the requested one (--ip6) when it is free and in
// the subnet; otherwise the address whose host part is the IPv4 address's
// offset in the IPv4 subnet (…::2 beside .2), stable across restarts and
// easy to read next to it. A derived address that is taken (the gateway,
// an --ip6 of another endpoint) moves up by 2^32, past every IPv4 offset.
func (r *Record) allocate6(want, ip4 netip.Addr) (netip.Addr, error) {
	if !r.EnableIPv6 || !r.Subnet6.IsValid() {
		if want.IsValid() {
			return netip.Addr{}, errdefs.Invalid("no configured subnet or ip-range contain the IP address %s", want)
		}
		return netip.Addr{}, nil
	}
	used := map[netip.Addr]bool{r.Gateway6: true}
	for _, ep := range r.Endpoints {
		if ep.IP6.IsValid() {
			used[ep.IP6] = true
		}
	}
	if want.IsValid() {
		if !r.Subnet6.Contains(want) {
			return netip.Addr{}, errdefs.Invalid("no configured subnet or ip-range contain the IP address %s", want)
		}
		if used[want] {
			return netip.Addr{}, errdefs.Conflict("Address already in use")
		}
		return want, nil
	}
	if !ip4.IsValid() {
		return netip.Addr{}, nil
	}
	v4 := ip4.As4()
	base := r.Subnet.Masked().Addr().As4()
	off := uint64(v4[0]-base[0])<<24 | uint64(v4[1]-base[1])<<16 | uint64(v4[2]-base[2])<<8 | uint64(v4[3]-base[3])
	for step := uint64(0); step < 16; step++ {
		a := addOffset(r.Subnet6.Masked().Addr(), off+step<<32)
		if !r.Subnet6.Contains(a) {
			break
		}
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, errdefs.Unavailable("no available IPv6 addresses on this network's address pools: %s (%s)", r.Name, r.ID)
}

func addOffset(a netip.Addr, off uint64) netip.Addr {
	b := a.As16()
	n := new(big.Int).SetBytes(b[:])
	n.Add(n, new(big.Int).SetUint64(off))
	out := n.FillBytes(make([]byte, 16))
	return netip.AddrFrom16([16]byte(out))
}
