package main

import (
	"os"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
)

// What a watched descriptor is.
const (
	kindListener = iota
	kindOutput
	kindConn
	kindPidfd
	kindStdin // the stdin pipe, watched for EPOLLOUT while input is pending
)

// watch is one descriptor registered with epoll.
type watch struct {
	kind   int
	fd     int
	events uint32
	out    *output // kindOutput
	conn   *conn   // kindConn
}

// loop is the shim's event loop state.
type loop struct {
	epfd     int
	listener int
	pidfd    int
	watches  map[int]*watch
	outputs  []*output
	clients  []*conn // attached for output
	waiters  []int   // connections waiting for the exit record
	lastData time.Time
	exitedAt time.Time
	events   [16]unix.EpollEvent

	stdinPending []byte // input the container has not taken yet
	stdinFrom    *conn  // whose input is pending (its reading is paused)
	inbuf        [4 << 10]byte
	outbuf       outBuffer // frame header + one read of output
	streaming    bool      // the last read came soon after the one before, same stream
	lastStream   byte      // the stream of the last read
}

// reapSweep bounds how long an orphan (reparented to us, the subreaper)
// can stay a zombie: there is no SIGCHLD handler, only the init's pidfd.
const reapSweep = 10 * time.Second

// Drain: once init has exited, output is read until EOF; background
// processes may keep the pipes open, so after a quiet grace (or a hard
// cap) the read ends are closed.
const drainQuiet, drainLimit, drainTick = 100 * time.Millisecond, 5 * time.Second, 20 * time.Millisecond

func (s *shim) initLoop() error {
	s.listener, s.pidfd = -1, -1
	s.watches = map[int]*watch{}
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		s.epfd = -1
		return os.NewSyscallError("epoll_create1", err)
	}
	s.epfd = fd
	return nil
}

func (s *shim) watchFd(w *watch, events uint32) {
	w.events = events
	s.watches[w.fd] = w
	unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, w.fd, &unix.EpollEvent{Events: events, Fd: int32(w.fd)})
}

func (s *shim) modify(w *watch, events uint32) {
	if w.events == events {
		return
	}
	w.events = events
	unix.EpollCtl(s.epfd, unix.EPOLL_CTL_MOD, w.fd, &unix.EpollEvent{Events: events, Fd: int32(w.fd)})
}

func (s *shim) unwatch(fd int) {
	if _, ok := s.watches[fd]; ok {
		delete(s.watches, fd)
		unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	}
}

// listen opens shim.sock. It binds a path relative to the bundle dir so
// that long EXEC_ROOTs do not hit the 108-byte sun_path limit.
func (s *shim) listen() error {
	if err := os.Chdir(s.dir); err != nil {
		return err
	}
	_ = os.Remove(shimproto.SocketFile)
	fd, err := listenUnix(shimproto.SocketFile)
	if err != nil {
		return err
	}
	s.listener = fd
	s.watchFd(&watch{kind: kindListener, fd: fd}, unix.EPOLLIN)
	return nil
}

func (s *shim) closeListener() {
	if s.listener >= 0 {
		s.unwatch(s.listener)
		unix.Close(s.listener)
		s.listener = -1
		os.Remove(shimproto.SocketFile)
	}
}

// watchInit opens a pidfd for the container's init: it becomes readable
// when the init exits, which is how the loop learns of it.
func (s *shim) watchInit() error {
	fd, err := unix.PidfdOpen(s.initPid, 0)
	if err != nil {
		return os.NewSyscallError("pidfd_open", err)
	}
	unix.CloseOnExec(fd)
	s.pidfd = fd
	s.watchFd(&watch{kind: kindPidfd, fd: fd}, unix.EPOLLIN)
	return nil
}

// serve runs the loop until the container has exited and been cleaned up.
func (s *shim) serve() {
	for {
		timeout := int(reapSweep / time.Millisecond)
		if s.initExited {
			timeout = int(drainTick / time.Millisecond)
		} else if s.outbuf.dirty {
			timeout = int(releaseIdle / time.Millisecond)
		}
		s.coalesce()
		n, err := unix.EpollWait(s.epfd, s.events[:], timeout)
		if n == 0 && err == nil {
			s.outbuf.release() // quiet for a while
		}
		if err != nil && err != unix.EINTR {
			n = 0
			time.Sleep(drainTick) // cannot happen with a valid epfd; do not spin
		}
		for i := 0; i < n; i++ {
			ev := s.events[i]
			w, ok := s.watches[int(ev.Fd)]
			if !ok {
				continue // closed while handling an earlier event
			}
			s.dispatch(w, ev.Events)
		}
		s.reapAll()
		if s.initExited && s.drained() {
			s.finish()
			return
		}
	}
}

func (s *shim) dispatch(w *watch, events uint32) {
	switch w.kind {
	case kindListener:
		s.accept()
	case kindOutput:
		if events&unix.EPOLLOUT != 0 && w.fd == s.stdin {
			s.flushStdin() // the PTY master carries both directions
		}
		if events&^unix.EPOLLOUT != 0 {
			s.readOutput(w.out)
		}
	case kindConn:
		s.readConn(w.conn, events)
	case kindStdin:
		s.flushStdin()
	case kindPidfd:
		s.unwatch(w.fd) // reapAll collects the status
	}
}

// drained reports whether output is done after the init exited, closing
// outputs that stay open too long.
func (s *shim) drained() bool {
	if len(s.outputs) == 0 {
		return true
	}
	now := time.Now()
	if (now.Sub(s.exitedAt) >= drainQuiet && now.Sub(s.lastData) >= drainQuiet) || now.Sub(s.exitedAt) >= drainLimit {
		for len(s.outputs) > 0 {
			s.closeOutput(s.outputs[0])
		}
		return true
	}
	return false
}

// finish records the exit, deletes the container, answers the waiters and
// closes everything.
func (s *shim) finish() {
	ex := shimproto.Exit{ExitCode: 255, ExitedAt: s.exitedAt.UTC().Format(time.RFC3339Nano)}
	if s.haveStatus {
		ex.ExitCode = exitCode(syscall.WaitStatus(s.initStatus))
	} else {
		ex.Error = "the container's exit status was not available to the shim"
	}
	ex.OOMKilled = oomKilled(s.cfg.CgroupMemoryDir)
	if s.log != nil {
		if err := s.log.Close(); err != nil && ex.Error == "" {
			ex.Error = "log: " + err.Error()
		}
	}
	line := shimproto.AppendExitJSON(nil, ex)
	if err := writeFileAtomic(shimproto.ExitFile, line); err != nil && ex.Error == "" {
		ex.Error = "exit file: " + err.Error()
		line = shimproto.AppendExitJSON(nil, ex)
	}
	s.runRuntime(s.nullStdio(), "delete", "--force", s.cfg.ID)
	line = append(line, '\n')
	for _, fd := range s.waiters {
		writeAll(fd, line)
		unix.Close(fd)
	}
	// closeConn removes from s.clients: iterate over a copy.
	for _, c := range append([]*conn(nil), s.clients...) {
		s.closeConn(c)
	}
	for _, w := range s.watches {
		if w.kind == kindConn {
			s.closeConn(w.conn)
		}
	}
	s.closeStdin()
	s.closeListener()
}
