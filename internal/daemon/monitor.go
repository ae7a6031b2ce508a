package daemon

import (
	"runtime"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/monitor"
	apicontainer "github.com/moby/moby/api/types/container"
)

// MonitorContainers implements monitor.Source: each container's record
// and, for running ones, its cgroup and network counters read right now
// (nothing is polled in the background). The reads are spread over one
// worker per CPU: a scrape of 100 containers is mostly cgroupfs reads.
func (d *Daemon) MonitorContainers() []monitor.Container {
	list := d.containers.List()
	out := make([]monitor.Container, len(list))
	host := readHostInfo()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(list)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = d.monitorOne(list[i], host)
			}
		}()
	}
	for i := range list {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (d *Daemon) monitorOne(c *container.Container, host hostInfo) monitor.Container {
	c.Mu.Lock()
	m := monitor.Container{
		ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Image: c.Config.Image,
		ComposeProject: c.Config.Labels[monitor.ComposeProjectLabel],
		State:          c.Status(), RestartCount: c.RestartCount,
	}
	if h := c.State.Health; h != nil {
		m.Health, m.FailingStreak = h.Status, h.FailingStreak
	}
	running, pid, hostNet, cg := c.State.Running, c.State.Pid, c.HostConfig.NetworkMode.IsHost(), d.cgroupsPath(c)
	c.Mu.Unlock()
	if running {
		s := &apicontainer.StatsResponse{ID: c.ID, Name: c.Name}
		d.readStats(cg, pid, hostNet, host, s)
		m.Stats = s
	}
	return m
}
