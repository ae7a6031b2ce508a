package daemon

import (
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
)

const minMemory = 6 << 20 // Docker's linuxMinMemory

// validateResources refuses the limits Docker's
// verifyPlatformContainerResources refuses, with its messages. update is
// true for `docker update`, where a swap limit may come without memory.
func validateResources(r *apicontainer.Resources, oomScoreAdj int, shmSize int64, update bool) error {
	switch {
	case r.Memory != 0 && r.Memory < minMemory:
		return errdefs.Invalid("Minimum memory limit allowed is 6MB")
	case r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return errdefs.Invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	case !update && r.Memory == 0 && r.MemorySwap > 0:
		return errdefs.Invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
	case r.MemoryReservation != 0 && r.MemoryReservation < minMemory:
		return errdefs.Invalid("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation:
		return errdefs.Invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
	case r.MemorySwappiness != nil && (*r.MemorySwappiness < -1 || *r.MemorySwappiness > 100):
		return errdefs.Invalid("Invalid value: %d, valid memory swappiness range is 0-100", *r.MemorySwappiness)
	}
	if r.NanoCPUs != 0 {
		n := int64(goruntime.NumCPU())
		if r.NanoCPUs < 0 || r.NanoCPUs < 1e7 || r.NanoCPUs > n*1e9 {
			return errdefs.Invalid("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
		}
		if r.CPUPeriod > 0 {
			return errdefs.Invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set")
		}
		if r.CPUQuota > 0 {
			return errdefs.Invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
		}
	}
	if r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000) {
		return errdefs.Invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	}
	if r.CPUQuota > 0 && r.CPUQuota < 1000 {
		return errdefs.Invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	if r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return errdefs.Invalid("Range of blkio weight is from 10 to 1000")
	}
	for _, set := range []struct{ req, file, what string }{
		{r.CpusetCpus, "/sys/devices/system/cpu/online", "CPUs"},
		{r.CpusetMems, "/sys/devices/system/node/online", "Memory nodes"},
	} {
		if set.req == "" {
			continue
		}
		want, ok := parseCPUList(set.req)
		if !ok {
			return errdefs.Invalid("Invalid value %s for cpuset %s", set.req, strings.ToLower(strings.Fields(set.what)[0]))
		}
		b, err := os.ReadFile(set.file)
		if err != nil {
			continue // no NUMA information: let the runtime decide
		}
		avail, _ := parseCPUList(strings.TrimSpace(string(b)))
		for n := range want {
			if !avail[n] {
				return errdefs.Invalid("Requested %s are not available - requested %s, available: %s", set.what, set.req, strings.TrimSpace(string(b)))
			}
		}
	}
	if oomScoreAdj < -1000 || oomScoreAdj > 1000 {
		return errdefs.Invalid("Invalid value %d, range for oom score adj is [-1000, 1000]", oomScoreAdj)
	}
	if shmSize < 0 {
		return errdefs.Invalid("SHM size can not be less than 0")
	}
	return nil
}

// parseCPUList reads the kernel's list format: "0-3,5".
func parseCPUList(s string) (map[int]bool, bool) {
	out := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, false
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, false
			}
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out, true
}

// blkioRoot is the cgroup v1 blkio hierarchy (a variable for tests).
var blkioRoot = "/sys/fs/cgroup/blkio"

// dropUnsupportedBlkioWeight discards --blkio-weight(-device) where the
// container's runtime cannot apply it, with Docker's warning, rather than
// failing the start. Kernels with the BFQ scheduler (no CFQ) have only
// blkio.bfq.weight on cgroup v1: runc writes that file, crun 1.8 writes
// blkio.weight and fails ("opening file `blkio.weight` for writing").
func dropUnsupportedBlkioWeight(hc *apicontainer.HostConfig) string {
	if hc.Runtime != "crun" || (hc.BlkioWeight == 0 && len(hc.BlkioWeightDevice) == 0) {
		return ""
	}
	if _, err := os.Stat(filepath.Join(blkioRoot, "blkio.bfq.io_service_bytes")); err != nil {
		return "" // not a BFQ-only v1 hierarchy (CFQ, or cgroup v2)
	}
	if _, err := os.Stat(filepath.Join(blkioRoot, "blkio.weight")); err == nil {
		return ""
	}
	hc.BlkioWeight = 0
	hc.BlkioWeightDevice = nil
	return "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
}
