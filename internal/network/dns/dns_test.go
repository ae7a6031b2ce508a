package dns

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

type fakeResolver struct {
	names     map[string][]netip.Addr
	upstreams []string
}

func (f *fakeResolver) Lookup(src netip.Addr, name string) ([]netip.Addr, bool) {
	a, ok := f.names[name]
	return a, ok
}
func (f *fakeResolver) Upstreams(netip.Addr) []string { return f.upstreams }

func TestLocalNamesAndForwarding(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	// An "upstream" on another loopback address that knows one name.
	up := dns.NewServeMux()
	up.HandleFunc("example.test.", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "example.test.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: []byte{192, 0, 2, 7}})
		w.WriteMsg(m)
	})
	upSrv := &dns.Server{Addr: "127.0.0.2:53", Net: "udp", Handler: up}
	started := make(chan struct{})
	upSrv.NotifyStartedFunc = func() { close(started) }
	go upSrv.ListenAndServe()
	<-started
	defer upSrv.Shutdown()

	s, err := Listen(lo, &fakeResolver{
		names:     map[string][]netip.Addr{"web": {netip.MustParseAddr("10.9.0.2")}},
		upstreams: []string{"127.0.0.2:53"},
	})
	if err != nil {
		t.Skip("cannot listen on 127.0.0.1:53 (in use or not root): ", err)
	}
	defer s.Close()
	c := new(dns.Client)
	ask := func(name string, qt uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qt)
		r, _, err := c.Exchange(m, "127.0.0.1:53")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := ask("web.", dns.TypeA); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "10.9.0.2" {
		t.Fatalf("local name: %v", r)
	}
	if r := ask("WEB.", dns.TypeAAAA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("AAAA of a container name must be an empty NOERROR: %v", r)
	}
	if r := ask("example.test.", dns.TypeA); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.7" {
		t.Fatalf("forwarded name: %v", r)
	}
}

func TestHostUpstreams(t *testing.T) {
	got := HostUpstreams("# c\nnameserver 127.0.0.53\nsearch x\nnameserver ::1\n")
	if len(got) != 2 || got[0] != "127.0.0.53:53" || got[1] != "[::1]:53" {
		t.Fatal(got)
	}
}
