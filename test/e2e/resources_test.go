package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cgroupFile reads a v1 controller file of a berth container (cgroups
// path /berth/<id>, see daemon.cgroupsPath).
func cgroupFile(t testing.TB, controller, id, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, "berth", id, file))
	if err != nil {
		t.Fatalf("read cgroup file: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// requireCgroupV1 skips tests that read cgroup v1 files on a v2-only host.
func requireCgroupV1(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		t.Skip("these checks read cgroup v1 files; v2 is covered by unit tests (internal/runtime spec, cgstats)")
	}
}

func TestResourceLimitsReachTheCgroup(t *testing.T) {
	d := sharedDaemon(t)
	requireCgroupV1(t)
	t.Parallel()
	name := uniqueName(t)
	run := d.dk("run", "-d", "--name", name,
		"--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
		"-m", "64m", "--memory-swap", "128m", "--memory-reservation", "32m",
		"--pids-limit", "50", "--blkio-weight", "300",
		"--device-read-bps", "/dev/vda:1mb", "--device-write-iops", "/dev/vda:100",
		"--shm-size", "16m", "--oom-score-adj", "300",
		"busybox", "sleep", "300")
	if run.Code != 0 {
		t.Fatalf("docker run: %s", run)
	}
	id := strings.TrimSpace(run.Stdout)
	d.rmOnCleanup(t, id)
	// crun 1.8 writes blkio.weight, which a BFQ-only kernel does not have:
	// the daemon discards the weight with Docker's warning instead.
	_, cfqErr := os.Stat("/sys/fs/cgroup/blkio/blkio.weight")
	weightDropped := runtimeBin == "crun" && cfqErr != nil
	if weightDropped != strings.Contains(run.Stderr, "Weight discarded") {
		t.Errorf("blkio weight warning (expected %v): %s", weightDropped, run.Stderr)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.shares", "512"},
		{"cpuset", "cpuset.cpus", "0"},
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"memory", "memory.memsw.limit_in_bytes", "134217728"},
		{"memory", "memory.soft_limit_in_bytes", "33554432"},
		{"pids", "pids.max", "50"},
		{"blkio", "blkio.bfq.weight", "300"},
		{"blkio", "blkio.throttle.read_bps_device", "254:0 1048576"},
		{"blkio", "blkio.throttle.write_iops_device", "254:0 100"},
	} {
		if _, err := os.Stat("/dev/vda"); err != nil && strings.Contains(c.file, "throttle") {
			continue
		}
		if weightDropped && c.file == "blkio.bfq.weight" {
			continue
		}
		got := cgroupFile(t, c.ctrl, id, c.file)
		if c.file == "blkio.bfq.weight" {
			got = strings.TrimPrefix(got, "default ")
		}
		if got != c.want {
			t.Errorf("%s/%s = %q, want %q", c.ctrl, c.file, got, c.want)
		}
	}
	pid := d.inspect(t, name, "{{.State.Pid}}")
	if b, _ := os.ReadFile("/proc/" + pid + "/oom_score_adj"); strings.TrimSpace(string(b)) != "300" {
		t.Errorf("oom_score_adj = %q", b)
	}
	if out := d.must(t, "exec", name, "sh", "-c", "df -k /dev/shm | tail -1 | awk '{print $2}'"); out != "16384\n" {
		t.Errorf("/dev/shm size = %q KiB, want 16384", out)
	}
	if got := d.inspect(t, name, "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{len .HostConfig.BlkioDeviceReadBps}}"); got != "500000000 67108864 50 1" {
		t.Errorf("inspect HostConfig = %q", got)
	}

	// update changes them live.
	d.must(t, "update", "--cpus", "1.5", "-m", "96m", "--memory-swap", "192m", "--pids-limit", "60", "--cpu-shares", "256", name)
	for _, c := range []struct{ ctrl, file, want string }{
		{"cpu", "cpu.cfs_quota_us", "150000"},
		{"cpu", "cpu.shares", "256"},
		{"memory", "memory.limit_in_bytes", "100663296"},
		{"memory", "memory.memsw.limit_in_bytes", "201326592"},
		{"pids", "pids.max", "60"},
	} {
		if got := cgroupFile(t, c.ctrl, id, c.file); got != c.want {
			t.Errorf("after update %s/%s = %q, want %q", c.ctrl, c.file, got, c.want)
		}
	}
	if got := d.inspect(t, name, "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}"); got != "1500000000 100663296 60" {
		t.Errorf("inspect after update = %q", got)
	}
	// --pids-limit -1 is back to unlimited (the docker CLI does not send 0),
	// and a limit again after.
	for _, step := range []struct{ limit, want string }{{"-1", "max"}, {"70", "70"}, {"-1", "max"}} {
		d.must(t, "update", "--pids-limit", step.limit, name)
		if got := cgroupFile(t, "pids", id, "pids.max"); got != step.want {
			t.Errorf("after update --pids-limit %s: pids.max = %q, want %q", step.limit, got, step.want)
		}
	}
	if got := d.inspect(t, name, "{{.HostConfig.PidsLimit}}"); got != "0" {
		t.Errorf("PidsLimit after --pids-limit -1: %q, want 0 as dockerd records it", got)
	}
}

