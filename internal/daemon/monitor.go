package daemon

import (
	"strings"

	"github.com/berth-dev/berth/internal/monitor"
	apicontainer "github.com/moby/moby/api/types/container"
)

// MonitorContainers implements monitor.Source: each container's record
// and, for running ones, its cgroup and network counters read right now
// (nothing is polled in the background).
func (d *Daemon) MonitorContainers() []monitor.Container {
	list := d.containers.List()
	out := make([]monitor.Container, 0, len(list))
	host := readHostInfo()
	for _, c := range list {
		c.Mu.Lock()
		m := monitor.Container{
			ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Image: c.Config.Image,
			ComposeProject: c.Config.Labels[monitor.ComposeProjectLabel],
			State:          c.Status(), RestartCount: c.RestartCount,
		}
		if h := c.State.Health; h != nil {
			m.Health, m.FailingStreak = h.Status, h.FailingStreak
		}
		running, pid, hostNet := c.State.Running, c.State.Pid, c.HostConfig.NetworkMode.IsHost()
		c.Mu.Unlock()
		if running {
			s := &apicontainer.StatsResponse{ID: c.ID, Name: c.Name}
			d.readStats(c.ID, pid, hostNet, host, s)
			m.Stats = s
		}
		out = append(out, m)
	}
	return out
}
