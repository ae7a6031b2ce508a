package daemon

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/runtime"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// ContainerTop runs the host's ps and keeps the container's processes, as
// Docker does.
func (d *Daemon) ContainerTop(ctx context.Context, ref, psArgs string) (*apicontainer.TopResponse, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return nil, err
	}
	c.Mu.Lock()
	running := c.State.Running
	c.Mu.Unlock()
	if !running {
		return nil, errdefs.Conflict("container %s is not running", c.ID)
	}
	pids, err := d.runtimeFor(c).Ps(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		return nil, errdefs.Invalid("error running ps: %v", err)
	}
	return parsePs(string(out), pids)
}

func parsePs(out string, pids []int) (*apicontainer.TopResponse, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		return nil, errdefs.Invalid("ps printed nothing")
	}
	titles := strings.Fields(lines[0])
	pidCol := -1
	for i, t := range titles {
		if t == "PID" {
			pidCol = i
		}
	}
	if pidCol < 0 {
		return nil, errdefs.Invalid("Couldn't find PID field in ps output")
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	resp := &apicontainer.TopResponse{Titles: titles, Processes: [][]string{}}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) <= pidCol {
			continue
		}
		pid, err := strconv.Atoi(f[pidCol])
		if err != nil || !want[pid] {
			continue
		}
		if len(f) > len(titles) {
			f = append(f[:len(titles)-1], strings.Join(f[len(titles)-1:], " "))
		}
		resp.Processes = append(resp.Processes, f)
	}
	return resp, nil
}

