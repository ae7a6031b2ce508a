package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/console"
	"github.com/berth-dev/berth/internal/shimproto"
)

// serve accepts connections on shim.sock until the listener is closed.
func (s *shim) serve(l *net.UnixListener) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

// readRequest reads one request line byte by byte so that nothing that
// follows it (attach input) is consumed.
func readRequest(c net.Conn) (string, error) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var line []byte
	b := make([]byte, 1)
	for len(line) < 256 {
		if _, err := c.Read(b); err != nil {
			return "", err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
	return "", errors.New("request too long")
}

func (s *shim) handle(c net.Conn) {
	req, err := readRequest(c)
	if err != nil {
		c.Close()
		return
	}
	f := strings.Fields(req)
	if len(f) == 0 {
		c.Close()
		return
	}
	switch {
	case f[0] == "start" && len(f) == 1:
		if err := s.start(); err != nil {
			replyClose(c, "error: "+err.Error())
			return
		}
		replyClose(c, "ok "+strconv.Itoa(s.initPid))
	case f[0] == "attach" && len(f) == 4:
		s.attach(c, f[1] == "1", f[2] == "1", f[3] == "1")
	case f[0] == "resize" && len(f) == 3:
		h, err1 := strconv.ParseUint(f[1], 10, 16)
		w, err2 := strconv.ParseUint(f[2], 10, 16)
		if err1 != nil || err2 != nil {
			replyClose(c, "error: bad size")
			return
		}
		if s.master != nil {
			if err := console.SetSize(s.master, uint16(h), uint16(w)); err != nil {
				replyClose(c, "error: "+err.Error())
				return
			}
		}
		replyClose(c, "ok")
	case f[0] == "wait" && len(f) == 1:
		s.mu.Lock()
		if s.exit == nil {
			s.waiters = append(s.waiters, c)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		// The exit record is already on disk: hand it over directly.
		data, err := os.ReadFile(filepath.Join(s.dir, shimproto.ExitFile))
		if err != nil {
			replyClose(c, "error: "+err.Error())
			return
		}
		c.Write(append(trimNL(data), '\n'))
		c.Close()
	default:
		replyClose(c, "error: unknown request")
	}
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func replyClose(c net.Conn, line string) {
	c.SetWriteDeadline(time.Now().Add(attachWriteTimeout))
	c.Write([]byte(line + "\n"))
	c.Close()
}

// start runs `runtime start` once.
func (s *shim) start() error {
	s.runtimeMu.Lock()
	defer s.runtimeMu.Unlock()
	if s.started {
		return errors.New("container already started")
	}
	s.mu.Lock()
	exited := s.exit != nil
	s.mu.Unlock()
	if exited {
		return errors.New("container has exited")
	}
	if err := s.runRuntime(s.nullStdio(), "start", s.cfg.ID); err != nil {
		return err
	}
	s.started = true
	return nil
}

// attach registers a connection for output and, if asked, feeds its input
// to the container's stdin.
func (s *shim) attach(c net.Conn, stdin, stdout, stderr bool) {
	s.mu.Lock()
	if s.exit != nil {
		s.mu.Unlock()
		replyClose(c, "ok")
		return
	}
	c.SetWriteDeadline(time.Now().Add(attachWriteTimeout))
	if _, err := c.Write([]byte("ok\n")); err != nil {
		s.mu.Unlock()
		c.Close()
		return
	}
	if stdout || stderr {
		s.clients = append(s.clients, &client{conn: c, stdout: stdout, stderr: stderr})
	}
	s.mu.Unlock()
	if stdin && s.cfg.OpenStdin {
		s.copyStdin(c)
	}
	if !stdout && !stderr {
		c.Close()
	}
}
