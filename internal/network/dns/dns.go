// Package dns is berth's embedded resolver. One server listens on each
// bridge network's gateway address (UDP and TCP port 53) from the daemon's
// own network namespace: container names and aliases on user-defined
// networks resolve locally; everything else is forwarded to the
// container's --dns servers or to the host's resolvers, loopback ones like
// 127.0.0.53 included (they are reachable from the daemon's namespace,
// not from a container's). Every query gets an answer (SERVFAIL when the
// upstreams fail), so a client never waits out its own 5 s timeout.
package dns

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver is what the daemon knows about containers.
type Resolver interface {
	// Lookup returns the addresses of name as seen by the container at
	// src (names on the networks it shares with others); found is false
	// when the name is not a container's.
	Lookup(src netip.Addr, name string) (addrs []netip.Addr, found bool)
	// Upstreams are the servers ("ip:port") to forward src's other queries to.
	Upstreams(src netip.Addr) []string
}

// UpstreamTimeout bounds one forwarded query per upstream server.
const UpstreamTimeout = 2 * time.Second

// Server answers on one address.
type Server struct {
	udp, tcp *dns.Server
}

// Listen starts a resolver on addr:53 (UDP and TCP).
func Listen(addr netip.Addr, r Resolver) (*Server, error) {
	h := &handler{r: r}
	hp := netip.AddrPortFrom(addr, 53).String()
	pc, err := net.ListenPacket("udp", hp)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", hp)
	if err != nil {
		pc.Close()
		return nil, err
	}
	s := &Server{
		udp: &dns.Server{PacketConn: pc, Handler: h},
		tcp: &dns.Server{Listener: l, Handler: h},
	}
	go s.udp.ActivateAndServe()
	go s.tcp.ActivateAndServe()
	return s, nil
}

// Close stops both listeners.
func (s *Server) Close() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

type handler struct{ r Resolver }

func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	src := remoteAddr(w.RemoteAddr())
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
		if q.Qclass == dns.ClassINET && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA) {
			if addrs, found := h.r.Lookup(src, name); found {
				w.WriteMsg(localAnswer(req, q, addrs))
				return
			}
		}
	}
	w.WriteMsg(h.forward(req, src, w.RemoteAddr().Network()))
}

// localAnswer answers A with the container's IPv4 addresses and AAAA with
// its IPv6 ones (none on IPv4-only networks: NOERROR, not NXDOMAIN, the
// name exists).
func localAnswer(req *dns.Msg, q dns.Question, addrs []netip.Addr) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true // not authoritative, as dockerd's resolver answers
	for _, a := range addrs {
		if q.Qtype == dns.TypeA && a.Is4() {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 600}, A: a.AsSlice()})
		}
		if q.Qtype == dns.TypeAAAA && a.Is6() {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 600}, AAAA: a.AsSlice()})
		}
	}
	return m
}

func (h *handler) forward(req *dns.Msg, src netip.Addr, network string) *dns.Msg {
	c := &dns.Client{Net: network, Timeout: UpstreamTimeout}
	for _, up := range h.r.Upstreams(src) {
		resp, _, err := c.Exchange(req, up)
		if err == nil && resp != nil {
			return resp
		}
	}
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeServerFailure)
	return m
}

func remoteAddr(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// HostUpstreams reads the nameservers of a resolv.conf as "ip:53".
func HostUpstreams(content string) []string {
	var out []string
	for _, line := range strings.Split(content, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil {
				out = append(out, netip.AddrPortFrom(a, 53).String())
			}
		}
	}
	return out
}
