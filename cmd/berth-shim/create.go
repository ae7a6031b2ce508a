package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/internal/console"
	"github.com/berth-dev/berth/internal/logs/logwriter"
	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
)

// create sets up the container's stdio and runs `runtime create`.
func (s *shim) create() error {
	if s.cfg.LogDriver != "none" && s.cfg.LogPath != "" {
		w, err := logwriter.NewWriter(s.cfg.LogPath, s.cfg.LogMaxSize, s.cfg.LogMaxFile)
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
	var childEnds []int
	defer func() {
		for _, fd := range childEnds {
			unix.Close(fd)
		}
	}()
	stdio := [3]uintptr{uintptr(s.devnull)}
	if s.cfg.OpenStdin {
		r, w, err := pipe(false)
		if err != nil {
			return err
		}
		s.stdin = w
		childEnds = append(childEnds, r)
		stdio[0] = uintptr(r)
	}
	var outs [2]int
	for i := range outs {
		r, w, err := pipe(true)
		if err != nil {
			return err
		}
		outs[i] = r
		childEnds = append(childEnds, w)
		stdio[i+1] = uintptr(w)
	}
	if err := s.runRuntime(stdio, append(args, s.cfg.ID)...); err != nil {
		return err
	}
	s.addOutput(outs[0], streamStdout, "stdout")
	s.addOutput(outs[1], streamStderr, "stderr")
	return s.readInitPid(pidFile)
}

// pipe returns a close-on-exec pipe whose read (output) or write (stdin)
// end, the shim's, is non-blocking; the container's end stays blocking.
func pipe(output bool) (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	ours := p[1]
	if output {
		ours = p[0]
		// A larger pipe lets a chatty container run ahead of the shim.
		unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, outputPipeSize)
	}
	if err := unix.SetNonblock(ours, true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// createTty passes a console socket to the runtime and receives the PTY
// master. The runtime connects and sends it before `create` returns, so the
// connection is already queued when we accept.
func (s *shim) createTty(args []string, pidFile string) error {
	// sun_path is short: keep the socket in a short temp path.
	path := filepath.Join(os.TempDir(), "berth-con-"+strconv.Itoa(os.Getpid())+".sock")
	os.Remove(path)
	l, err := console.Listen(path, 1)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer unix.Close(l)
	args = append(args, "--console-socket", path, s.cfg.ID)
	if err := s.runRuntime(s.nullStdio(), args...); err != nil {
		return err
	}
	conn, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	if err != nil {
		return errors.New("console: runtime did not send the pty master")
	}
	master, _, err := console.ReceiveFd(conn)
	unix.Close(conn)
	if err != nil {
		return errors.New("console: " + err.Error())
	}
	if err := unix.SetNonblock(master, true); err != nil {
		unix.Close(master)
		return err
	}
	s.master, s.stdin = master, master
	s.addOutput(master, streamStdout, "stdout")
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
