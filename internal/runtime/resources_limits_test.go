package runtime

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
)

// withHost pretends the host is cgroup v2 (or v1 with or without swap
// accounting) for the duration of a test: the OCI resources berth writes
// are the same for both, the runtime maps them to each hierarchy's files.
func withHost(t *testing.T, v2, swap bool) {
	oldV2, oldSwap := cgroup2Unified, swapLimitSupported
	cgroup2Unified = func() bool { return v2 }
	swapLimitSupported = func() bool { return v2 || swap }
	t.Cleanup(func() { cgroup2Unified, swapLimitSupported = oldV2, oldSwap })
}

func TestResourcesSpecOnV1AndV2(t *testing.T) {
	pids := int64(50)
	r := &container.Resources{
		NanoCPUs: 5e8, CPUShares: 512, CpusetCpus: "0-1", CpusetMems: "0",
		Memory: 64 << 20, MemoryReservation: 32 << 20, PidsLimit: &pids, BlkioWeight: 300,
	}
	for _, host := range []struct {
		name     string
		v2, swap bool
		wantSwap *int64
	}{
		{"v2", true, false, ptr(int64(128 << 20))},
		{"v1+swapaccount", false, true, ptr(int64(128 << 20))},
		{"v1 without swap accounting", false, false, nil},
	} {
		t.Run(host.name, func(t *testing.T) {
			withHost(t, host.v2, host.swap)
			res, err := Resources(r)
			if err != nil {
				t.Fatal(err)
			}
			if *res.CPU.Quota != 50000 || *res.CPU.Period != 100000 || *res.CPU.Shares != 512 || res.CPU.Cpus != "0-1" || res.CPU.Mems != "0" {
				t.Errorf("cpu = %+v", res.CPU)
			}
			if *res.Memory.Limit != 64<<20 || *res.Memory.Reservation != 32<<20 {
				t.Errorf("memory = %+v", res.Memory)
			}
			if (host.wantSwap == nil) != (res.Memory.Swap == nil) || (host.wantSwap != nil && *res.Memory.Swap != *host.wantSwap) {
				t.Errorf("swap = %v, want %v", res.Memory.Swap, host.wantSwap)
			}
			if *res.Pids.Limit != 50 || *res.BlockIO.Weight != 300 {
				t.Errorf("pids %+v blkio %+v", res.Pids, res.BlockIO)
			}
		})
	}
}

func TestResourcesExplicitSwapAndUnlimited(t *testing.T) {
	withHost(t, true, true)
	res, _ := Resources(&container.Resources{Memory: 32 << 20, MemorySwap: -1})
	if *res.Memory.Swap != -1 {
		t.Fatalf("--memory-swap -1 = %d", *res.Memory.Swap)
	}
	res, _ = Resources(&container.Resources{Memory: 32 << 20, MemorySwap: 32 << 20})
	if *res.Memory.Swap != 32<<20 {
		t.Fatalf("--memory-swap = --memory gives %d", *res.Memory.Swap)
	}
	res, _ = Resources(&container.Resources{})
	if res.Memory != nil || res.CPU != nil || res.Pids != nil || res.BlockIO != nil {
		t.Fatalf("no limits must write nothing: %+v", res)
	}
}

func TestBlockIOThrottles(t *testing.T) {
	old := statDevice
	statDevice = func(p string) (int64, int64, error) {
		if p == "/dev/vdz" {
			return 254, 16, nil
		}
		return 0, 0, errors.New("no such device")
	}
	t.Cleanup(func() { statDevice = old })
	r := &container.Resources{
		BlkioWeightDevice:    []*blkiodev.WeightDevice{{Path: "/dev/vdz", Weight: 200}},
		BlkioDeviceReadBps:   []*blkiodev.ThrottleDevice{{Path: "/dev/vdz", Rate: 1 << 20}},
		BlkioDeviceWriteBps:  []*blkiodev.ThrottleDevice{{Path: "/dev/vdz", Rate: 2 << 20}},
		BlkioDeviceReadIOps:  []*blkiodev.ThrottleDevice{{Path: "/dev/vdz", Rate: 100}},
		BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{{Path: "/dev/vdz", Rate: 50}},
	}
	res, err := Resources(r)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.BlockIO)
	want := `{"weightDevice":[{"major":254,"minor":16,"weight":200}],` +
		`"throttleReadBpsDevice":[{"major":254,"minor":16,"rate":1048576}],` +
		`"throttleWriteBpsDevice":[{"major":254,"minor":16,"rate":2097152}],` +
		`"throttleReadIOPSDevice":[{"major":254,"minor":16,"rate":100}],` +
		`"throttleWriteIOPSDevice":[{"major":254,"minor":16,"rate":50}]}`
	if string(got) != want {
		t.Fatalf("blockIO =\n%s\nwant\n%s", got, want)
	}
	r.BlkioDeviceReadBps[0].Path = "/dev/missing"
	if _, err := Resources(r); err == nil {
		t.Fatal("a missing device was accepted")
	}
}
