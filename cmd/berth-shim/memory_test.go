package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/shimproto"
)

// smapsRollup returns the KiB fields of /proc/PID/smaps_rollup.
func smapsRollup(t *testing.T, pid string) map[string]int {
	out := map[string]int{}
	for _, l := range strings.Split(string(mustRead(t, "/proc/"+pid+"/smaps_rollup")), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[2] == "kB" {
			n, _ := strconv.Atoi(f[1])
			out[strings.TrimSuffix(f[0], ":")] = n
		}
	}
	return out
}

// TestShimMemory keeps the per-container cost in view: with ten shims
// running (shared pages split ten ways, as in production) it logs each
// shim's PSS/RSS/private memory and fails past a generous bound.
func TestShimMemory(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	const n = 10
	type running struct {
		dir     string
		initPid int
		shimPid string
	}
	var all []running
	defer func() {
		for _, r := range all {
			syscall.Kill(r.initPid, syscall.SIGKILL)
			shimclient.Wait(ctx, r.dir)
		}
	}()
	for i := 0; i < n; i++ {
		dir, cfg := e.container(false, "sleep", "1000")
		if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
			t.Fatal(err)
		}
		pid, err := shimclient.StartContainer(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		shimPid := strings.TrimSpace(string(mustRead(t, filepath.Join(dir, shimproto.ShimPid))))
		all = append(all, running{dir: dir, initPid: pid, shimPid: shimPid})
	}
	sum := map[string]int{}
	maxRss := 0
	for _, r := range all {
		m := smapsRollup(t, r.shimPid)
		for k, v := range m {
			sum[k] += v
		}
		maxRss = max(maxRss, m["Rss"])
	}
	avg := func(k string) int { return sum[k] / n }
	t.Logf("per shim with %d running: PSS %d KiB, RSS %d KiB, private %d KiB (clean %d, dirty %d), anon %d KiB",
		n, avg("Pss"), avg("Rss"), avg("Private_Clean")+avg("Private_Dirty"),
		avg("Private_Clean"), avg("Private_Dirty"), avg("Anonymous"))
	if os.Getenv("BERTH_SHIM_SMAPS") != "" {
		// Where one shim's memory is, mapping by mapping.
		tasks, _ := os.ReadDir("/proc/" + all[0].shimPid + "/task")
		t.Logf("threads: %d", len(tasks))
		var name, rss string
		for _, l := range strings.Split(string(mustRead(t, "/proc/"+all[0].shimPid+"/smaps")), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) >= 5 && strings.Contains(f[0], "-"):
				name = l
			case len(f) == 3 && f[0] == "Rss:":
				rss = f[1]
			case len(f) == 3 && f[0] == "Private_Dirty:" && rss != "0":
				t.Logf("%6s kB (private dirty %4s) %s", rss, f[1], name)
			}
		}
	}
	if maxRss > 6*1024 {
		t.Fatalf("shim RSS %d KiB is too large", maxRss)
	}
}
