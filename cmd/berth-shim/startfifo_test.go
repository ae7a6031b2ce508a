package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-dev/berth/internal/shimclient"
)

// The shim starts a runc container through its exec fifo: afterwards the
// fifo is gone and runc itself reports the container running with the pid
// the shim returned, and a second start is refused.
func TestStartThroughRuncExecFifo(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	dir, cfg := e.container(false, "sh", "-c", "sleep 1000")
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(cfg.RuntimeRoot, cfg.ID, "exec.fifo")
	if _, err := os.Lstat(fifo); err != nil {
		t.Fatalf("after create, runc's exec fifo: %v", err)
	}
	pid, err := shimclient.StartContainer(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(pid, syscall.SIGKILL)
		shimclient.Wait(ctx, dir)
	}()
	if _, err := os.Lstat(fifo); !os.IsNotExist(err) {
		t.Fatalf("exec fifo still there after start: %v", err)
	}
	out, err := exec.Command(runcPath, "--root", cfg.RuntimeRoot, "state", cfg.ID).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"status": "running"`) || !strings.Contains(string(out), `"pid": `+strconv.Itoa(pid)) {
		t.Fatalf("runc state: %s (pid %d)", out, pid)
	}
	if _, err := shimclient.StartContainer(ctx, dir); err == nil {
		t.Fatal("a second start succeeded")
	}
}
