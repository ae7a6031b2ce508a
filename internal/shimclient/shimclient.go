// Package shimclient is the daemon's side of the shim protocol: start a
// berth-shim for a container and talk to it over its unix socket.
package shimclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
)

// ErrShimGone is returned by Wait when neither the shim nor an exit record exists.
var ErrShimGone = errors.New("shim is gone and left no exit record")

// Start writes the shim config (shimproto.ConfigFile) into bundleDir and starts the shim detached (own
// session, stdio on /dev/null). It returns once the shim has created the
// container, or with the shim's error text.
func Start(ctx context.Context, shimBinary, bundleDir string, cfg shimproto.Config) error {
	cfg.RuntimeFD = 0
	if cfg.RuntimeFile != nil {
		cfg.RuntimeFD = shimproto.RuntimeFD // where ExtraFiles puts it, below
	} else {
		cfg.RuntimeExe = ""
	}
	if err := atomicfile.Publish(filepath.Join(bundleDir, shimproto.ConfigFile), shimproto.MarshalConfig(cfg), 0o600); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(bundleDir, shimproto.ExitFile))
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(shimBinary, bundleDir)
	cmd.ExtraFiles = []*os.File{w} // fd 3
	if cfg.RuntimeFile != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, cfg.RuntimeFile) // shimproto.RuntimeFD
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	w.Close()
	// Collect the shim's exit whenever it comes so it never stays a zombie.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stop()
	line, err := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case line == "ok":
		return nil
	case strings.HasPrefix(line, "error: "):
		return errors.New(strings.TrimPrefix(line, "error: "))
	case ctx.Err() != nil:
		return ctx.Err()
	}
	if err == io.EOF {
		select {
		case werr := <-exited:
			if werr != nil {
				return errors.New("shim exited before it was ready: " + werr.Error())
			}
		case <-time.After(time.Second):
		}
		return errors.New("shim exited before it was ready")
	}
	return errors.New("shim: " + err.Error())
}

// dial connects to the shim socket of dir. A long path goes through
// /proc/self/fd so the 108-byte sun_path limit does not apply.
func dial(ctx context.Context, dir string) (net.Conn, error) {
	path := filepath.Join(dir, shimproto.SocketFile)
	var d net.Dialer
	if len(path) < 100 {
		return d.DialContext(ctx, "unix", path)
	}
	df, err := os.OpenFile(dir, os.O_RDONLY|unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer df.Close()
	return d.DialContext(ctx, "unix", "/proc/self/fd/"+strconv.Itoa(int(df.Fd()))+"/"+shimproto.SocketFile)
}

// request sends one request line and reads one reply line, byte by byte
// so that nothing after it is consumed.
func request(ctx context.Context, dir, req string) (net.Conn, string, error) {
	c, err := dial(ctx, dir)
	if err != nil {
		return nil, "", err
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.Write([]byte(req + "\n")); err != nil {
		c.Close()
		return nil, "", err
	}
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := c.Read(b); err != nil {
			c.Close()
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
			return nil, "", err
		}
		if b[0] == '\n' {
			break
		}
		line = append(line, b[0])
	}
	reply := string(line)
	if msg, ok := strings.CutPrefix(reply, "error: "); ok {
		c.Close()
		return nil, "", errors.New(msg)
	}
	return c, reply, nil
}

// StartContainer asks the shim to run `runtime start`; it returns the init pid.
func StartContainer(ctx context.Context, dir string) (int, error) {
	c, reply, err := request(ctx, dir, "start")
	if err != nil {
		return 0, err
	}
	c.Close()
	pid, err := strconv.Atoi(strings.TrimPrefix(reply, "ok "))
	if err != nil {
		return 0, errors.New("shim: unexpected reply " + strconv.Quote(reply))
	}
	return pid, nil
}

// Attach returns a connection carrying the container's output (raw for a
// TTY, multiplexed frames otherwise); writes to it go to the container's stdin.
func Attach(ctx context.Context, dir string, stdin, stdout, stderr bool) (net.Conn, error) {
	req := "attach " + bit(stdin) + " " + bit(stdout) + " " + bit(stderr)
	c, reply, err := request(ctx, dir, req)
	if err != nil {
		return nil, err
	}
	if reply != "ok" {
		c.Close()
		return nil, errors.New("shim: unexpected reply " + strconv.Quote(reply))
	}
	return c, nil
}

// AttachFd hands the client's own connection to the shim for output: the
// shim then writes to it directly (frames, or raw bytes for a TTY) until the
// container's output ends, and the daemon copies nothing. The caller keeps
// (and should close) its copy of f.
func AttachFd(ctx context.Context, dir string, f *os.File, stdout, stderr bool) error {
	c, err := dial(ctx, dir)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("shim connection is not a unix socket")
	}
	req := []byte("attachfd " + bit(stdout) + " " + bit(stderr) + "\n")
	if _, _, err := uc.WriteMsgUnix(req, unix.UnixRights(int(f.Fd())), nil); err != nil {
		return err
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if reply = strings.TrimSpace(reply); reply != "ok" {
		return errors.New(strings.TrimPrefix(reply, "error: "))
	}
	return nil
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Resize sets the container's terminal size.
func Resize(ctx context.Context, dir string, h, w uint) error {
	c, _, err := request(ctx, dir, "resize "+strconv.FormatUint(uint64(h), 10)+" "+strconv.FormatUint(uint64(w), 10))
	if err != nil {
		return err
	}
	return c.Close()
}

// Wait blocks until the container exits. When the shim is already gone it
// falls back to exit.json.
func Wait(ctx context.Context, dir string) (shimproto.Exit, error) {
	c, reply, err := request(ctx, dir, "wait")
	if err == nil {
		c.Close()
		var ex shimproto.Exit
		if jerr := json.Unmarshal([]byte(reply), &ex); jerr != nil {
			return shimproto.Exit{}, errors.New("shim: bad wait reply: " + jerr.Error())
		}
		return ex, nil
	}
	if ctx.Err() != nil {
		return shimproto.Exit{}, ctx.Err()
	}
	// Refused, missing socket or a shim that died mid-wait: the exit record
	// may be on disk (written before the shim answers waiters).
	if ex, rerr := ReadExit(dir); rerr == nil {
		return *ex, nil
	}
	return shimproto.Exit{}, ErrShimGone
}

// ReadExit reads exit.json.
func ReadExit(dir string) (*shimproto.Exit, error) {
	var ex shimproto.Exit
	if err := atomicfile.ReadJSON(filepath.Join(dir, shimproto.ExitFile), &ex); err != nil {
		return nil, err
	}
	return &ex, nil
}

// Alive reports whether the shim recorded in dir/shim.pid is still running.
func Alive(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, shimproto.ShimPid))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	// Guard against pid reuse: the process must be a shim for this dir.
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) < 2 || filepath.Clean(args[1]) != filepath.Clean(dir) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err == nil {
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}
