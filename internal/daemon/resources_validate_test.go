package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
)

func TestValidateResources(t *testing.T) {
	ok := []apicontainer.Resources{
		{},
		{Memory: 32 << 20, MemorySwap: -1},
		{Memory: 32 << 20, MemorySwap: 64 << 20, MemoryReservation: 16 << 20},
		{NanoCPUs: 5e8},
		{CPUPeriod: 50000, CPUQuota: 25000},
		{CpusetCpus: "0"},
	}
	for _, r := range ok {
		if err := validateResources(&r, 0, 0, false); err != nil {
			t.Errorf("%+v refused: %v", r, err)
		}
	}
	bad := []struct {
		r    apicontainer.Resources
		oom  int
		want string
	}{
		{apicontainer.Resources{Memory: 1 << 20}, 0, "Minimum memory limit allowed is 6MB"},
		{apicontainer.Resources{Memory: 64 << 20, MemorySwap: 32 << 20}, 0, "Minimum memoryswap limit should be larger than memory limit"},
		{apicontainer.Resources{MemorySwap: 32 << 20}, 0, "You should always set the Memory limit when using Memoryswap limit"},
		{apicontainer.Resources{Memory: 16 << 20, MemoryReservation: 32 << 20}, 0, "Minimum memory limit can not be less than memory reservation limit"},
		{apicontainer.Resources{NanoCPUs: 1e15}, 0, "Range of CPUs is from 0.01 to"},
		{apicontainer.Resources{NanoCPUs: 5e8, CPUQuota: 50000}, 0, "Nano CPUs and CPU Quota cannot both be set"},
		{apicontainer.Resources{CPUPeriod: 10}, 0, "CPU cfs period can not be less than 1ms"},
		{apicontainer.Resources{BlkioWeight: 5}, 0, "Range of blkio weight is from 10 to 1000"},
		{apicontainer.Resources{CpusetCpus: "9999"}, 0, "Requested CPUs are not available - requested 9999"},
		{apicontainer.Resources{CpusetCpus: "x-y"}, 0, "Invalid value x-y for cpuset cpus"},
		{apicontainer.Resources{}, -1001, "range for oom score adj is [-1000, 1000]"},
	}
	for _, c := range bad {
		err := validateResources(&c.r, c.oom, 0, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.r, err, c.want)
		}
	}
	// update may set swap alone.
	if err := validateResources(&apicontainer.Resources{MemorySwap: 64 << 20}, 0, 0, true); err != nil {
		t.Errorf("update with swap only: %v", err)
	}
}

func TestDropUnsupportedBlkioWeight(t *testing.T) {
	root := t.TempDir()
	defer func(old string) { blkioRoot = old }(blkioRoot)
	blkioRoot = root
	if err := os.WriteFile(filepath.Join(root, "blkio.bfq.io_service_bytes"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	hc := &apicontainer.HostConfig{Runtime: "crun"}
	hc.BlkioWeight = 300
	if w := dropUnsupportedBlkioWeight(hc); w == "" || hc.BlkioWeight != 0 {
		t.Fatalf("crun on a BFQ-only hierarchy: warning %q, weight %d", w, hc.BlkioWeight)
	}
	hc = &apicontainer.HostConfig{Runtime: "runc"}
	hc.BlkioWeight = 300
	if w := dropUnsupportedBlkioWeight(hc); w != "" || hc.BlkioWeight != 300 {
		t.Fatalf("runc writes blkio.bfq.weight itself: warning %q, weight %d", w, hc.BlkioWeight)
	}
	if err := os.WriteFile(filepath.Join(root, "blkio.weight"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	hc = &apicontainer.HostConfig{Runtime: "crun"}
	hc.BlkioWeight = 300
	if w := dropUnsupportedBlkioWeight(hc); w != "" || hc.BlkioWeight != 300 {
		t.Fatalf("crun with blkio.weight: warning %q, weight %d", w, hc.BlkioWeight)
	}
}
