package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/cgstats"
	"github.com/berth-dev/berth/internal/container"
	apicontainer "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// statsWindow is the gap between the two samples of a non-streaming,
// non-one-shot stats request: enough to give a CPU % (docker stats
// --no-stream), short enough that 50 containers answer well under 200 ms.
// Docker waits for its 1 s collector tick instead.
const statsWindow = 100 * time.Millisecond

// cgroupReader reads the host's cgroupfs; detected on first use (not at
// package init: the CLI links this package too).
var cgroupReader = sync.OnceValue(func() cgstats.Reader { return cgstats.Detect("/sys/fs/cgroup") })

// ContainerStats reads the container's counters: once (one-shot), twice
// statsWindow apart (stream=false, so CPU % has a base), or every second.
func (d *Daemon) ContainerStats(ctx context.Context, ref string, stream, oneShot bool, emit func(*apicontainer.StatsResponse) error) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	var prev *apicontainer.StatsResponse
	if !stream && !oneShot {
		prev = d.sample(c)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(statsWindow):
		}
	}
	for {
		c.Mu.Lock()
		running, done := c.State.Running, c.Done
		c.Mu.Unlock()
		s := d.sample(c)
		if prev != nil {
			s.PreCPUStats = prev.CPUStats
			s.PreRead = prev.Read
		}
		if err := emit(s); err != nil || !stream || !running {
			return err
		}
		prev = s
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		case <-time.After(time.Second):
		}
	}
}

// sample is one reading of a container's counters (zeros when stopped).
func (d *Daemon) sample(c *container.Container) *apicontainer.StatsResponse {
	c.Mu.Lock()
	running, pid, netMode, cg := c.State.Running, c.State.Pid, c.HostConfig.NetworkMode, d.cgroupsPath(c)
	s := &apicontainer.StatsResponse{Name: c.Name, ID: c.ID, OSType: "linux", Read: time.Now()}
	c.Mu.Unlock()
	if !running {
		return s
	}
	d.readStats(cg, pid, netMode.IsHost(), readHostInfo(), s)
	return s
}

// hostInfo is what every sample needs from the host; a scrape of many
// containers reads it once.
type hostInfo struct {
	memTotal  uint64 // bytes
	cpuTotal  uint64 // ns of CPU time since boot, all CPUs
	onlineCPU uint32
}

func readHostInfo() hostInfo {
	var h hostInfo
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		h.memTotal = uint64(si.Totalram) * uint64(si.Unit)
	}
	h.cpuTotal, h.onlineCPU = cgstats.HostCPU("/proc/stat")
	return h
}

// readStats fills s from the container's cgroup and network namespace.
func (d *Daemon) readStats(cgroupsPath string, pid int, hostNet bool, host hostInfo, s *apicontainer.StatsResponse) {
	cgroupReader().Read(cgroupsPath, s)
	// An unlimited cgroup reports a huge limit (v1) or none (v2); Docker
	// shows the host's memory instead, and so does the LIMIT column.
	if s.MemoryStats.Limit == 0 || s.MemoryStats.Limit > host.memTotal {
		s.MemoryStats.Limit = host.memTotal
	}
	s.CPUStats.SystemUsage, s.CPUStats.OnlineCPUs = host.cpuTotal, host.onlineCPU
	// NumProcs stays 0: a Windows field dockerd never fills on Linux (the
	// count is PidsStats.Current).
	// With --network host the container has no interfaces of its own.
	if !hostNet && pid > 0 {
		s.Networks = cgstats.ReadNetDev(fmt.Sprintf("/proc/%d/net/dev", pid))
	}
}
