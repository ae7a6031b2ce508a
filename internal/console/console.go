// Package console implements the receiving end of an OCI runtime's
// --console-socket: the runtime sends the PTY master over a unix socket.
package console

import (
	"errors"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Socket is a listening unix socket that receives one PTY master.
type Socket struct {
	l    *net.UnixListener
	path string
}

// NewSocket listens on path (removing a stale socket file first).
func NewSocket(path string) (*Socket, error) {
	_ = os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(true)
	return &Socket{l: l, path: path}, nil
}

// Path is the socket path to pass as --console-socket.
func (s *Socket) Path() string { return s.path }

// ReceiveMaster accepts one connection and returns the file descriptor it
// carries (SCM_RIGHTS), as runc and crun send it. The file is non-blocking,
// so closing it interrupts a pending Read.
func (s *Socket) ReceiveMaster() (*os.File, error) {
	c, err := s.l.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(name, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	if len(fds) == 0 {
		return nil, errors.New("console socket: no file descriptor received")
	}
	for _, fd := range fds[1:] {
		unix.Close(fd)
	}
	fd := fds[0]
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	label := string(name[:n])
	if label == "" {
		label = "pty-master"
	}
	return os.NewFile(uintptr(fd), label), nil
}

// Close stops listening and removes the socket file.
func (s *Socket) Close() error {
	err := s.l.Close()
	_ = os.Remove(s.path)
	return err
}

// SetSize sets the terminal window size of f (a PTY master or slave).
func SetSize(f *os.File, height, width uint16) error {
	ws := &unix.Winsize{Row: height, Col: width}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws)
	}); err != nil {
		return err
	}
	return serr
}
