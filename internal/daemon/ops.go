package daemon

import (
	"context"
	"errors"
	"fmt"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/runtime"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
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
		// dockerd's answer: a 500 with the first line ps wrote on stderr.
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if line, _, _ := strings.Cut(string(ee.Stderr), "\n"); line != "" {
				return nil, fmt.Errorf("ps: %s", line)
			}
		}
		return nil, fmt.Errorf("ps: %w", err)
	}
	top, err := parsePs(string(out), pids)
	if err == nil {
		d.containerEvent(c, events.ActionTop, nil)
	}
	return top, err
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
	if msg := updateConflict(&hc.Resources, &upd.Resources); msg != "" {
		return resp, errdefs.Invalid("Cannot update container %s: %s", c.ID, msg)
	}
	mergeResources(&hc.Resources, &upd.Resources)
	if w := dropUnsupportedBlkioWeight(&hc); w != "" {
		resp.Warnings = append(resp.Warnings, w)
	}
	if err := validateResources(&hc.Resources, hc.OomScoreAdj, hc.ShmSize, true); err != nil {
		return resp, err
	}
	if c.State.Running {
		res, err := runtime.Resources(&hc.Resources)
		if err != nil {
			return resp, err
		}
		unlimitPids := upd.Resources.PidsLimit != nil && *upd.Resources.PidsLimit <= 0
		rt := d.runtimeFor(c)
		if unlimitPids && rt.Name == "runc" {
			// Back to unlimited: a spec without a pids limit would leave the
			// old one in place; runc writes "max" for -1.
			unlimited := int64(-1)
			res.Pids = &specs.LinuxPids{Limit: &unlimited}
		}
		if err := rt.Update(ctx, c.ID, res); err != nil {
			return resp, errdefs.Invalid("Cannot update container %s: %v", c.ID, err)
		}
		if unlimitPids && rt.Name != "runc" {
			// crun (1.8) has no way to write "max" through update (0 is
			// "unchanged", -1 is refused by the kernel): write it ourselves.
			if err := os.WriteFile(filepath.Join(d.cgroupPidsDir(c), "pids.max"), []byte("max"), 0o644); err != nil {
				return resp, errdefs.Invalid("Cannot update container %s: %v", c.ID, err)
			}
		}
	}
	if hc.PidsLimit != nil && *hc.PidsLimit <= 0 {
		zero := int64(0) // unlimited, recorded as dockerd records it
		hc.PidsLimit = &zero
	}
	c.HostConfig = &hc
	if err := d.containers.Save(c); err != nil {
		return resp, err
	}
	d.containerEvent(c, events.ActionUpdate, nil)
	return resp, nil
}

// updateConflict is dockerd's refusal of an update that clashes with a
// limit already set and left as it is ("" when there is none).
func updateConflict(cur, upd *apicontainer.Resources) string {
	switch {
	case upd.Memory != 0 && upd.MemorySwap == 0 && cur.MemorySwap > 0 && upd.Memory > cur.MemorySwap:
		return "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
	case upd.CPUQuota != 0 && upd.NanoCPUs == 0 && cur.NanoCPUs != 0:
		return "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"
	case upd.CPUPeriod != 0 && upd.NanoCPUs == 0 && cur.NanoCPUs != 0:
		return "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set"
	case upd.NanoCPUs != 0 && upd.CPUQuota == 0 && cur.CPUQuota > 0:
		return "Conflicting options: NanoCPUs cannot be updated as CPU Quota has already been set"
	case upd.NanoCPUs != 0 && upd.CPUPeriod == 0 && cur.CPUPeriod > 0:
		return "Conflicting options: NanoCPUs cannot be updated as CPU Period has already been set"
	}
	return ""
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
