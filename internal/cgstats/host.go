package cgstats

import (
	"os"
	"strconv"
	"strings"
)

// HostCPU reads /proc/stat once: the host's total CPU time in nanoseconds
// (the denominator of docker stats' CPU %) and the number of online CPUs.
func HostCPU(procStat string) (totalNs uint64, online uint32) {
	b, err := os.ReadFile(procStat)
	if err != nil {
		return 0, 0
	}
	for i, line := range strings.Split(string(b), "\n") {
		if i == 0 && strings.HasPrefix(line, "cpu ") {
			var ticks uint64
			for _, f := range strings.Fields(line)[1:] {
				n, _ := strconv.ParseUint(f, 10, 64)
				ticks += n
			}
			totalNs = ticks * 1e9 / userHZ
			continue
		}
		if strings.HasPrefix(line, "cpu") && len(line) > 3 && line[3] >= '0' && line[3] <= '9' {
			online++
		}
	}
	return totalNs, online
}
