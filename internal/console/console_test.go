package console

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReceiveMaster sends a real PTY master the way runc does and checks
// that it arrives, can be resized, and that Close removes the socket.
func TestReceiveMaster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	s, err := NewSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no /dev/ptmx: ", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMsgUnix([]byte("/dev/pts/x"), unix.UnixRights(int(master.Fd())), nil)
	}()
	got, err := s.ReceiveMaster()
	<-sent
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Name() != "/dev/pts/x" {
		t.Fatalf("name %q", got.Name())
	}
	if err := SetSize(got, 33, 101); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	ws, err := unix.IoctlGetWinsize(int(slave.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Row != 33 || ws.Col != 101 {
		t.Fatalf("winsize %+v", ws)
	}
	s.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("socket file left behind")
	}
}

// TestReceiveMasterDeadline: a runtime that never connects does not hang us,
// and Close unblocks a pending ReceiveMaster.
func TestReceiveMasterDeadline(t *testing.T) {
	s, err := NewSocket(filepath.Join(t.TempDir(), "c.sock"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := s.ReceiveMaster(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
	s.SetDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := s.ReceiveMaster()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("ReceiveMaster succeeded on a closed socket")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock ReceiveMaster")
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
