package shimclient

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
)

// TestLongSocketPath checks that a bundle dir longer than sun_path allows
// is still reachable (the shim binds relative to its bundle dir).
func TestLongSocketPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	df, err := os.OpenFile(dir, os.O_RDONLY|unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	l, err := net.Listen("unix", "/proc/self/fd/"+strconv.Itoa(int(df.Fd()))+"/"+shimproto.SocketFile)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		if string(buf[:n]) == "resize 10 20\n" {
			c.Write([]byte("ok\n"))
		} else {
			c.Write([]byte("error: bad request " + strconv.Quote(string(buf[:n])) + "\n"))
		}
		c.Close()
	}()
	if err := Resize(context.Background(), dir, 10, 20); err != nil {
		t.Fatal(err)
	}
}

func TestWaitFallsBackToExitFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Wait(context.Background(), dir); !errors.Is(err, ErrShimGone) {
		t.Fatalf("want ErrShimGone, got %v", err)
	}
	if Alive(dir) {
		t.Fatal("Alive without shim.pid")
	}
	// A pid that exists but is not a shim for this dir is not alive.
	os.WriteFile(filepath.Join(dir, shimproto.ShimPid), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if Alive(dir) {
		t.Fatal("Alive for a process that is not this dir's shim")
	}
	want := shimproto.Exit{ExitCode: 42, ExitedAt: "2026-01-01T00:00:00Z"}
	if err := atomicfile.WriteJSON(filepath.Join(dir, shimproto.ExitFile), want, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Wait(context.Background(), dir)
	if err != nil || got != want {
		t.Fatalf("got %+v %v", got, err)
	}
}

func TestStartReportsShimError(t *testing.T) {
	dir := t.TempDir()
	// A stand-in shim that reports an error on fd 3, as berth-shim does.
	script := filepath.Join(dir, "fake-shim")
	os.WriteFile(script, []byte("#!/bin/sh\necho 'error: boom' >&3\n"), 0o755)
	err := Start(context.Background(), script, dir, shimproto.Config{ID: "x"})
	if err == nil || err.Error() != "boom" {
		t.Fatalf("got %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, shimproto.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := shimproto.ParseConfig(data); err != nil || cfg.ID != "x" {
		t.Fatalf("shim config: %+v %v", cfg, err)
	}
	os.WriteFile(script, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	if err := Start(context.Background(), script, dir, shimproto.Config{}); err == nil || !strings.Contains(err.Error(), "before it was ready") {
		t.Fatalf("got %v", err)
	}
}
