package network

import (
	"math/big"
	"net/netip"
)

// allocate6 gives an endpoint of an IPv6 network the address whose host
// part is its IPv4 address's offset in the IPv4 subnet (…::2 for .2):
// unique because the IPv4 one is, stable across restarts, and easy to
// read next to it. An offset that hits the IPv6 gateway moves past the
// IPv4 range (offset + 2^32).
func (r *Record) allocate6(ip4 netip.Addr) netip.Addr {
	if !r.EnableIPv6 || !r.Subnet6.IsValid() || !ip4.IsValid() {
		return netip.Addr{}
	}
	v4 := ip4.As4()
	base := r.Subnet.Masked().Addr().As4()
	off := uint64(v4[0]-base[0])<<24 | uint64(v4[1]-base[1])<<16 | uint64(v4[2]-base[2])<<8 | uint64(v4[3]-base[3])
	a := addOffset(r.Subnet6.Masked().Addr(), off)
	if a == r.Gateway6 {
		a = addOffset(r.Subnet6.Masked().Addr(), off+1<<32)
	}
	if !r.Subnet6.Contains(a) {
		return netip.Addr{}
	}
	return a
}

func addOffset(a netip.Addr, off uint64) netip.Addr {
	b := a.As16()
	n := new(big.Int).SetBytes(b[:])
	n.Add(n, new(big.Int).SetUint64(off))
	out := n.FillBytes(make([]byte, 16))
	return netip.AddrFrom16([16]byte(out))
}
