package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/shimproto"
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
	startThroughFifo(t, ctx, dir, cfg, runcPath)
}

// startThroughFifo starts a created container through the shim and checks what
// both runtimes' fifo starts promise: the fifo is there before and gone after,
// the runtime reports the container running with the pid the shim returned,
// and a second start is refused. The container is killed at the test's end.
func startThroughFifo(t *testing.T, ctx context.Context, dir string, cfg shimproto.Config, runtime string) int {
	t.Helper()
	fifo := filepath.Join(cfg.RuntimeRoot, cfg.ID, "exec.fifo")
	if _, err := os.Lstat(fifo); err != nil {
		t.Fatalf("after create, the runtime's exec fifo: %v", err)
	}
	pid, err := shimclient.StartContainer(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		shimclient.Wait(ctx, dir)
	})
	if _, err := os.Lstat(fifo); !os.IsNotExist(err) {
		t.Fatalf("exec fifo still there after start: %v", err)
	}
	out, err := exec.Command(runtime, "--root", cfg.RuntimeRoot, "state", cfg.ID).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"status": "running"`) || !strings.Contains(string(out), `"pid": `+strconv.Itoa(pid)) {
		t.Fatalf("%s state: %s (pid %d)", runtime, out, pid)
	}
	if _, err := shimclient.StartContainer(ctx, dir); err == nil {
		t.Fatal("a second start succeeded")
	}
	return pid
}

// The same for crun, whose fifo goes the other way: its init waits to read a
// byte, which the shim writes as `crun start` would, without running crun.
func TestStartThroughCrunExecFifo(t *testing.T) {
	crun, err := exec.LookPath("crun")
	if err != nil {
		t.Skip("crun not installed")
	}
	e := newEnv(t)
	ctx := ctx(t)
	dir, cfg := e.container(false, "sh", "-c", "sleep 1000")
	// A wrapper named crun records what the shim runs.
	calls := filepath.Join(e.tmp, "crun-calls")
	wrapper := filepath.Join(e.tmp, "bin", "crun")
	os.MkdirAll(filepath.Dir(wrapper), 0o755)
	script := "#!/bin/sh\nfor a; do case $a in create|start|delete) echo $a >> " + calls + ";; esac; done\nexec " + crun + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Runtime, cfg.RuntimeRoot = wrapper, filepath.Join(e.tmp, "crun")
	// crun 1.8 refuses newer spec versions; berth writes this one too (runtime.ociVersion).
	spec, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	spec = regexp.MustCompile(`"ociVersion":"[^"]*"`).ReplaceAll(spec, []byte(`"ociVersion":"1.0.2-dev"`))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command(crun, "--root", cfg.RuntimeRoot, "delete", "--force", cfg.ID).Run() })
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		if strings.Contains(err.Error(), "cgroups in hybrid mode not supported") {
			t.Skip("crun refuses this host's cgroup layout")
		}
		t.Fatal(err)
	}
	pid := startThroughFifo(t, ctx, dir, cfg, crun)
	// Released: the init goes on to exec the container's command.
	deadline := time.Now().Add(5 * time.Second)
	for {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if strings.Contains(string(cmdline), "sleep") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the init did not exec its command after start: cmdline %q", cmdline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ran, _ := os.ReadFile(calls); string(ran) != "create\n" {
		t.Fatalf("the shim ran crun for %q, want only create", ran)
	}
}