func TestCPULimitThrottlesABusyLoop(t *testing.T) {
	d := sharedDaemon(t)
	requireCgroupV1(t)
	t.Parallel()
	id := d.runD(t, "--name", uniqueName(t), "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done")
	if q := cgroupFile(t, "cpu", id, "cpu.cfs_quota_us"); q != "50000" {
		t.Fatalf("cpu.cfs_quota_us = %s", q)
	}
	usage := func() int64 {
		n, err := strconv.ParseInt(cgroupFile(t, "cpuacct", id, "cpuacct.usage"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	time.Sleep(300 * time.Millisecond)
	u0, t0 := usage(), time.Now()
	time.Sleep(3 * time.Second)
	u1, t1 := usage(), time.Now()
	cpus := float64(u1-u0) / float64(t1.Sub(t0).Nanoseconds())
	// Loose bounds: the machine is shared, so the loop may get less than
	// its quota, but never much more than half a CPU.
	if cpus > 0.65 || cpus < 0.1 {
		t.Fatalf("busy loop under --cpus 0.5 used %.2f CPUs", cpus)
	}
	t.Logf("busy loop under --cpus 0.5: %.2f CPUs", cpus)
}

func TestOOMKilled(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	// tail keeps reading /dev/zero looking for a newline: its memory grows
	// until the cgroup's limit (no swap to escape to).
	r := d.dk("run", "--name", name, "-m", "32m", "--memory-swap", "32m", "busybox", "tail", "/dev/zero")
	d.rmOnCleanup(t, name)
	if r.Code != 137 {
		t.Fatalf("memory hog: %s, want exit 137", r)
	}
	if got := d.inspect(t, name, "{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}"); got != "true 137 exited" {
		t.Fatalf("inspect State = %q, want \"true 137 exited\"", got)
	}
	if row := psRow(t, d.must(t, "ps", "-a", "--filter", "name="+name), name); !strings.Contains(row, "Exited (137)") {
		t.Fatalf("ps -a row: %q", row)
	}
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	ev := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+name, "--format", "{{.Action}}")
	if !strings.Contains(ev, "oom\n") || strings.Index(ev, "oom") > strings.Index(ev, "die") {
		t.Fatalf("events: %q, want oom before die", ev)
	}
	// A container that exits on its own is not OOM-killed.
	ok := uniqueName(t)
	d.must(t, "run", "--name", ok, "-m", "32m", "busybox", "true")
	d.rmOnCleanup(t, ok)
	if got := d.inspect(t, ok, "{{.State.OOMKilled}}"); got != "false" {
		t.Fatalf("OOMKilled of a clean exit = %s", got)
	}
}

func TestResourceValidation(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-m", "1m"}, "Minimum memory limit allowed is 6MB"},
		{[]string{"-m", "64m", "--memory-swap", "32m"}, "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{[]string{"--cpus", "99"}, "Range of CPUs is from 0.01 to"},
		{[]string{"--cpu-quota", "500"}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{[]string{"--oom-score-adj", "2000"}, "Invalid value 2000, range for oom score adj is [-1000, 1000]"},
		{[]string{"--cpuset-cpus", "63"}, "Requested CPUs are not available - requested 63"},
		{[]string{"--device-read-bps", "/dev/vda:fast"}, "invalid rate for device: /dev/vda:fast"},
	} {
		r := d.dk(append(append([]string{"run", "--rm"}, c.args...), "busybox", "true")...)
		if r.Code != 125 || !strings.Contains(r.Stderr, c.msg) {
			t.Errorf("run %v: %s\nwant exit 125 and %q", c.args, r, c.msg)
		}
	}
}

// --cgroup-parent places the container's cgroup under that parent (the
// cgroupfs layout), where limits, stats and OOM detection find it.
func TestCgroupParent(t *testing.T) {
	requireCgroupV1(t)
	d := sharedDaemon(t)
	t.Parallel()
	parent := "berth-e2e-parent-" + strconv.Itoa(os.Getpid())
	t.Cleanup(func() {
		dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", parent))
		for _, dir := range dirs {
			os.Remove(dir) // empty once its containers are gone
		}
	})
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "--cgroup-parent", parent, "-m", "64m", "busybox", "sleep", "300")
	defer d.dk("rm", "-f", name)
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", parent, id, "memory.limit_in_bytes"))
	if err != nil || strings.TrimSpace(string(b)) != "67108864" {
		t.Fatalf("memory limit under the cgroup parent: %q %v", b, err)
	}
	if got := d.must(t, "exec", name, "cat", "/proc/self/cgroup"); !strings.Contains(got, ":memory:/"+parent+"/"+id) {
		t.Fatalf("/proc/self/cgroup inside: %q, want the memory cgroup under /%s", got, parent)
	}
	if got := d.must(t, "stats", "--no-stream", "--format", "{{.MemUsage}}", name); !strings.HasSuffix(strings.TrimSpace(got), "/ 64MiB") {
		t.Fatalf("stats of a container under a cgroup parent: %q", got)
	}
}

// The daemon's --cgroup-parent is the default parent; a container's own
// --cgroup-parent still wins.
func TestDaemonCgroupParent(t *testing.T) {
	requireCgroupV1(t)
	parent := "berth-e2e-dparent-" + strconv.Itoa(os.Getpid())
	own := parent + "-own"
	t.Cleanup(func() {
		for _, p := range []string{parent, own} {
			dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", p))
			for _, dir := range dirs {
				os.Remove(dir)
			}
		}
	})
	d := startDaemon(t, "--cgroup-parent", parent)
	d.busybox(t)
	a := d.runD(t, "-m", "64m", "busybox", "sleep", "300")
	b := d.runD(t, "-m", "64m", "--cgroup-parent", own, "busybox", "sleep", "300")
	for _, c := range []struct{ id, parent string }{{a, parent}, {b, own}} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", c.parent, c.id)); err != nil {
			t.Errorf("container %s not under /%s: %v", c.id[:12], c.parent, err)
		}
	}
	d.must(t, "rm", "-f", a, b)
}
