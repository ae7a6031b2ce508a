package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/console"
	"golang.org/x/sys/unix"
)

// attachWriteTimeout bounds how long a slow attach client can hold up the
// container's output before it is dropped (SO_SNDTIMEO on its socket).
const attachWriteTimeout = 5 * time.Second

// maxRequest is the longest request line.
const maxRequest = 256

// conn is one connection to shim.sock.
type conn struct {
	fd             int
	req            []byte // the request line until it is complete
	attached       bool
	stdin          bool // its input goes to the container's stdin
	stdout, stderr bool
	inputDone      bool // its input reached EOF (or is ignored)
	closed         bool
	passedFd       int // a descriptor sent with the request (SCM_RIGHTS), or -1
}

func listenUnix(path string) (int, error) { return console.Listen(path, 128) }

// accept takes every pending connection. Connections are blocking with a
// send timeout: the loop only reads them when epoll says so, and output
// writes may wait for a slow client up to attachWriteTimeout.
func (s *shim) accept() {
	for {
		fd, _, err := unix.Accept4(s.listener, unix.SOCK_CLOEXEC)
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		tv := unix.NsecToTimeval(int64(attachWriteTimeout))
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
		c := &conn{fd: fd, passedFd: -1}
		s.watchFd(&watch{kind: kindConn, fd: fd, conn: c}, unix.EPOLLIN)
	}
}

// readConn reads a request line, or attach input once attached.
func (s *shim) readConn(c *conn, events uint32) {
	if c.attached {
		s.readInput(c)
		return
	}
	var buf [maxRequest]byte
	var oob [64]byte
	n, oobn, _, _, err := unix.Recvmsg(c.fd, buf[:maxRequest-len(c.req)], oob[:], unix.MSG_CMSG_CLOEXEC)
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if oobn > 0 {
		s.takePassedFd(c, oob[:oobn])
	}
	if n <= 0 {
		s.closeConn(c)
		return
	}
	c.req = append(c.req, buf[:n]...)
	i := strings.IndexByte(string(c.req), '\n')
	if i < 0 {
		if len(c.req) >= maxRequest {
			s.closeConn(c)
		}
		return
	}
	rest := c.req[i+1:]
	line := string(c.req[:i])
	c.req = nil
	s.handle(c, line, rest)
}

func (s *shim) handle(c *conn, req string, rest []byte) {
	f := strings.Fields(req)
	if len(f) == 0 {
		s.closeConn(c)
		return
	}
	switch {
	case f[0] == "start" && len(f) == 1:
		if err := s.start(); err != nil {
			s.replyClose(c, "error: "+err.Error())
			return
		}
		s.replyClose(c, "ok "+strconv.Itoa(s.initPid))
	case f[0] == "attach" && len(f) == 4:
		s.attach(c, f[1] == "1", f[2] == "1", f[3] == "1", rest)
	case f[0] == "attachfd" && len(f) == 3:
		s.attachFd(c, f[1] == "1", f[2] == "1")
	case f[0] == "resize" && len(f) == 3:
		h, err1 := strconv.ParseUint(f[1], 10, 16)
		w, err2 := strconv.ParseUint(f[2], 10, 16)
		if err1 != nil || err2 != nil {
			s.replyClose(c, "error: bad size")
			return
		}
		if s.master >= 0 {
			if err := console.SetSizeFd(s.master, uint16(h), uint16(w)); err != nil {
				s.replyClose(c, "error: "+err.Error())
				return
			}
		}
		s.replyClose(c, "ok")
	case f[0] == "wait" && len(f) == 1:
		// Answered by finish; the connection is not read any more.
		s.unwatch(c.fd)
		c.closed = true
		s.waiters = append(s.waiters, c.fd)
	default:
		s.replyClose(c, "error: unknown request")
	}
}

func (s *shim) replyClose(c *conn, line string) {
	writeAll(c.fd, []byte(line+"\n"))
	s.closeConn(c)
}

// start runs `runtime start` once.
func (s *shim) start() error {
	if s.started {
		return errString("container already started")
	}
	if s.initExited {
		return errString("container has exited")
	}
	if done, err := s.startViaExecFifo(); err != nil {
		return err
	} else if !done {
		if err := s.runRuntime(s.nullStdio(), "start", s.cfg.ID); err != nil {
			return err
		}
	}
	s.started = true
	return nil
}

// attach registers a connection for output and, if asked, feeds its input
// to the container's stdin.
func (s *shim) attach(c *conn, stdin, stdout, stderr bool, rest []byte) {
	if !writeAll(c.fd, []byte("ok\n")) {
		s.closeConn(c)
		return
	}
	c.attached = true
	c.stdin = stdin && s.cfg.OpenStdin
	c.stdout, c.stderr = stdout, stderr
	if stdout || stderr {
		s.clients = append(s.clients, c)
	}
	if len(rest) > 0 && c.stdin {
		s.queueInput(c, rest)
	}
	if !c.stdin && !stdout && !stderr {
		s.closeConn(c)
	}
}

// takePassedFd keeps the first descriptor a request carried; extra ones
// are closed.
func (s *shim) takePassedFd(c *conn, oob []byte) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if c.passedFd < 0 {
				c.passedFd = fd
			} else {
				unix.Close(fd)
			}
		}
	}
}

// attachFd takes over the client's own connection, passed by the daemon,
// for output only: the shim then writes frames straight to the client and
// the daemon is out of the data path. The connection is made blocking with
// the same send timeout as other attach clients.
func (s *shim) attachFd(c *conn, stdout, stderr bool) {
	fd := c.passedFd
	c.passedFd = -1
	if fd < 0 {
		s.replyClose(c, "error: no descriptor passed")
		return
	}
	unix.SetNonblock(fd, false)
	tv := unix.NsecToTimeval(int64(attachWriteTimeout))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	client := &conn{fd: fd, passedFd: -1, attached: true, stdout: stdout, stderr: stderr, inputDone: true}
	s.clients = append(s.clients, client)
	s.replyClose(c, "ok")
}

// closeConn closes a connection and forgets it everywhere.
func (s *shim) closeConn(c *conn) {
	if c.fd < 0 {
		return
	}
	s.unwatch(c.fd)
	s.dropClient(c)
	if s.stdinFrom == c {
		s.stdinFrom, s.stdinPending = nil, nil
	}
	unix.Close(c.fd)
	c.fd = -1
	c.closed = true
	if c.passedFd >= 0 {
		unix.Close(c.passedFd)
		c.passedFd = -1
	}
}

func (s *shim) dropClient(c *conn) {
	for i, x := range s.clients {
		if x == c {
			s.clients = append(s.clients[:i], s.clients[i+1:]...)
			return
		}
	}
}

// writeAll writes p to a blocking descriptor; false if it failed or timed out.
func writeAll(fd int, p []byte) bool {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		p = p[n:]
	}
	return true
}

type errString string

func (e errString) Error() string { return string(e) }
