package main

import "golang.org/x/sys/unix"

// The container's stdin is non-blocking: input it does not take yet is
// kept and the connection it came from is paused until stdin is writable,
// so a container that ignores stdin never stalls its output.

// readInput handles bytes from an attached connection.
func (s *shim) readInput(c *conn) {
	n, err := unix.Read(c.fd, s.inbuf[:])
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if n <= 0 {
		c.inputDone = true
		s.unwatch(c.fd)
		if c.stdin && s.cfg.StdinOnce && !s.cfg.Tty {
			s.closeStdin()
		}
		if !c.stdout && !c.stderr {
			s.closeConn(c)
		}
		return
	}
	if c.stdin {
		s.queueInput(c, s.inbuf[:n])
	}
}

// queueInput writes p to the container's stdin, keeping what does not fit.
func (s *shim) queueInput(c *conn, p []byte) {
	if s.stdin < 0 {
		return
	}
	for len(p) > 0 {
		n, err := unix.Write(s.stdin, p)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			c.stdin = false // the container closed its stdin: drop further input
			return
		}
		p = p[n:]
	}
	if len(p) == 0 {
		return
	}
	s.stdinPending = append(s.stdinPending[:0], p...)
	s.stdinFrom = c
	if w, ok := s.watches[c.fd]; ok {
		s.modify(w, 0)
	}
	s.wantStdinWritable(true)
}

// flushStdin writes pending input now that stdin is writable.
func (s *shim) flushStdin() {
	p := s.stdinPending
	for len(p) > 0 && s.stdin >= 0 {
		n, err := unix.Write(s.stdin, p)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			s.stdinPending = append(s.stdinPending[:0], p...)
			return
		}
		if err != nil {
			if s.stdinFrom != nil {
				s.stdinFrom.stdin = false
			}
			break
		}
		p = p[n:]
	}
	s.resumeInput()
}

// resumeInput forgets pending input and reads its connection again.
func (s *shim) resumeInput() {
	s.stdinPending = nil
	s.wantStdinWritable(false)
	if c := s.stdinFrom; c != nil {
		s.stdinFrom = nil
		if w, ok := s.watches[c.fd]; ok {
			s.modify(w, unix.EPOLLIN)
		}
	}
}

// wantStdinWritable turns EPOLLOUT on stdin on or off.
func (s *shim) wantStdinWritable(on bool) {
	if s.stdin < 0 {
		return
	}
	w, ok := s.watches[s.stdin]
	if s.stdin == s.master {
		if ok { // the master's output watch
			ev := uint32(unix.EPOLLIN)
			if on {
				ev |= unix.EPOLLOUT
			}
			s.modify(w, ev)
		}
		return
	}
	switch {
	case on && !ok:
		s.watchFd(&watch{kind: kindStdin, fd: s.stdin}, unix.EPOLLOUT)
	case !on && ok:
		s.unwatch(s.stdin)
	}
}

// closeStdin closes the container's stdin pipe (never the PTY master,
// which is also its output).
func (s *shim) closeStdin() {
	if s.stdin < 0 {
		return
	}
	s.resumeInput()
	if s.stdin != s.master {
		s.unwatch(s.stdin)
		unix.Close(s.stdin)
	}
	s.stdin = -1
}
