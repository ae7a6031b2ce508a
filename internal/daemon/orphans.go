package daemon

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The daemon is a child subreaper (exec processes are re-parented to it
// when the runtime detaches). When an exec fails to start, the runtime
// exits without waiting for the child it forked into the container, and
// that child, still named after the runtime, is re-parented to the daemon.
// Left a zombie, it keeps the container's PID namespace alive: its init
// then never finishes exiting, even after SIGKILL. Nobody else waits for
// such a child, so the daemon reaps it.

// reapOrphans reaps zombie children of the daemon that live in a deeper
// PID namespace (inside a container) and are a runtime's forked child.
// Exec processes the daemon waits for run the user's command, never the
// runtime's name, so their statuses are left alone.
func reapOrphans() int {
	self := os.Getpid()
	myLevels := nsLevels(self)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if !isRuntimeZombieChild(pid, self) || nsLevels(pid) <= myLevels {
			continue
		}
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err == nil && got == pid {
			n++
		}
	}
	return n
}

// reapOrphansSoon reaps for a short while: the runtime's child may exit a
// moment after the runtime reported the failure.
func reapOrphansSoon() {
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		reapOrphans()
	}
}

// isRuntimeZombieChild reads /proc/PID/stat: a zombie whose parent is
// self and whose name is a runtime's (crun, runc, "runc:[2:INIT]").
func isRuntimeZombieChild(pid, self int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+4 >= len(s) {
		return false
	}
	comm := s[open+1 : end]
	fields := strings.Fields(s[end+2:]) // state, ppid, ...
	if len(fields) < 2 || fields[0] != "Z" || fields[1] != strconv.Itoa(self) {
		return false
	}
	return strings.HasPrefix(comm, "crun") || strings.HasPrefix(comm, "runc")
}

// nsLevels is how many PID namespaces deep pid is (the NSpid line of its
// status, which zombies keep).
func nsLevels(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return len(strings.Fields(rest))
		}
	}
	return 0
}

// waitDoneReaping is waitDone for a container that was sent SIGKILL: it
// reaps such orphans while it waits, since one of them can be all that
// keeps the container's init from finishing its exit.
func waitDoneReaping(done chan struct{}, secs int) bool {
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for {
		if waitDone(done, 1) {
			return true
		}
		reapOrphans()
		if time.Now().After(deadline) {
			return false
		}
	}
}
