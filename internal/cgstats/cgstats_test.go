package cgstats

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadV1(t *testing.T) {
	root := t.TempDir()
	cg := "/berth/abc"
	write(t, root, map[string]string{
		"cpuacct/berth/abc/cpuacct.usage":                           "5000000000\n",
		"cpuacct/berth/abc/cpuacct.usage_percpu":                    "3000000000 2000000000 \n",
		"cpuacct/berth/abc/cpuacct.stat":                            "user 300\nsystem 100\n",
		"cpu/berth/abc/cpu.stat":                                    "nr_periods 10\nnr_throttled 4\nthrottled_time 999\n",
		"memory/berth/abc/memory.usage_in_bytes":                    "10485760\n",
		"memory/berth/abc/memory.limit_in_bytes":                    "33554432\n",
		"memory/berth/abc/memory.max_usage_in_bytes":                "20000000\n",
		"memory/berth/abc/memory.failcnt":                           "2\n",
		"memory/berth/abc/memory.stat":                              "cache 4096\ntotal_inactive_file 2097152\nrss 8000000\n",
		"pids/berth/abc/pids.current":                               "3\n",
		"pids/berth/abc/pids.max":                                   "max\n",
		"blkio/berth/abc/blkio.io_service_bytes_recursive":          "Total 0\n",
		"blkio/berth/abc/blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\nTotal 12288\n",
		"blkio/berth/abc/blkio.throttle.io_serviced_recursive":      "8:0 Read 1\n8:0 Write 2\nTotal 3\n",
	})
	var s container.StatsResponse
	r := Detect(root)
	if r.V2 {
		t.Fatal("a tree without cgroup.controllers is v1")
	}
	r.Read(cg, &s)
	cpu := s.CPUStats.CPUUsage
	if cpu.TotalUsage != 5e9 || len(cpu.PercpuUsage) != 2 || cpu.UsageInUsermode != 3e9 || cpu.UsageInKernelmode != 1e9 {
		t.Fatalf("cpu: %+v", cpu)
	}
	if s.CPUStats.ThrottlingData.ThrottledPeriods != 4 {
		t.Fatalf("throttling: %+v", s.CPUStats.ThrottlingData)
	}
	m := s.MemoryStats
	if m.Usage != 10485760 || m.Limit != 33554432 || m.MaxUsage != 20000000 || m.Failcnt != 2 || m.Stats["total_inactive_file"] != 2097152 {
		t.Fatalf("memory: %+v", m)
	}
	if s.PidsStats.Current != 3 || s.PidsStats.Limit != 0 {
		t.Fatalf("pids: %+v", s.PidsStats)
	}
	b := s.BlkioStats.IoServiceBytesRecursive
	if len(b) != 3 || b[0] != (container.BlkioStatEntry{Major: 8, Minor: 0, Op: "Read", Value: 4096}) || b[1].Value != 8192 {
		t.Fatalf("blkio falls back to the throttle counters: %+v", b)
	}
	if len(s.BlkioStats.IoServicedRecursive) != 2 {
		t.Fatalf("serviced: %+v", s.BlkioStats.IoServicedRecursive)
	}
}

func TestReadV2(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"cgroup.controllers":       "cpu io memory pids\n",
		"berth/abc/cpu.stat":       "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 5\nnr_throttled 1\nthrottled_usec 7\n",
		"berth/abc/memory.current": "52428800\n",
		"berth/abc/memory.max":     "max\n",
		"berth/abc/memory.peak":    "60000000\n",
		"berth/abc/memory.stat":    "anon 40000000\nfile 12428800\ninactive_file 1048576\n",
		"berth/abc/memory.events":  "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n",
		"berth/abc/pids.current":   "4\n",
		"berth/abc/pids.max":       "100\n",
		"berth/abc/io.stat":        "259:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n8:16 rbytes=10 wbytes=0 rios=1 wios=0\n",
	})
	r := Detect(root)
	if !r.V2 {
		t.Fatal("cgroup.controllers at the root means v2")
	}
	var s container.StatsResponse
	r.Read("/berth/abc", &s)
	if s.CPUStats.CPUUsage.TotalUsage != 2.5e9 || s.CPUStats.CPUUsage.UsageInKernelmode != 5e8 || s.CPUStats.ThrottlingData.ThrottledTime != 7000 {
		t.Fatalf("cpu: %+v", s.CPUStats)
	}
	if m := s.MemoryStats; m.Usage != 52428800 || m.Limit != 0 || m.MaxUsage != 60000000 || m.Failcnt != 7 || m.Stats["inactive_file"] != 1048576 {
		t.Fatalf("memory: %+v", m)
	}
	if s.PidsStats != (container.PidsStats{Current: 4, Limit: 100}) {
		t.Fatalf("pids: %+v", s.PidsStats)
	}
	b := s.BlkioStats.IoServiceBytesRecursive
	want := []container.BlkioStatEntry{{Major: 259, Op: "read", Value: 1024}, {Major: 259, Op: "write", Value: 2048}, {Major: 8, Minor: 16, Op: "read", Value: 10}, {Major: 8, Minor: 16, Op: "write", Value: 0}}
	if len(b) != len(want) {
		t.Fatalf("io bytes: %+v", b)
	}
	for i := range want {
		if b[i] != want[i] {
			t.Fatalf("io bytes[%d] = %+v, want %+v", i, b[i], want[i])
		}
	}
	if len(s.BlkioStats.IoServicedRecursive) != 4 || s.BlkioStats.IoServicedRecursive[1].Value != 4 {
		t.Fatalf("io ops: %+v", s.BlkioStats.IoServicedRecursive)
	}
}

func TestReadNetDev(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dev")
	write(t, filepath.Dir(p), map[string]string{"dev": `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
  eth0: 1296      16    1    2    0     0          0         0      936      12    3    4    0     0       0          0
`})
	n := ReadNetDev(p)
	if len(n) != 1 {
		t.Fatalf("loopback must be left out: %+v", n)
	}
	want := container.NetworkStats{RxBytes: 1296, RxPackets: 16, RxErrors: 1, RxDropped: 2, TxBytes: 936, TxPackets: 12, TxErrors: 3, TxDropped: 4}
	if n["eth0"] != want {
		t.Fatalf("eth0 = %+v, want %+v", n["eth0"], want)
	}
	if ReadNetDev(filepath.Join(t.TempDir(), "missing")) != nil {
		t.Fatal("a missing file reads as no networks")
	}
}

func TestHostCPU(t *testing.T) {
	p := filepath.Join(t.TempDir(), "stat")
	write(t, filepath.Dir(p), map[string]string{"stat": "cpu  100 0 50 850 0 0 0 0 0 0\ncpu0 50 0 25 425 0 0 0 0 0 0\ncpu1 50 0 25 425 0 0 0 0 0 0\nintr 1\n"})
	total, online := HostCPU(p)
	if total != 1000*1e9/100 || online != 2 {
		t.Fatalf("total %d online %d", total, online)
	}
}
