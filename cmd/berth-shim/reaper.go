package main

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reapAll collects every exited child without blocking. As a subreaper the
// shim inherits the container's init and any orphans; only the init's
// status matters, the rest are just reaped. Runtime commands are waited
// for by pid in runRuntime and never reach here.
func (s *shim) reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			break
		}
		if pid == s.initPid && !s.initExited {
			s.initStatus, s.haveStatus = ws, true
			s.initExited = true
			s.exitedAt = time.Now()
		}
	}
	if !s.initExited && s.pidfd >= 0 {
		if _, ok := s.watches[s.pidfd]; !ok {
			// The pidfd fired but the init was not our child to reap.
			s.initExited = true
			s.exitedAt = time.Now()
		}
	}
	if s.initExited && s.pidfd >= 0 {
		unix.Close(s.pidfd)
		s.pidfd = -1
	}
}

// exitCode follows Docker: the exit status, or 128+signal.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
