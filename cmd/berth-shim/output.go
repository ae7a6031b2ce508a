package main

import (
	"github.com/berth-dev/berth/internal/logs/logwriter"
	"golang.org/x/sys/unix"
)

// Stream ids of Docker's multiplexed attach frames.
const (
	streamStdout = 1
	streamStderr = 2
)

// output is one of the container's output streams (a pipe, or the PTY master).
type output struct {
	fd     int
	stream byte
	log    *logwriter.StreamWriter
}

func (s *shim) addOutput(fd int, stream byte, name string) {
	o := &output{fd: fd, stream: stream}
	if s.log != nil {
		o.log = s.log.Stream(name)
	}
	s.outputs = append(s.outputs, o)
	s.watchFd(&watch{kind: kindOutput, fd: fd, out: o}, unix.EPOLLIN)
}

// readOutput reads one chunk and hands it to the log and the attach
// clients. The chunk is read just after an 8-byte frame header so that it
// goes to a multiplexed client in one write, without copying.
func (s *shim) readOutput(o *output) {
	frame, fresh := s.outbuf.get()
	if fresh && s.log != nil {
		s.log.UseBuffer(s.outbuf.logPart())
	}
	n, err := unix.Read(o.fd, frame[8:])
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if n <= 0 {
		// EOF, or EIO on a PTY whose slave side is gone.
		s.closeOutput(o)
		return
	}
	s.noteRead(o.stream, n)
	if o.log != nil {
		o.log.Write(frame[8 : 8+n])
	}
	if len(s.clients) == 0 {
		return
	}
	frame[0] = o.stream
	frame[4], frame[5], frame[6], frame[7] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n) // big-endian length
	payload := frame[:8+n]
	if s.cfg.Tty {
		payload = frame[8 : 8+n] // a TTY has one stream and no framing
	}
	s.fanout(o.stream, payload)
}

// fanout sends one chunk to every client that wants the stream. A client
// whose write fails or times out is dropped.
func (s *shim) fanout(stream byte, p []byte) {
	for i := 0; i < len(s.clients); {
		c := s.clients[i]
		want := (stream == streamStdout && c.stdout) || (stream == streamStderr && c.stderr)
		if want && !writeAll(c.fd, p) {
			s.closeConn(c) // removes it from s.clients
			continue
		}
		i++
	}
}

// closeOutput stops reading a stream and writes its pending partial line.
func (s *shim) closeOutput(o *output) {
	for i, x := range s.outputs {
		if x == o {
			s.outputs = append(s.outputs[:i], s.outputs[i+1:]...)
			break
		}
	}
	if o.log != nil {
		o.log.Close()
	}
	s.unwatch(o.fd)
	if o.fd == s.master {
		s.closeStdin()
		s.master = -1
	}
	unix.Close(o.fd)
}
