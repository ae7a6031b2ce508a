package cgstats

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// ReadNetDev reads a /proc/<pid>/net/dev file: the counters of every
// interface in that process's network namespace except loopback (Docker
// reports the container's endpoints only). nil when there is none.
func ReadNetDev(path string) map[string]container.NetworkStats {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out map[string]container.NetworkStats
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" || strings.Contains(name, "|") {
			continue // the two header lines have '|' and no counters
		}
		fs := strings.Fields(rest)
		if len(fs) < 16 {
			continue
		}
		n := make([]uint64, 16)
		for i := range n {
			n[i], _ = strconv.ParseUint(fs[i], 10, 64)
		}
		if out == nil {
			out = map[string]container.NetworkStats{}
		}
		// Columns: rx bytes packets errs drop fifo frame compressed multicast,
		// then tx bytes packets errs drop fifo colls carrier compressed.
		out[name] = container.NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	return out
}
