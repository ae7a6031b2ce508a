package network

import (
	"net/netip"

	"github.com/berth-dev/berth/internal/errdefs"
)

// allocate picks the address for an endpoint: the requested one when it
// is free and inside the subnet, otherwise the lowest free address of the
// IP range (or subnet), skipping the network and broadcast addresses and
// the gateway. The caller saves the record, which is what makes the
// allocation durable.
func (r *Record) allocate(want netip.Addr) (netip.Addr, error) {
	used := map[netip.Addr]bool{r.Gateway: true}
	for _, ep := range r.Endpoints {
		if ep.IP.IsValid() {
			used[ep.IP] = true
		}
	}
	if want.IsValid() {
		if !r.Subnet.Contains(want) {
			return netip.Addr{}, errdefs.Invalid("no configured subnet or ip-range contain the IP address %s", want)
		}
		// The subnet's own address and (below /31) its broadcast address
		// are never given out, as dockerd's IPAM reserves them.
		if used[want] || want == r.Subnet.Masked().Addr() || (r.Subnet.Bits() < 31 && want == LastAddr(r.Subnet)) {
			return netip.Addr{}, errdefs.Conflict("Address already in use")
		}
		return want, nil
	}
	pool := r.Subnet
	if r.IPRange.IsValid() {
		pool = r.IPRange
	}
	last := LastAddr(r.Subnet)
	for a := pool.Masked().Addr().Next(); pool.Contains(a) && a != last; a = a.Next() {
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, errdefs.Unavailable("no available IPv4 addresses on this network's address pools: %s (%s)", r.Name, r.ID)
}

// LastAddr is the subnet's broadcast address.
func LastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	bits := p.Bits()
	for i := 0; i < 32-bits; i++ {
		b[3-i/8] |= 1 << (i % 8)
	}
	return netip.AddrFrom4(b)
}

// MACFor is Docker's classic MAC derived from the IPv4 address
// (02:42:a.b.c.d): stable across restarts and unique within a subnet.
func MACFor(ip netip.Addr) string {
	b := ip.As4()
	const hex = "0123456789abcdef"
	out := []byte("02:42")
	for _, x := range b {
		out = append(out, ':', hex[x>>4], hex[x&15])
	}
	return string(out)
}
