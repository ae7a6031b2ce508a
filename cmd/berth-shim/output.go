package main

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/shimproto"
)

// Stream ids of Docker's multiplexed attach frames.
const (
	streamStdout = 1
	streamStderr = 2
)

// attachWriteTimeout bounds how long a slow attach client can hold up the
// container's output before it is dropped.
const attachWriteTimeout = 5 * time.Second

// client is one attach connection.
type client struct {
	conn           net.Conn
	stdout, stderr bool
}

type pumpSet struct {
	wg    sync.WaitGroup
	files []*os.File
}

// startPumps copies the container's output into the log and to attach clients.
func (s *shim) startPumps() *pumpSet {
	p := &pumpSet{}
	start := func(f *os.File, stream byte, name string) {
		var lw io.WriteCloser
		if s.log != nil {
			lw = s.log.Stream(name)
		}
		p.files = append(p.files, f)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			s.pump(f, stream, lw)
		}()
	}
	if s.cfg.Tty {
		start(s.master, streamStdout, "stdout")
	} else {
		start(s.stdout, streamStdout, "stdout")
		start(s.stderr, streamStderr, "stderr")
	}
	return p
}

func (s *shim) pump(f *os.File, stream byte, lw io.WriteCloser) {
	const size = 16 << 10
	frame := make([]byte, 8+size)
	frame[0] = stream
	for {
		n, err := f.Read(frame[8:])
		if n > 0 {
			s.lastData.Store(time.Now().UnixNano())
			if lw != nil {
				lw.Write(frame[8 : 8+n])
			}
			binary.BigEndian.PutUint32(frame[4:8], uint32(n))
			s.fanout(stream, frame[:8+n])
		}
		if err != nil {
			break // EOF, EIO on a PTY whose slave is gone, or closed by drain
		}
	}
	if lw != nil {
		lw.Close()
	}
}

// fanout sends one frame to every client that wants the stream. A client
// whose write fails or times out is dropped.
func (s *shim) fanout(stream byte, frame []byte) {
	payload := frame
	if s.cfg.Tty {
		payload = frame[8:] // a TTY has one stream and no framing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.clients[:0]
	for _, c := range s.clients {
		want := (stream == streamStdout && c.stdout) || (stream == streamStderr && c.stderr)
		if want {
			c.conn.SetWriteDeadline(time.Now().Add(attachWriteTimeout))
			if _, err := c.conn.Write(payload); err != nil {
				c.conn.Close()
				continue
			}
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(s.clients); i++ {
		s.clients[i] = nil
	}
	s.clients = kept
}

// drain waits for the pumps to reach EOF. Background processes may keep
// the pipes open after init exits, so once output has been quiet for a
// short grace (or a hard cap passes) the read ends are closed.
func (s *shim) drain(p *pumpSet) {
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	const quiet, limit = 100 * time.Millisecond, 5 * time.Second
	exited := time.Now()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			last := time.Unix(0, s.lastData.Load())
			if (now.Sub(exited) >= quiet && now.Sub(last) >= quiet) || now.Sub(exited) >= limit {
				for _, f := range p.files {
					f.Close()
				}
				<-done
				return
			}
		}
	}
}

// finish answers the waiters and closes every connection.
func (s *shim) finish(ex shimproto.Exit) {
	line, _ := json.Marshal(ex)
	line = append(line, '\n')
	s.mu.Lock()
	s.exit = &ex
	waiters, clients := s.waiters, s.clients
	s.waiters, s.clients = nil, nil
	s.mu.Unlock()
	for _, c := range waiters {
		c.SetWriteDeadline(time.Now().Add(attachWriteTimeout))
		c.Write(line)
		c.Close()
	}
	for _, c := range clients {
		c.conn.Close()
	}
	s.closeStdin()
}

func (s *shim) closeStdin() {
	s.stdinMu.Lock()
	defer s.stdinMu.Unlock()
	if s.stdin != nil && s.stdin != s.master {
		s.stdin.Close()
	}
	s.stdin = nil
}

// copyStdin feeds one attach connection's input to the container.
func (s *shim) copyStdin(conn net.Conn) {
	buf := make([]byte, 4<<10)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			s.stdinMu.Lock()
			in := s.stdin
			s.stdinMu.Unlock()
			if in == nil {
				return
			}
			if _, werr := in.Write(buf[:n]); werr != nil && werr != syscall.EAGAIN {
				return
			}
		}
		if err != nil {
			break
		}
	}
	if s.cfg.StdinOnce && !s.cfg.Tty {
		s.closeStdin()
	}
}
