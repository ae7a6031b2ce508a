package metrics

import (
	"time"

	"github.com/berth-dev/berth/internal/monitor"
	"github.com/moby/moby/api/types/container"
	"github.com/prometheus/client_golang/prometheus"
)

var zeroTime time.Time

// containerLabels identify a container's series: the usual cAdvisor-style
// selectors (name, image) plus the compose project.
var containerLabels = []string{"id", "name", "image", "compose_project"}

func desc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, append(append([]string{}, containerLabels...), extra...), nil)
}

// containerCollector reads every container's counters at scrape time.
type containerCollector struct {
	src    monitor.Source
	events *eventCounter

	states, cpu, cpuUser, cpuSystem, cpuThrottled, memUsage, memWorkingSet, memLimit, memCache,
	netRx, netTx, netRxPackets, netTxPackets, blkRead, blkWrite, pids, restarts, oomKills, health, failing *prometheus.Desc
}

func newContainerCollector(src monitor.Source) *containerCollector {
	return &containerCollector{
		src:           src,
		states:        prometheus.NewDesc(namespace+"_containers", "Containers by state.", []string{"state"}, nil),
		cpu:           desc("container_cpu_usage_seconds_total", "CPU time consumed by the container."),
		cpuUser:       desc("container_cpu_user_seconds_total", "CPU time spent in user mode."),
		cpuSystem:     desc("container_cpu_system_seconds_total", "CPU time spent in kernel mode."),
		cpuThrottled:  desc("container_cpu_throttled_seconds_total", "Time the container was throttled by its CPU quota."),
		memUsage:      desc("container_memory_usage_bytes", "Memory usage including page cache (the cgroup's counter)."),
		memWorkingSet: desc("container_memory_working_set_bytes", "Memory usage minus inactive page cache: docker stats' MEM USAGE."),
		memLimit:      desc("container_memory_limit_bytes", "Memory limit (the host's memory when unlimited)."),
		memCache:      desc("container_memory_inactive_file_bytes", "Inactive page cache, excluded from the working set."),
		netRx:         desc("container_network_receive_bytes_total", "Bytes received.", "interface"),
		netTx:         desc("container_network_transmit_bytes_total", "Bytes transmitted.", "interface"),
		netRxPackets:  desc("container_network_receive_packets_total", "Packets received.", "interface"),
		netTxPackets:  desc("container_network_transmit_packets_total", "Packets transmitted.", "interface"),
		blkRead:       desc("container_blkio_read_bytes_total", "Bytes read from block devices."),
		blkWrite:      desc("container_blkio_write_bytes_total", "Bytes written to block devices."),
		pids:          desc("container_pids", "Processes and threads in the container."),
		restarts:      desc("container_restarts_total", "Restarts by the restart policy."),
		oomKills:      desc("container_oom_kills_total", "Times the container was killed for memory since the daemon started."),
		health:        desc("container_health_status", "1 for the container's current health status.", "status"),
		failing:       desc("container_health_failing_streak", "Consecutive failed health probes."),
	}
}

func (c *containerCollector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c *containerCollector) Collect(ch chan<- prometheus.Metric) {
	states := map[container.ContainerState]float64{}
	for _, s := range []container.ContainerState{container.StateCreated, container.StateRunning, container.StatePaused,
		container.StateRestarting, container.StateRemoving, container.StateExited, container.StateDead} {
		states[s] = 0
	}
	for _, ctr := range c.src.MonitorContainers() {
		states[ctr.State]++
		c.collectOne(ch, ctr)
	}
	for s, n := range states {
		ch <- prometheus.MustNewConstMetric(c.states, prometheus.GaugeValue, n, string(s))
	}
}

func (c *containerCollector) collectOne(ch chan<- prometheus.Metric, ctr monitor.Container) {
	lv := []string{ctr.ID, ctr.Name, ctr.Image, ctr.ComposeProject}
	counter := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append(lv, extra...)...)
	}
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(lv, extra...)...)
	}
	counter(c.restarts, float64(ctr.RestartCount))
	if c.events != nil {
		counter(c.oomKills, c.events.oomKillsOf(ctr.ID))
	}
	if ctr.Health != "" {
		gauge(c.health, 1, string(ctr.Health))
		gauge(c.failing, float64(ctr.FailingStreak))
	}
	s := ctr.Stats
	if s == nil {
		return
	}
	const ns = 1e9
	counter(c.cpu, float64(s.CPUStats.CPUUsage.TotalUsage)/ns)
	counter(c.cpuUser, float64(s.CPUStats.CPUUsage.UsageInUsermode)/ns)
	counter(c.cpuSystem, float64(s.CPUStats.CPUUsage.UsageInKernelmode)/ns)
	counter(c.cpuThrottled, float64(s.CPUStats.ThrottlingData.ThrottledTime)/ns)
	inactive := WorkingSetCache(s.MemoryStats)
	gauge(c.memUsage, float64(s.MemoryStats.Usage))
	gauge(c.memWorkingSet, float64(s.MemoryStats.Usage-inactive))
	gauge(c.memCache, float64(inactive))
	gauge(c.memLimit, float64(s.MemoryStats.Limit))
	for ifname, n := range s.Networks {
		counter(c.netRx, float64(n.RxBytes), ifname)
		counter(c.netTx, float64(n.TxBytes), ifname)
		counter(c.netRxPackets, float64(n.RxPackets), ifname)
		counter(c.netTxPackets, float64(n.TxPackets), ifname)
	}
	var rd, wr float64
	for _, b := range s.BlkioStats.IoServiceBytesRecursive {
		if b.Op == "" {
			continue
		}
		switch b.Op[0] {
		case 'r', 'R':
			rd += float64(b.Value)
		case 'w', 'W':
			wr += float64(b.Value)
		}
	}
	counter(c.blkRead, rd)
	counter(c.blkWrite, wr)
	gauge(c.pids, float64(s.PidsStats.Current))
}

// WorkingSetCache is the page cache docker stats leaves out of MEM USAGE:
// total_inactive_file (v1) or inactive_file (v2), when below usage.
func WorkingSetCache(m container.MemoryStats) uint64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return v
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return v
	}
	return 0
}
