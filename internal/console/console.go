// Package console implements the receiving end of an OCI runtime's
// --console-socket: the runtime sends the PTY master over a unix socket.
// It uses raw sockets (x/sys/unix), not package net, because berth-shim
// links it and must stay a static, cgo-free binary.
package console

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Socket is a listening unix socket that receives one PTY master.
type Socket struct {
	l    *os.File // non-blocking listener, driven by the runtime's poller
	path string
}

// NewSocket listens on path (removing a stale socket file first).
func NewSocket(path string) (*Socket, error) {
	_ = os.Remove(path)
	fd, err := Listen(path, 1)
	if err != nil {
		return nil, err
	}
	return &Socket{l: os.NewFile(uintptr(fd), path), path: path}, nil
}

// Listen returns a non-blocking, close-on-exec unix stream socket listening on path.
func Listen(path string, backlog int) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "bind", Path: path, Err: err}
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		os.Remove(path)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

// Path is the socket path to pass as --console-socket.
func (s *Socket) Path() string { return s.path }

// SetDeadline bounds how long ReceiveMaster waits for the runtime.
func (s *Socket) SetDeadline(t time.Time) error { return s.l.SetReadDeadline(t) }

// ReceiveMaster accepts one connection and returns the file descriptor it
// carries (SCM_RIGHTS), as runc and crun send it. The file is non-blocking,
// so closing it interrupts a pending Read.
func (s *Socket) ReceiveMaster() (*os.File, error) {
	rc, err := s.l.SyscallConn()
	if err != nil {
		return nil, err
	}
	conn := -1
	var aerr error
	err = rc.Read(func(fd uintptr) bool {
		conn, _, aerr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
		return aerr != unix.EAGAIN
	})
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, os.NewSyscallError("accept", aerr)
	}
	defer unix.Close(conn)
	fd, label, err := ReceiveFd(conn)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if label == "" {
		label = "pty-master"
	}
	return os.NewFile(uintptr(fd), label), nil
}

// ReceiveFd reads one message from the connected socket conn (blocking) and
// returns the first descriptor it carries, close-on-exec, with the message
// text (runc sends the pty's name). Extra descriptors are closed.
func ReceiveFd(conn int) (int, string, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(conn, name, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return -1, "", os.NewSyscallError("recvmsg", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return -1, "", err
	}
	var fds []int
	for _, m := range msgs {
		if got, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, got...)
		}
	}
	if len(fds) == 0 {
		return -1, "", errors.New("console socket: no file descriptor received")
	}
	for _, fd := range fds[1:] {
		unix.Close(fd)
	}
	return fds[0], string(name[:n]), nil
}

// Close stops listening and removes the socket file.
func (s *Socket) Close() error {
	err := s.l.Close()
	_ = os.Remove(s.path)
	return err
}

// SetSize sets the terminal window size of f (a PTY master or slave).
func SetSize(f *os.File, height, width uint16) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = SetSizeFd(int(fd), height, width)
	}); err != nil {
		return err
	}
	return serr
}

// SetSizeFd is SetSize for a raw descriptor.
func SetSizeFd(fd int, height, width uint16) error {
	return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width})
}