// ContainerUpdate changes resources (live when running) and the restart policy.
func (d *Daemon) ContainerUpdate(ctx context.Context, ref string, upd *apicontainer.UpdateConfig) (apicontainer.UpdateResponse, error) {
	resp := apicontainer.UpdateResponse{Warnings: []string{}}
	c, err := d.containers.Get(ref)
	if err != nil {
		return resp, err
	}
	if upd == nil {
		return resp, errdefs.Invalid("update config cannot be empty")
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	hc := *c.HostConfig
	if upd.RestartPolicy.Name != "" {
		if hc.AutoRemove && upd.RestartPolicy.Name != "no" {
			return resp, errdefs.Invalid("Restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		hc.RestartPolicy = upd.RestartPolicy
		if err := validateHostConfig(&hc); err != nil {
			return resp, err
		}
	}
	mergeResources(&hc.Resources, &upd.Resources)
	if err := validateResources(&hc.Resources, hc.OomScoreAdj, hc.ShmSize, true); err != nil {
		return resp, err
	}
	if c.State.Running {
		res, err := runtime.Resources(&hc.Resources)
		if err != nil {
			return resp, err
		}
		if err := d.runtimeFor(c).Update(ctx, c.ID, res); err != nil {
			return resp, errdefs.Invalid("Cannot update container %s: %v", c.ID, err)
		}
	}
	c.HostConfig = &hc
	if err := d.containers.Save(c); err != nil {
		return resp, err
	}
	d.containerEvent(c, events.ActionUpdate, nil)
	return resp, nil
}

// mergeResources copies the fields an update sets (non-zero) onto r.
func mergeResources(r, u *apicontainer.Resources) {
	if u.CPUShares != 0 {
		r.CPUShares = u.CPUShares
	}
	if u.Memory != 0 {
		r.Memory = u.Memory
	}
	if u.MemorySwap != 0 {
		r.MemorySwap = u.MemorySwap
	}
	if u.MemoryReservation != 0 {
		r.MemoryReservation = u.MemoryReservation
	}
	if u.NanoCPUs != 0 {
		r.NanoCPUs = u.NanoCPUs
	}
	if u.CPUPeriod != 0 {
		r.CPUPeriod = u.CPUPeriod
	}
	if u.CPUQuota != 0 {
		r.CPUQuota = u.CPUQuota
	}
	if u.CpusetCpus != "" {
		r.CpusetCpus = u.CpusetCpus
	}
	if u.CpusetMems != "" {
		r.CpusetMems = u.CpusetMems
	}
	if u.PidsLimit != nil {
		r.PidsLimit = u.PidsLimit
	}
	if u.BlkioWeight != 0 {
		r.BlkioWeight = u.BlkioWeight
	}
}

// ContainerStats reads the container's cgroup counters.
func (d *Daemon) ContainerStats(ctx context.Context, ref string, stream, oneShot bool, emit func(*apicontainer.StatsResponse) error) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	var prev *apicontainer.StatsResponse
	for {
		c.Mu.Lock()
		running, done := c.State.Running, c.Done
		c.Mu.Unlock()
		s := &apicontainer.StatsResponse{Name: c.Name, ID: c.ID, Read: time.Now()}
		if running {
			d.readCgroupStats(c.ID, s)
		}
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

func (d *Daemon) readCgroupStats(id string, s *apicontainer.StatsResponse) {
	cg := d.cgroupsPath(id)
	v2 := cgroupVersion() == "2"
	read := func(ctrl, file string) (uint64, bool) {
		p := filepath.Join("/sys/fs/cgroup", ctrl, cg, file)
		if v2 {
			p = filepath.Join("/sys/fs/cgroup", cg, file)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		return v, err == nil
	}
	if v2 {
		s.MemoryStats.Usage, _ = read("", "memory.current")
		if lim, ok := read("", "memory.max"); ok {
			s.MemoryStats.Limit = lim
		}
		s.PidsStats.Current, _ = read("", "pids.current")
		s.MemoryStats.Stats = readKV(filepath.Join("/sys/fs/cgroup", cg, "memory.stat"))
		cpu := readKV(filepath.Join("/sys/fs/cgroup", cg, "cpu.stat"))
		s.CPUStats.CPUUsage.TotalUsage = cpu["usage_usec"] * 1000
		s.CPUStats.CPUUsage.UsageInUsermode = cpu["user_usec"] * 1000
		s.CPUStats.CPUUsage.UsageInKernelmode = cpu["system_usec"] * 1000
	} else {
		s.MemoryStats.Usage, _ = read("memory", "memory.usage_in_bytes")
		s.MemoryStats.Limit, _ = read("memory", "memory.limit_in_bytes")
		s.MemoryStats.MaxUsage, _ = read("memory", "memory.max_usage_in_bytes")
		s.MemoryStats.Failcnt, _ = read("memory", "memory.failcnt")
		s.MemoryStats.Stats = readKV(filepath.Join("/sys/fs/cgroup/memory", cg, "memory.stat"))
		s.CPUStats.CPUUsage.TotalUsage, _ = read("cpuacct", "cpuacct.usage")
		s.PidsStats.Current, _ = read("pids", "pids.current")
		if lim, ok := read("pids", "pids.max"); ok {
			s.PidsStats.Limit = lim
		}
	}
	// An unlimited cgroup reports a huge limit; Docker shows the host's
	// memory instead, and so does `docker stats`' LIMIT column.
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		if total := uint64(si.Totalram) * uint64(si.Unit); s.MemoryStats.Limit == 0 || s.MemoryStats.Limit > total {
			s.MemoryStats.Limit = total
		}
	}
	s.CPUStats.SystemUsage = systemCPUUsage()
	s.CPUStats.OnlineCPUs = uint32(onlineCPUs())
	s.NumProcs = uint32(s.PidsStats.Current)
}

func readKV(path string) map[string]uint64 {
	m := map[string]uint64{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// systemCPUUsage is the host's total CPU time in nanoseconds (/proc/stat),
// the denominator docker stats uses.
func systemCPUUsage() uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var total uint64
	for _, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseUint(f, 10, 64)
		total += n
	}
	return total * 1e9 / 100 // USER_HZ is 100 on Linux
}

func onlineCPUs() int {
	n := 0
	b, _ := os.ReadFile("/proc/stat")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "cpu") && len(line) > 3 && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return n
}
