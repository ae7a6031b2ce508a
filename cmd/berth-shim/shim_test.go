package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/logs"
	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/shimproto"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const runcPath = "/usr/sbin/runc"

// env is a built shim plus a runtime root shared by one test's containers.
type env struct {
	t       *testing.T
	shim    string
	root    string
	tmp     string
	rootfs  string
	counter int
}

func newEnv(t *testing.T) *env {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containers with runc")
	}
	if _, err := os.Stat(runcPath); err != nil {
		t.Skip("runc not installed")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("no static busybox for the rootfs")
	}
	tmp := t.TempDir()
	e := &env{t: t, tmp: tmp, shim: filepath.Join(tmp, "berth-shim"), root: filepath.Join(tmp, "runc")}
	if bin := os.Getenv("BERTH_SHIM_BINARY"); bin != "" {
		// Lets a measurement run against another build (e.g. an older one).
		e.shim = bin
	} else if out, err := exec.Command("go", "build", "-o", e.shim, ".").CombinedOutput(); err != nil {
		// A plain build, as the release does: the shim must come out static anyway.
		t.Fatalf("build shim: %v\n%s", err, out)
	}
	e.rootfs = filepath.Join(tmp, "rootfs")
	for _, d := range []string{"bin", "proc", "dev", "sys", "tmp"} {
		os.MkdirAll(filepath.Join(e.rootfs, d), 0o755)
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.rootfs, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"sh", "echo", "tty", "cat", "sleep", "true"} {
		os.Symlink("busybox", filepath.Join(e.rootfs, "bin", app))
	}
	if err := os.WriteFile(filepath.Join(e.rootfs, "bin/berth-init"), mustRead(t, e.shim), 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

func mustRead(t *testing.T, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// container prepares a bundle dir and returns it with its shim config.
func (e *env) container(tty bool, args ...string) (string, shimproto.Config) {
	e.counter++
	id := "berth-shim-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(e.counter)
	dir := filepath.Join(e.tmp, "c"+strconv.Itoa(e.counter))
	os.MkdirAll(dir, 0o755)
	spec := specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Terminal:        tty,
			Args:            args,
			Env:             []string{"PATH=/bin", "TERM=xterm"},
			Cwd:             "/",
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: e.rootfs},
		Hostname: "shimtest",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}, {Type: "network"}},
		},
	}
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	cfg := shimproto.Config{
		ID: id, Bundle: dir, Runtime: runcPath, RuntimeRoot: e.root, Tty: tty,
		LogDriver: "json-file", LogPath: filepath.Join(dir, id+"-json.log"), LogMaxFile: 1,
	}
	e.t.Cleanup(func() {
		// Never leave a runc container or a shim behind.
		exec.Command(runcPath, "--root", e.root, "delete", "--force", id).Run()
		if data, err := os.ReadFile(filepath.Join(dir, shimproto.ShimPid)); err == nil && shimclient.Alive(dir) {
			if pid, _ := strconv.Atoi(string(data)); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return dir, cfg
}

// demux reads Docker's multiplexed frames until EOF.
func demux(t *testing.T, r io.Reader) (stdout, stderr string) {
	var o, e bytes.Buffer
	hdr := make([]byte, 8)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return o.String(), e.String()
		}
		n := binary.BigEndian.Uint32(hdr[4:])
		dst := &o
		if hdr[0] == 2 {
			dst = &e
		} else if hdr[0] != 1 {
			t.Fatalf("bad stream byte %d", hdr[0])
		}
		if _, err := io.CopyN(dst, r, int64(n)); err != nil {
			t.Fatal(err)
		}
	}
}

