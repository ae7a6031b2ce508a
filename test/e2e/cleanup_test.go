package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/snapshot"
	"golang.org/x/sys/unix"
)

// cleanup stops the daemon and removes what its containers left behind: runtime state,
// shims, mounts and cgroups under this daemon's temp roots. Nothing outside d.dir is touched
// except cgroups named after this daemon's own container IDs.
func (d *daemon) cleanup(logf func(string, ...any)) {
	d.stop()
	ids := d.containerIDs()
	d.deleteRuntimeState(logf)
	d.killOwnProcesses()
	d.unmountAll(logf)
	d.cleanupNetwork(logf)
	removeCgroups(ids)
	if left := mountsUnder(d.dir); len(left) > 0 {
		// Removing the tree now could reach through a bind mount into the host.
		logf("e2e: leaving %s in place, still mounted: %v", d.dir, left)
		return
	}
	if err := os.RemoveAll(d.dir); err != nil {
		logf("e2e: remove %s: %v", d.dir, err)
	}
}

// containerIDs lists the container IDs this daemon recorded.
func (d *daemon) containerIDs() []string {
	var ids []string
	for _, root := range []string{filepath.Join(d.dataRoot, "containers"), filepath.Join(d.execRoot, "containers")} {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.IsDir() && len(e.Name()) >= 12 {
				ids = append(ids, e.Name())
			}
		}
	}
	sort.Strings(ids)
	out := ids[:0]
	for i, id := range ids {
		if i == 0 || ids[i-1] != id {
			out = append(out, id)
		}
	}
	return out
}

// deleteRuntimeState kills and deletes every container the runtime knows under this
// daemon's runtime root.
func (d *daemon) deleteRuntimeState(logf func(string, ...any)) {
	root := filepath.Join(d.execRoot, "runtime")
	if _, err := os.Stat(root); err != nil {
		return
	}
	out, err := exec.Command(runtimeBin, "--root", root, "list", "-q").Output()
	if err != nil {
		logf("e2e: %s --root %s list: %v", runtimeBin, root, err)
		return
	}
	for _, id := range strings.Fields(string(out)) {
		_ = exec.Command(runtimeBin, "--root", root, "kill", id, "KILL").Run()
		if err := exec.Command(runtimeBin, "--root", root, "delete", "--force", id).Run(); err != nil {
			logf("e2e: %s delete --force %s: %v", runtimeBin, id, err)
		}
	}
}

// killOwnProcesses SIGKILLs processes whose command line names a path under d.dir: the
// shims (and anything else) this daemon started for its containers.
func (d *daemon) killOwnProcesses() {
	self := os.Getpid()
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, arg := range strings.Split(string(cmdline), "\x00") {
			if arg == d.dir || strings.HasPrefix(arg, d.dir+"/") || strings.Contains(arg, "="+d.dir+"/") {
				pids = append(pids, pid)
				break
			}
		}
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if len(pids) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
}

// unmountAll lazily unmounts every mount point under d.dir, deepest first.
func (d *daemon) unmountAll(logf func(string, ...any)) {
	for range 3 {
		mps := mountsUnder(d.dir)
		if len(mps) == 0 {
			return
		}
		sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
		for _, mp := range mps {
			if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
				logf("e2e: unmount %s: %v", mp, err)
			}
		}
	}
}

// mountsUnder lists mount points at or below dir (the engine's own reader
// of /proc/self/mountinfo).
func mountsUnder(dir string) []string { return snapshot.MountsUnder(dir) }

// removeCgroups removes empty cgroup directories named after the given container IDs
// (e.g. /sys/fs/cgroup/memory/berth/<id>), searching a few levels under each hierarchy.
func removeCgroups(ids []string) {
	if len(ids) == 0 {
		return
	}
	var dirs []string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if cgroupNamesContainer(e.Name(), ids) {
				dirs = append(dirs, p)
				continue
			}
			if depth < 3 {
				walk(p, depth+1)
			}
		}
	}
	walk("/sys/fs/cgroup", 0)
	for _, dir := range dirs {
		removeCgroupTree(dir)
	}
	// The daemons' shared parent goes too once it is empty (rmdir refuses
	// otherwise, so another daemon's containers are safe).
	parents, _ := filepath.Glob("/sys/fs/cgroup/*/berth")
	for _, p := range append(parents, "/sys/fs/cgroup/berth") {
		os.Remove(p)
	}
}

func cgroupNamesContainer(name string, ids []string) bool {
	for _, id := range ids {
		if strings.Contains(name, id) {
			return true
		}
	}
	return false
}

// removeCgroupTree rmdirs a cgroup and its children, deepest first (only empty ones go).
func removeCgroupTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeCgroupTree(filepath.Join(dir, e.Name()))
		}
	}
	_ = unix.Rmdir(dir)
}
