package cgstats

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// userHZ is the unit of cpuacct.stat (USER_HZ is 100 on Linux).
const userHZ = 100

func (r Reader) readV1(path string, s *container.StatsResponse) {
	dir := func(ctrl string) string { return filepath.Join(r.Root, ctrl, path) }

	cpuacct := dir("cpuacct")
	s.CPUStats.CPUUsage.TotalUsage, _ = readUint(filepath.Join(cpuacct, "cpuacct.usage"))
	if b, err := os.ReadFile(filepath.Join(cpuacct, "cpuacct.usage_percpu")); err == nil {
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.ParseUint(f, 10, 64)
			s.CPUStats.CPUUsage.PercpuUsage = append(s.CPUStats.CPUUsage.PercpuUsage, n)
		}
	}
	st := readKV(filepath.Join(cpuacct, "cpuacct.stat"))
	s.CPUStats.CPUUsage.UsageInUsermode = st["user"] * 1e9 / userHZ
	s.CPUStats.CPUUsage.UsageInKernelmode = st["system"] * 1e9 / userHZ
	thr := readKV(filepath.Join(dir("cpu"), "cpu.stat"))
	s.CPUStats.ThrottlingData = container.ThrottlingData{Periods: thr["nr_periods"], ThrottledPeriods: thr["nr_throttled"], ThrottledTime: thr["throttled_time"]}

	mem := dir("memory")
	s.MemoryStats.Usage, _ = readUint(filepath.Join(mem, "memory.usage_in_bytes"))
	s.MemoryStats.MaxUsage, _ = readUint(filepath.Join(mem, "memory.max_usage_in_bytes"))
	s.MemoryStats.Failcnt, _ = readUint(filepath.Join(mem, "memory.failcnt"))
	s.MemoryStats.Limit, _ = readUint(filepath.Join(mem, "memory.limit_in_bytes"))
	s.MemoryStats.Stats = readKV(filepath.Join(mem, "memory.stat"))

	pids := dir("pids")
	s.PidsStats.Current, _ = readUint(filepath.Join(pids, "pids.current"))
	s.PidsStats.Limit, _ = readUint(filepath.Join(pids, "pids.max"))

	// As runc's libcontainer: the CFQ/BFQ counters when the scheduler keeps
	// them, else the throttle layer's (always there, whatever the scheduler).
	blkio := dir("blkio")
	bytes := readBlkio(filepath.Join(blkio, "blkio.io_service_bytes_recursive"))
	ios := readBlkio(filepath.Join(blkio, "blkio.io_serviced_recursive"))
	if len(bytes) == 0 {
		bytes = readBlkio(filepath.Join(blkio, "blkio.throttle.io_service_bytes_recursive"))
		ios = readBlkio(filepath.Join(blkio, "blkio.throttle.io_serviced_recursive"))
	}
	s.BlkioStats.IoServiceBytesRecursive = bytes
	s.BlkioStats.IoServicedRecursive = ios
}

// readBlkio parses "8:0 Read 4096" lines; the "Total" line is skipped.
func readBlkio(path string) []container.BlkioStatEntry {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []container.BlkioStatEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue
		}
		maj, min, ok := parseMajorMinor(fields[0])
		v, err := strconv.ParseUint(fields[2], 10, 64)
		if !ok || err != nil {
			continue
		}
		out = append(out, container.BlkioStatEntry{Major: maj, Minor: min, Op: fields[1], Value: v})
	}
	return out
}