func waitGone(t *testing.T, e *env, dir string, cfg shimproto.Config) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for shimclient.Alive(dir) {
		if time.Now().After(deadline) {
			t.Fatal("shim still alive after the container exited")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(e.root, cfg.ID)); !os.IsNotExist(err) {
		t.Fatalf("runtime state left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, shimproto.SocketFile)); !os.IsNotExist(err) {
		t.Fatalf("shim.sock left behind: %v", err)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestShimRunsContainer(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)

	t.Run("exit code, streams and log", func(t *testing.T) {
		dir, cfg := e.container(false, "sh", "-c", "echo hi; echo err >&2; exit 3")
		if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
			t.Fatal(err)
		}
		conn, err := shimclient.Attach(ctx, dir, false, true, true)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		pid, err := shimclient.StartContainer(ctx, dir)
		if err != nil || pid <= 0 {
			t.Fatalf("start: %d %v", pid, err)
		}
		out, errOut := demux(t, conn)
		if out != "hi\n" || errOut != "err\n" {
			t.Fatalf("stdout %q stderr %q", out, errOut)
		}
		ex, err := shimclient.Wait(ctx, dir)
		if err != nil || ex.ExitCode != 3 || ex.OOMKilled {
			t.Fatalf("wait: %+v %v", ex, err)
		}
		onDisk, err := shimclient.ReadExit(dir)
		if err != nil || onDisk.ExitCode != 3 || onDisk.ExitedAt == "" {
			t.Fatalf("exit.json: %+v %v", onDisk, err)
		}
		var got []string
		logs.Read(ctx, cfg.LogPath, logs.ReadConfig{Tail: -1}, func(m logs.Message) error {
			got = append(got, m.Stream+":"+string(m.Line))
			return nil
		})
		if strings.Join(got, "|") != "stdout:hi\n|stderr:err\n" && strings.Join(got, "|") != "stderr:err\n|stdout:hi\n" {
			t.Fatalf("log entries %q", got)
		}
		waitGone(t, e, dir, cfg)
		// With the shim gone, Wait still answers from exit.json.
		if ex, err := shimclient.Wait(ctx, dir); err != nil || ex.ExitCode != 3 {
			t.Fatalf("wait after exit: %+v %v", ex, err)
		}
	})

	t.Run("tty", func(t *testing.T) {
		dir, cfg := e.container(true, "sh", "-c", "sleep 0.3; tty; stty size")
		if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
			t.Fatal(err)
		}
		conn, err := shimclient.Attach(ctx, dir, false, true, false)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := shimclient.Resize(ctx, dir, 40, 120); err != nil {
			t.Fatal(err)
		}
		if _, err := shimclient.StartContainer(ctx, dir); err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(conn)
		if !strings.Contains(string(out), "/dev/pts/0\r\n40 120\r\n") {
			t.Fatalf("tty output %q", out)
		}
		ex, err := shimclient.Wait(ctx, dir)
		if err != nil || ex.ExitCode != 0 {
			t.Fatalf("wait: %+v %v", ex, err)
		}
		log := string(mustRead(t, cfg.LogPath))
		if !strings.Contains(log, `"log":"/dev/pts/0\r\n","stream":"stdout"`) {
			t.Fatalf("log %s", log)
		}
		waitGone(t, e, dir, cfg)
	})

	t.Run("sigkill is 137", func(t *testing.T) {
		dir, cfg := e.container(false, "sleep", "100")
		if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
			t.Fatal(err)
		}
		pid, err := shimclient.StartContainer(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := shimclient.StartContainer(ctx, dir); err == nil {
			t.Fatal("second start succeeded")
		}
		res := make(chan shimproto.Exit, 1)
		go func() {
			ex, _ := shimclient.Wait(ctx, dir)
			res <- ex
		}()
		time.Sleep(100 * time.Millisecond)
		syscall.Kill(pid, syscall.SIGKILL)
		select {
		case ex := <-res:
			if ex.ExitCode != 137 {
				t.Fatalf("exit %+v", ex)
			}
		case <-ctx.Done():
			t.Fatal("timeout")
		}
		waitGone(t, e, dir, cfg)
	})

	t.Run("stdin once", func(t *testing.T) {
		dir, cfg := e.container(false, "cat")
		cfg.OpenStdin, cfg.StdinOnce = true, true
		if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
			t.Fatal(err)
		}
		conn, err := shimclient.Attach(ctx, dir, true, true, true)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := shimclient.StartContainer(ctx, dir); err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("abc\n"))
		conn.(*net.UnixConn).CloseWrite()
		out, _ := demux(t, conn)
		if out != "abc\n" {
			t.Fatalf("stdout %q", out)
		}
		if ex, err := shimclient.Wait(ctx, dir); err != nil || ex.ExitCode != 0 {
			t.Fatalf("wait: %+v %v", ex, err)
		}
		waitGone(t, e, dir, cfg)
	})

	t.Run("missing executable", func(t *testing.T) {
		dir, cfg := e.container(false, "nosuchcmd")
		err := shimclient.Start(ctx, e.shim, dir, cfg)
		if err == nil {
			_, err = shimclient.StartContainer(ctx, dir)
		}
		if err == nil || !strings.Contains(err.Error(), "executable file not found") {
			t.Fatalf("error %v", err)
		}
		t.Logf("runtime error: %v", err)
	})

	t.Run("init reaps and forwards", func(t *testing.T) {
		dir, cfg := e.container(false, "/bin/berth-init", "init", "--", "sh", "-c", "sleep 100 & echo started; wait")
		if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
			t.Fatal(err)
		}
		conn, err := shimclient.Attach(ctx, dir, false, true, true)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		pid, err := shimclient.StartContainer(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		hdr := make([]byte, 8+len("started\n"))
		if _, err := io.ReadFull(conn, hdr); err != nil || string(hdr[8:]) != "started\n" {
			t.Fatalf("%q %v", hdr, err)
		}
		syscall.Kill(pid, syscall.SIGTERM) // forwarded to sh, which dies of it
		ex, err := shimclient.Wait(ctx, dir)
		if err != nil || ex.ExitCode != 128+int(syscall.SIGTERM) {
			t.Fatalf("wait: %+v %v", ex, err)
		}
		waitGone(t, e, dir, cfg)
	})
}

// The daemon hands an output-only client's own connection to the shim: the
// shim then writes frames straight to it and closes it at exit.
func TestShimAttachFd(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	dir, cfg := e.container(false, "sh", "-c", "echo out; echo err >&2")
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	handed := os.NewFile(uintptr(fds[0]), "handed")
	client := os.NewFile(uintptr(fds[1]), "client")
	defer client.Close()
	if err := shimclient.AttachFd(ctx, dir, handed, true, false); err != nil {
		t.Fatal(err)
	}
	// The same socket: the shim made room in it for two whole 256 KiB frames.
	if sndbuf, err := syscall.GetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_SNDBUF); err != nil || sndbuf < 2*(256<<10) {
		t.Fatalf("handed socket's SO_SNDBUF = %d (%v), want at least 512 KiB", sndbuf, err)
	}
	handed.Close() // the shim holds its own copy now
	if _, err := shimclient.StartContainer(ctx, dir); err != nil {
		t.Fatal(err)
	}
	out, errOut := demux(t, client)
	if out != "out\n" || errOut != "" {
		t.Fatalf("stdout %q stderr %q; want only stdout, which was asked for", out, errOut)
	}
	if ex, err := shimclient.Wait(ctx, dir); err != nil || ex.ExitCode != 0 {
		t.Fatalf("wait: %+v %v", ex, err)
	}
	waitGone(t, e, dir, cfg)
}
