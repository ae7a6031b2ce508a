package cli

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// statsEntry is one container's row of `stats`, computed the way the
// docker CLI computes it so both show the same numbers.
type statsEntry struct {
	container   string // what the user named (or the ID)
	name, id    string
	cpuPercent  float64
	memory      float64
	memoryLimit float64
	memPercent  float64
	netRx       float64
	netTx       float64
	blockRead   float64
	blockWrite  float64
	pids        uint64
	trunc       bool
	invalid     bool
}

// newStatsEntry computes a row from one StatsResponse.
func newStatsEntry(ref string, s *container.StatsResponse) statsEntry {
	e := statsEntry{container: ref, name: strings.TrimPrefix(s.Name, "/"), id: s.ID}
	e.cpuPercent = cpuPercent(s)
	e.memory = memUsageNoCache(s.MemoryStats)
	e.memoryLimit = float64(s.MemoryStats.Limit)
	if e.memoryLimit != 0 {
		e.memPercent = e.memory / e.memoryLimit * 100
	}
	for _, n := range s.Networks {
		e.netRx += float64(n.RxBytes)
		e.netTx += float64(n.TxBytes)
	}
	for _, b := range s.BlkioStats.IoServiceBytesRecursive {
		if b.Op == "" {
			continue
		}
		switch b.Op[0] {
		case 'r', 'R':
			e.blockRead += float64(b.Value)
		case 'w', 'W':
			e.blockWrite += float64(b.Value)
		}
	}
	e.pids = s.PidsStats.Current
	return e
}

// cpuPercent is docker's: the container's share of the host's CPU time
// between the previous and this sample, times the online CPUs.
func cpuPercent(s *container.StatsResponse) float64 {
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	online := float64(s.CPUStats.OnlineCPUs)
	if online == 0 {
		online = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if sysDelta > 0 && cpuDelta > 0 {
		return cpuDelta / sysDelta * online * 100
	}
	return 0
}

// memUsageNoCache subtracts the inactive page cache as docker does
// (total_inactive_file on cgroup v1, inactive_file on v2).
func memUsageNoCache(m container.MemoryStats) float64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return float64(m.Usage - v)
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return float64(m.Usage - v)
	}
	return float64(m.Usage)
}

var statsHeaders = map[string]string{
	"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
	"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

const defaultStatsFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// The formatter's fields, with docker's names and renderings.
func (e *statsEntry) Container() string { return e.container }
func (e *statsEntry) Name() string {
	if e.name == "" {
		return "--"
	}
	return e.name
}
func (e *statsEntry) ID() string {
	if e.trunc {
		return truncateID(e.id)
	}
	return e.id
}
func (e *statsEntry) CPUPerc() string {
	if e.invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", e.cpuPercent)
}
func (e *statsEntry) MemUsage() string {
	if e.invalid {
		return "-- / --"
	}
	return units.BytesSize(e.memory) + " / " + units.BytesSize(e.memoryLimit)
}
func (e *statsEntry) MemPerc() string {
	if e.invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", e.memPercent)
}
func (e *statsEntry) NetIO() string {
	if e.invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(e.netRx, 3) + " / " + units.HumanSizeWithPrecision(e.netTx, 3)
}
func (e *statsEntry) BlockIO() string {
	if e.invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(e.blockRead, 3) + " / " + units.HumanSizeWithPrecision(e.blockWrite, 3)
}
func (e *statsEntry) PIDs() string {
	if e.invalid {
		return "--"
	}
	return fmt.Sprintf("%d", e.pids)
}
