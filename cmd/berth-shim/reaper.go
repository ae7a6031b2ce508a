package main

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// reaper is the only caller of wait4: as a subreaper the shim inherits the
// runtime's orphans and must collect every child, while callers still want
// the status of the particular pid they started.
type reaper struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
	exited  map[int]syscall.WaitStatus // reaped before anyone asked
}

// startReaper subscribes to SIGCHLD; call it before starting any child.
func startReaper() *reaper {
	r := &reaper{waiting: map[int]chan syscall.WaitStatus{}, exited: map[int]syscall.WaitStatus{}}
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGCHLD)
	go func() {
		for range sig {
			r.reapAll()
		}
	}()
	return r
}

func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiting[pid]; ok {
			delete(r.waiting, pid)
			ch <- ws
		} else {
			r.exited[pid] = ws
		}
		r.mu.Unlock()
	}
}

// wait blocks until pid has exited and returns its status.
func (r *reaper) wait(pid int) syscall.WaitStatus {
	r.mu.Lock()
	if ws, ok := r.exited[pid]; ok {
		delete(r.exited, pid)
		r.mu.Unlock()
		return ws
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.waiting[pid] = ch
	r.mu.Unlock()
	r.reapAll() // in case the SIGCHLD came before we subscribed
	return <-ch
}

// exitCode follows Docker: the exit status, or 128+signal.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
