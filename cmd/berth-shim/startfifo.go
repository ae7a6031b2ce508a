package main

import (
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// startFifoTimeout bounds how long the shim waits for runc's init to hand
// over; past it, `runc start` is run as usual.
const startFifoTimeout = 5 * time.Second

// startViaExecFifo does what `runc start` does without exec'ing runc (a Go
// program whose start-up is ~10 ms of `run`'s latency): runc's init waits,
// after `runc create`, in a blocking open of <root>/<id>/exec.fifo for
// writing; opening it for reading releases the init, which writes "0" and
// execs the container's process (closing its end). The fifo is then removed,
// which is how runc tells "created" from "running".
//
// It reports false, having changed nothing, when the runtime is not runc or
// the fifo is not there; the caller then runs `runtime start`.
func (s *shim) startViaExecFifo() (bool, error) {
	if filepath.Base(s.cfg.Runtime) != "runc" || s.cfg.RuntimeRoot == "" {
		return false, nil
	}
	path := filepath.Join(s.cfg.RuntimeRoot, s.cfg.ID, "exec.fifo")
	if st, err := os.Lstat(path); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return false, nil
	}
	// Non-blocking: a dead init would otherwise leave the open hanging.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, nil
	}
	defer unix.Close(fd)
	got, err := s.readExecFifo(fd)
	if err != nil {
		return true, err
	}
	if !got {
		return true, errString("cannot start an already running container")
	}
	os.Remove(path)
	return true, nil
}

// readExecFifo waits for the init's byte and the close that follows its
// exec, or for the init to die (its pidfd).
func (s *shim) readExecFifo(fd int) (bool, error) {
	deadline := time.Now().Add(startFifoTimeout)
	got := false
	var buf [16]byte
	for {
		n, err := unix.Read(fd, buf[:])
		switch {
		case n > 0:
			got = true
			continue
		case err == nil && got:
			return true, nil // EOF after the byte: the process was exec'd
		case err != nil && err != unix.EAGAIN && err != unix.EINTR:
			return got, os.NewSyscallError("read exec.fifo", err)
		}
		// No writer yet (a fifo nobody opened reads as EOF too), or no data.
		left := time.Until(deadline)
		if left <= 0 {
			return got, errString("timed out waiting for the container's init to start")
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(s.pidfd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(min(left, 10*time.Millisecond)/time.Millisecond)+1); err != nil && err != unix.EINTR {
			return got, os.NewSyscallError("poll", err)
		}
		if fds[1].Revents&unix.POLLIN != 0 && fds[0].Revents&unix.POLLIN == 0 {
			if n, _ := unix.Read(fd, buf[:]); n > 0 || got {
				return true, nil // it ran (and is done already)
			}
			return got, errString("container init exited before it was started")
		}
	}
}
