// Command berth-shim is the per-container monitor (see docs/ARCHITECTURE.md,
// "The shim protocol"). Its memory is paid per container, so it is one
// thread of work: a single epoll loop over the container's output, the
// control socket, its connections and a pidfd for the container's init.
// It links neither net nor cgo: the same binary is bind-mounted into
// containers as their --init, where there may be no libc.
// `berth-shim init -- CMD ARGS...` is that --init PID 1.
package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/berth-dev/berth/internal/logs/logwriter"
	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		os.Exit(runInit(os.Args[2:]))
	}
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: berth-shim BUNDLE_DIR | berth-shim init -- CMD [ARGS...]\n")
		os.Exit(2)
	}
	// One P: the shim has one goroutine of work, and fewer Ps mean less runtime state.
	runtime.GOMAXPROCS(1)
	os.Exit(run(os.Args[1]))
}

// shim holds the state of one container's monitor. Only the loop's
// goroutine touches it.
type shim struct {
	cfg     shimproto.Config
	dir     string
	devnull int

	initPid    int
	initExited bool
	initStatus unix.WaitStatus
	haveStatus bool // false if the init was not ours to wait for
	started    bool

	master int // PTY master (Tty), else -1
	stdin  int // our end of the container's stdin (pipe writer or master), -1 when closed
	log    *logwriter.Writer

	loop
}

func run(dir string) int {
	syncPipe := os.NewFile(3, "sync")
	reply := func(line string) {
		if syncPipe != nil {
			syncPipe.WriteString(line)
			syncPipe.Close()
			syncPipe = nil
		}
	}
	s := &shim{dir: dir, devnull: -1, master: -1, stdin: -1}
	if err := s.setup(); err != nil {
		reply("error: " + err.Error() + "\n")
		return 1
	}
	if err := s.listen(); err != nil {
		s.cleanupFailed()
		reply("error: " + err.Error() + "\n")
		return 1
	}
	if err := s.create(); err != nil {
		s.closeListener()
		s.cleanupFailed()
		reply("error: " + err.Error() + "\n")
		return 1
	}
	if err := s.watchInit(); err != nil {
		s.closeListener()
		s.cleanupFailed()
		reply("error: " + err.Error() + "\n")
		return 1
	}
	reply("ok\n")
	s.serve()
	return 0
}

// setup reads the config, records our pid and becomes a subreaper.
func (s *shim) setup() error {
	data, err := os.ReadFile(filepath.Join(s.dir, shimproto.ConfigFile))
	if err != nil {
		return err
	}
	if s.cfg, err = shimproto.ParseConfig(data); err != nil {
		return err
	}
	if s.cfg.Runtime == "" || s.cfg.ID == "" || s.cfg.Bundle == "" {
		return errors.New("shim config: runtime, id and bundle are required")
	}
	if err := writeFileAtomic(filepath.Join(s.dir, shimproto.ShimPid), []byte(strconv.Itoa(os.Getpid()))); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return errors.New("subreaper: " + err.Error())
	}
	if s.devnull, err = unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0); err != nil {
		return &os.PathError{Op: "open", Path: os.DevNull, Err: err}
	}
	return s.initLoop()
}

// cleanupFailed removes what a failed create may have left behind.
func (s *shim) cleanupFailed() {
	if s.epfd >= 0 {
		s.runRuntime(s.nullStdio(), "delete", "--force", s.cfg.ID)
	}
	if s.log != nil {
		s.log.Close()
	}
	os.Remove(filepath.Join(s.dir, shimproto.ShimPid))
}

// writeFileAtomic writes a temp file beside path, syncs and renames it, as
// internal/atomicfile does (which the shim does not link: it pulls in encoding/json).
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// oomKilled reads the memory cgroup's oom_kill counter (v2 memory.events,
// v1 memory.oom_control).
func oomKilled(dir string) bool {
	if dir == "" {
		return false
	}
	for _, name := range []string{"memory.events", "memory.oom_control"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, line := range splitLines(data) {
			const key = "oom_kill "
			if len(line) > len(key) && line[:len(key)] == key {
				n, _ := strconv.Atoi(line[len(key):])
				return n > 0
			}
		}
	}
	return false
}

func splitLines(data []byte) []string {
	var out []string
	start := 0
	for i, c := range data {
		if c == '\n' {
			out = append(out, string(data[start:i]))
			start = i + 1
		}
	}
	if start < len(data) {
		out = append(out, string(data[start:]))
	}
	return out
}
