package cgstats

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

func (r Reader) readV2(dir string, s *container.StatsResponse) {
	cpu := readKV(filepath.Join(dir, "cpu.stat"))
	s.CPUStats.CPUUsage.TotalUsage = cpu["usage_usec"] * 1000
	s.CPUStats.CPUUsage.UsageInUsermode = cpu["user_usec"] * 1000
	s.CPUStats.CPUUsage.UsageInKernelmode = cpu["system_usec"] * 1000
	s.CPUStats.ThrottlingData = container.ThrottlingData{Periods: cpu["nr_periods"], ThrottledPeriods: cpu["nr_throttled"], ThrottledTime: cpu["throttled_usec"] * 1000}

	s.MemoryStats.Usage, _ = readUint(filepath.Join(dir, "memory.current"))
	s.MemoryStats.MaxUsage, _ = readUint(filepath.Join(dir, "memory.peak"))
	s.MemoryStats.Limit, _ = readUint(filepath.Join(dir, "memory.max")) // "max" → 0
	s.MemoryStats.Stats = readKV(filepath.Join(dir, "memory.stat"))
	if ev := readKV(filepath.Join(dir, "memory.events")); len(ev) > 0 {
		s.MemoryStats.Failcnt = ev["max"]
	}

	s.PidsStats.Current, _ = readUint(filepath.Join(dir, "pids.current"))
	s.PidsStats.Limit, _ = readUint(filepath.Join(dir, "pids.max"))

	s.BlkioStats.IoServiceBytesRecursive, s.BlkioStats.IoServicedRecursive = readIOStat(filepath.Join(dir, "io.stat"))
}

// readIOStat turns io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...")
// into the v1-shaped entries the API carries, with Docker's lowercase ops.
func readIOStat(path string) (bytes, ios []container.BlkioStatEntry) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		maj, min, ok := parseMajorMinor(fields[0])
		if !ok {
			continue
		}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			e := container.BlkioStatEntry{Major: maj, Minor: min, Value: n}
			switch k {
			case "rbytes":
				e.Op = "read"
				bytes = append(bytes, e)
			case "wbytes":
				e.Op = "write"
				bytes = append(bytes, e)
			case "rios":
				e.Op = "read"
				ios = append(ios, e)
			case "wios":
				e.Op = "write"
				ios = append(ios, e)
			}
		}
	}
	return bytes, ios
}
