package bridge

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEndpointStart times what a container start on a bridge does in
// this package, step by step: pin a fresh namespace, plug a veth pair into
// it, and (off the start path) unpin it. Root only; it makes its own
// bridge and removes it.
//
//	go test ./internal/network/bridge -run '^$' -bench EndpointStart -benchtime 50x
//
// benchSeq names namespaces and veths uniquely across the benchmark's
// runs: an unpinned namespace (with its veth) goes away asynchronously.
var benchSeq int

func BenchmarkEndpointStart(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	br := fmt.Sprintf("bbb%d", os.Getpid()%100000)
	if err := EnsureBridge(br, netip.MustParsePrefix("10.239.251.1/24"), 0); err != nil {
		b.Fatal(err)
	}
	defer DeleteBridge(br)
	dir := b.TempDir()
	defer func() { // a failed iteration's pin would keep TempDir busy
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			DeleteNetNS(filepath.Join(dir, e.Name()))
		}
	}()
	var tNS, tSetup, tDel time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchSeq++
		path := filepath.Join(dir, fmt.Sprint(benchSeq))
		t0 := time.Now()
		if err := CreateNetNS(path, false); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		ep := Endpoint{Bridge: br, HostVeth: fmt.Sprintf("vbb%d-%d", os.Getpid()%100000, benchSeq), IfName: "eth0",
			Address: netip.MustParsePrefix("10.239.251.2/24"), Gateway: netip.MustParseAddr("10.239.251.1"), MTU: 1500}
		if err := Setup(path, ep); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := DeleteNetNS(path); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		tNS += t1.Sub(t0)
		tSetup += t2.Sub(t1)
		tDel += t3.Sub(t2)
	}
	b.ReportMetric(float64(tNS.Microseconds())/float64(b.N), "netns-µs/op")
	b.ReportMetric(float64(tSetup.Microseconds())/float64(b.N), "veth-µs/op")
	b.ReportMetric(float64(tDel.Microseconds())/float64(b.N), "unpin-µs/op")
}
