// Command berth-shim is the per-container monitor (see docs/ARCHITECTURE.md,
// "The shim protocol"). It is kept small: its memory is paid per container.
// `berth-shim init -- CMD ARGS...` is the --init PID 1 instead.
package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/console"
	"github.com/berth-dev/berth/internal/logs"
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
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(3 << 20)
	os.Exit(run(os.Args[1]))
}

// shim holds the state of one container's monitor.
type shim struct {
	cfg     shimproto.Config
	dir     string
	reaper  *reaper
	devnull *os.File

	initPid int
	master  *os.File // PTY master (Tty)
	stdin   *os.File // our end of the container's stdin (pipe writer or master)
	stdinMu sync.Mutex

	stdout, stderr *os.File // read ends of the output pipes (not Tty)
	log            *logs.Writer
	lastData       atomic.Int64 // unix nanos of the last output chunk

	runtimeMu sync.Mutex // start and delete never overlap
	started   bool

	mu      sync.Mutex
	clients []*client
	waiters []net.Conn
	exit    *shimproto.Exit
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
	s := &shim{dir: dir}
	if err := s.setup(); err != nil {
		reply("error: " + err.Error() + "\n")
		return 1
	}
	l, err := s.listen()
	if err != nil {
		s.cleanupFailed()
		reply("error: " + err.Error() + "\n")
		return 1
	}
	if err := s.create(); err != nil {
		l.Close()
		s.cleanupFailed()
		reply("error: " + err.Error() + "\n")
		return 1
	}
	pumps := s.startPumps()
	go s.serve(l)
	reply("ok\n")

	ws := s.reaper.wait(s.initPid)
	ex := shimproto.Exit{ExitCode: exitCode(ws), ExitedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	ex.OOMKilled = oomKilled(s.cfg.CgroupMemoryDir)
	s.drain(pumps)
	if s.log != nil {
		if err := s.log.Close(); err != nil && ex.Error == "" {
			ex.Error = "log: " + err.Error()
		}
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, shimproto.ExitFile), ex, 0o644); err != nil && ex.Error == "" {
		ex.Error = "exit file: " + err.Error()
	}
	s.runtimeMu.Lock()
	s.runRuntime(s.nullStdio(), "delete", "--force", s.cfg.ID)
	s.runtimeMu.Unlock()
	s.finish(ex)
	l.Close()
	return 0
}

// setup reads the config, records our pid and becomes a subreaper.
func (s *shim) setup() error {
	data, err := os.ReadFile(filepath.Join(s.dir, shimproto.ConfigFile))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &s.cfg); err != nil {
		return errors.New("shim config: " + err.Error())
	}
	if s.cfg.Runtime == "" || s.cfg.ID == "" || s.cfg.Bundle == "" {
		return errors.New("shim config: runtime, id and bundle are required")
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dir, shimproto.ShimPid), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return errors.New("subreaper: " + err.Error())
	}
	if s.devnull, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		return err
	}
	s.reaper = startReaper()
	return nil
}

// listen opens shim.sock. It binds a path relative to the bundle dir so
// that long EXEC_ROOTs do not hit the 108-byte sun_path limit.
func (s *shim) listen() (*net.UnixListener, error) {
	if err := os.Chdir(s.dir); err != nil {
		return nil, err
	}
	_ = os.Remove(shimproto.SocketFile)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: shimproto.SocketFile, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}

// create sets up the container's stdio and runs `runtime create`.
func (s *shim) create() error {
	if s.cfg.LogDriver != "none" && s.cfg.LogPath != "" {
		w, err := logs.NewWriter(s.cfg.LogPath, s.cfg.LogMaxSize, s.cfg.LogMaxFile)
		if err != nil {
			return errors.New("log: " + err.Error())
		}
		s.log = w
	}
	pidFile := filepath.Join(s.dir, shimproto.PidFile)
	args := []string{"create", "--bundle", s.cfg.Bundle, "--pid-file", pidFile}
	if s.cfg.Tty {
		return s.createTty(args, pidFile)
	}
	var childEnds []*os.File
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
	}()
	stdio := [3]uintptr{s.devnull.Fd()}
	if s.cfg.OpenStdin {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		s.stdin = w
		childEnds = append(childEnds, r)
		stdio[0] = r.Fd()
	}
	for i, dst := range []**os.File{&s.stdout, &s.stderr} {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		*dst = r
		childEnds = append(childEnds, w)
		stdio[i+1] = w.Fd()
	}
	if err := s.runRuntime(stdio, append(args, s.cfg.ID)...); err != nil {
		return err
	}
	return s.readInitPid(pidFile)
}

// createTty passes a console socket to the runtime and receives the PTY master.
func (s *shim) createTty(args []string, pidFile string) error {
	// sun_path is short: keep the socket in a short temp path.
	sock, err := console.NewSocket(filepath.Join(os.TempDir(), "berth-con-"+strconv.Itoa(os.Getpid())+".sock"))
	if err != nil {
		return err
	}
	defer sock.Close()
	type result struct {
		f   *os.File
		err error
	}
	got := make(chan result, 1)
	go func() {
		f, err := sock.ReceiveMaster()
		got <- result{f, err}
	}()
	args = append(args, "--console-socket", sock.Path(), s.cfg.ID)
	if err := s.runRuntime(s.nullStdio(), args...); err != nil {
		return err
	}
	select {
	case r := <-got:
		if r.err != nil {
			return errors.New("console: " + r.err.Error())
		}
		s.master = r.f
	case <-time.After(10 * time.Second):
		return errors.New("console: runtime did not send the pty master")
	}
	s.stdin = s.master
	return s.readInitPid(pidFile)
}

func (s *shim) readInitPid(pidFile string) error {
	pid, err := readPidFile(pidFile)
	if err != nil {
		return errors.New("runtime pid file: " + err.Error())
	}
	s.initPid = pid
	return nil
}

// cleanupFailed removes what a failed create may have left behind.
func (s *shim) cleanupFailed() {
	if s.reaper != nil && s.cfg.Runtime != "" {
		s.runRuntime(s.nullStdio(), "delete", "--force", s.cfg.ID)
	}
	if s.log != nil {
		s.log.Close()
	}
	os.Remove(filepath.Join(s.dir, shimproto.ShimPid))
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
