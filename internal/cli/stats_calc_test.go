package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestStatsEntryMatchesDockerCalculation(t *testing.T) {
	s := &container.StatsResponse{Name: "/web", ID: "0123456789abcdef0123"}
	s.CPUStats.CPUUsage.TotalUsage = 3e9
	s.CPUStats.SystemUsage = 20e9
	s.CPUStats.OnlineCPUs = 2
	s.PreCPUStats.CPUUsage.TotalUsage = 2e9
	s.PreCPUStats.SystemUsage = 10e9
	s.MemoryStats = container.MemoryStats{Usage: 100 << 20, Limit: 400 << 20, Stats: map[string]uint64{"total_inactive_file": 20 << 20}}
	s.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: 1500, TxBytes: 500}, "eth1": {RxBytes: 500}}
	s.BlkioStats.IoServiceBytesRecursive = []container.BlkioStatEntry{{Op: "Read", Value: 4096}, {Op: "write", Value: 1 << 20}, {Op: "Total", Value: 1}}
	s.PidsStats.Current = 7
	e := newStatsEntry("web", s)
	e.trunc = true
	// (1e9 / 10e9) * 2 CPUs * 100
	if got := e.CPUPerc(); got != "20.00%" {
		t.Errorf("CPU %% = %s", got)
	}
	if got := e.MemUsage(); got != "80MiB / 400MiB" {
		t.Errorf("mem usage = %s (cache must be subtracted)", got)
	}
	if got := e.MemPerc(); got != "20.00%" {
		t.Errorf("mem %% = %s", got)
	}
	if got := e.NetIO(); got != "2kB / 500B" {
		t.Errorf("net = %s", got)
	}
	if got := e.BlockIO(); got != "4.1kB / 1.05MB" {
		t.Errorf("block = %s", got)
	}
	var out bytes.Buffer
	if err := writeFormatted(&out, defaultStatsFormat, statsHeaders, []any{&e}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O      BLOCK I/O        PIDS") {
		t.Errorf("header: %q", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "0123456789ab" || f[1] != "web" || f[len(f)-1] != "7" {
		t.Errorf("row: %q", lines[1])
	}
}

func TestMemUsageV2AndNoSamples(t *testing.T) {
	if got := memUsageNoCache(container.MemoryStats{Usage: 1000, Stats: map[string]uint64{"inactive_file": 300}}); got != 700 {
		t.Errorf("v2 inactive_file: %v", got)
	}
	if got := cpuPercent(&container.StatsResponse{}); got != 0 {
		t.Errorf("no delta must be 0%%: %v", got)
	}
	e := statsEntry{invalid: true}
	if e.CPUPerc() != "--" || e.MemUsage() != "-- / --" {
		t.Error("a container without stats shows --")
	}
}

func TestStatsJSONKeysAsDocker(t *testing.T) {
	e := newStatsEntry("web", &container.StatsResponse{Name: "/web", ID: "abc"})
	var out bytes.Buffer
	if err := writeFormatted(&out, "json", statsHeaders, []any{&e}); err != nil {
		t.Fatal(err)
	}
	want := `{"BlockIO":"0B / 0B","CPUPerc":"0.00%","Container":"web","ID":"abc","MemPerc":"0.00%","MemUsage":"0B / 0B","Name":"web","NetIO":"0B / 0B","PIDs":"0"}`
	if got := strings.TrimSpace(out.String()); got != want {
		t.Fatalf("json:\n%s\nwant\n%s", got, want)
	}
}
