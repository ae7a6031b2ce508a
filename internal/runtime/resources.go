package runtime

import (
	"os"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Resources maps Docker's resource settings to the OCI form (Docker's
// WithResources); the daemon also uses it for `update --resources`.
// MemorySwap defaults to twice Memory, as Docker's create does, when the host
// can limit swap.
func Resources(r *container.Resources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}

	mem := &specs.LinuxMemory{}
	if r.Memory > 0 {
		mem.Limit = ptr(r.Memory)
	}
	if r.MemoryReservation > 0 {
		mem.Reservation = ptr(r.MemoryReservation)
	}
	if swapLimitSupported() {
		switch {
		case r.MemorySwap != 0:
			mem.Swap = ptr(r.MemorySwap)
		case r.Memory > 0:
			mem.Swap = ptr(2 * r.Memory)
		}
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness >= 0 {
		mem.Swappiness = ptr(uint64(*r.MemorySwappiness))
	}
	if r.OomKillDisable != nil {
		mem.DisableOOMKiller = ptr(*r.OomKillDisable)
	}
	if *mem != (specs.LinuxMemory{}) {
		out.Memory = mem
	}

	cpu := &specs.LinuxCPU{}
	if r.CPUShares < 0 {
		return nil, errdefs.Invalid("shares: invalid argument")
	}
	if r.CPUShares != 0 {
		cpu.Shares = ptr(uint64(r.CPUShares))
	}
	cpu.Cpus, cpu.Mems = r.CpusetCpus, r.CpusetMems
	if r.NanoCPUs > 0 {
		// Docker: a 100ms period and the quota that gives NanoCPUs/1e9 CPUs.
		const period = 100000
		cpu.Period = ptr(uint64(period))
		cpu.Quota = ptr(r.NanoCPUs * period / 1e9)
	}
	if r.CPUPeriod != 0 {
		cpu.Period = ptr(uint64(r.CPUPeriod))
	}
	if r.CPUQuota != 0 {
		cpu.Quota = ptr(r.CPUQuota)
	}
	if r.CPURealtimePeriod != 0 {
		cpu.RealtimePeriod = ptr(uint64(r.CPURealtimePeriod))
	}
	if r.CPURealtimeRuntime != 0 {
		cpu.RealtimeRuntime = ptr(r.CPURealtimeRuntime)
	}
	if cpu.Shares != nil || cpu.Cpus != "" || cpu.Mems != "" || cpu.Period != nil || cpu.Quota != nil ||
		cpu.RealtimePeriod != nil || cpu.RealtimeRuntime != nil {
		out.CPU = cpu
	}

	// 0 and negative mean "unlimited" in Docker's API. Unlimited is the
	// cgroup's default, so nothing is written: crun 1.8 fails writing -1.
	if r.PidsLimit != nil && *r.PidsLimit > 0 {
		out.Pids = &specs.LinuxPids{Limit: ptr(*r.PidsLimit)}
	}
	bio, err := blockIO(r)
	if err != nil {
		return nil, err
	}
	out.BlockIO = bio
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// swapLimitSupported: on cgroup v1 the memsw files exist only with swap
// accounting on, and the runtime fails if asked for a swap limit without it.
var swapLimitSupported = sync.OnceValue(func() bool {
	if cgroup2Unified() {
		return true
	}
	_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
	return err == nil
})

// cgroup2Unified reports a pure cgroup v2 host.
var cgroup2Unified = sync.OnceValue(func() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
})

// rlimits maps --ulimit. With none given the container inherits the
// daemon's limits, as Docker does without daemon-wide default-ulimits; we
// never invent defaults (a nofile above the daemon's hard limit fails when
// the daemon lacks CAP_SYS_RESOURCE).
func rlimits(ulimits []*container.Ulimit) []specs.POSIXRlimit {
	var out []specs.POSIXRlimit
	for _, u := range ulimits {
		if u == nil {
			continue
		}
		out = append(out, specs.POSIXRlimit{
			Type: "RLIMIT_" + strings.ToUpper(u.Name),
			Soft: uint64(u.Soft),
			Hard: uint64(u.Hard),
		})
	}
	return out
}
