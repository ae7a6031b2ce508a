package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestDetectOnHybridHost(t *testing.T) {
	data, err := os.ReadFile("/sys/fs/cgroup/unified/cgroup.controllers")
	if err != nil || strings.TrimSpace(string(data)) == "" || cgroup2Unified() {
		t.Skip("not a cgroup v1 hybrid host with controllers on the v2 mount")
	}
	if got := Detect(); got != "runc" {
		t.Fatalf("Detect() = %q on a hybrid host crun refuses", got)
	}
}

func TestErrorMessage(t *testing.T) {
	log := []byte(`{"level":"warning","msg":"meh","time":"x"}` + "\n" + `{"level":"error","msg":"container does not exist","time":"x"}` + "\n")
	if got := errorMessage(log); got != "container does not exist" {
		t.Fatalf("got %q", got)
	}
	if !notFoundMessage("error opening file `/r/x/status`: No such file or directory") {
		t.Fatal("crun's not-found message not recognised")
	}
}

// busyboxBundle makes BUNDLE/rootfs from the host's static busybox.
func busyboxBundle(t *testing.T) string {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed")
	}
	bundle := t.TempDir()
	bin := filepath.Join(bundle, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sh", "echo", "grep", "sleep", "cat", "true", "id"} {
		if err := os.Symlink("busybox", filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"proc", "sys", "dev", "etc", "tmp"} {
		os.MkdirAll(filepath.Join(bundle, "rootfs", d), 0o755)
	}
	return bundle
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// removeCgroupParent removes the parent cgroup the test made under every
// hierarchy (the runtime removes the container's own on delete).
func removeCgroupParent(parent string) {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + parent)
	if d := "/sys/fs/cgroup" + parent; !slices.Contains(dirs, d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		sub, _ := os.ReadDir(d)
		for _, s := range sub {
			if s.IsDir() {
				os.Remove(filepath.Join(d, s.Name()))
			}
		}
		os.Remove(d)
	}
}

func TestRuncLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	rt, err := New("runc", t.TempDir())
	if err != nil {
		t.Skip("runc not installed")
	}
	ctx := context.Background()
	bundle := busyboxBundle(t)
	id := "berth-test-" + randHex(6)
	parent := "/berth-test-" + randHex(4)
	t.Cleanup(func() { removeCgroupParent(parent) })

	spec, err := Generate(SpecInput{
		ID:          id,
		Config:      &container.Config{Cmd: []string{"sleep", "1000"}},
		HostConfig:  &container.HostConfig{NetworkMode: "none"},
		RootfsPath:  filepath.Join(bundle, "rootfs"),
		CgroupsPath: parent + "/" + id,
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := rt.Create(ctx, id, bundle, CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { rt.Delete(context.Background(), id, true) })
	if err := rt.Start(ctx, id); err != nil {
		t.Fatalf("start: %v", err)
	}

	st, err := rt.State(ctx, id)
	if err != nil || st.Status != specs.StateRunning || st.Pid <= 0 || st.ID != id {
		t.Fatalf("state %+v %v", st, err)
	}
	pids, err := rt.Ps(ctx, id)
	if err != nil || !slices.Contains(pids, st.Pid) {
		t.Fatalf("ps %v %v (init %d)", pids, err, st.Pid)
	}

	execIn := func(cmd ...string) (string, string, int, error) {
		t.Helper()
		proc, err := ExecProcessSpec(spec, filepath.Join(bundle, "rootfs"), &container.ExecCreateRequest{Cmd: cmd})
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		p, err := rt.Exec(ctx, id, proc, ExecOptions{Stdout: &stdout, Stderr: &stderr})
		if err != nil {
			t.Fatalf("exec start: %v", err)
		}
		code, err := p.Wait()
		if _, serr := os.Stat(p.pidFile); !os.IsNotExist(serr) {
			t.Errorf("pid file left behind after Wait: %v", serr)
		}
		if err == nil && p.Pid() <= 0 { // read before the private pid file went
			t.Errorf("no pid after Wait")
		}
		return stdout.String(), stderr.String(), code, err
	}

	if out, _, code, err := execIn("echo", "hi"); out != "hi\n" || code != 0 || err != nil {
		t.Fatalf("echo: %q %d %v", out, code, err)
	}
	if _, _, code, err := execIn("sh", "-c", "exit 7"); code != 7 || err != nil {
		t.Fatalf("exit 7: %d %v", code, err)
	}
	_, _, code, err := execIn("nosuchbinary")
	var ee *ExecError
	if !errors.As(err, &ee) || !strings.Contains(ee.Msg, `exec: "nosuchbinary": executable file not found in $PATH`) {
		t.Fatalf("missing binary: code %d err %v", code, err)
	}
	if StartFailureExitCode(ee.Msg) != 127 {
		t.Fatalf("missing binary maps to %d", StartFailureExitCode(ee.Msg))
	}

	// Docker's default capability set and seccomp filter are in force.
	out, _, _, err := execIn("grep", "-E", "^(CapEff|Seccomp):", "/proc/self/status")
	if err != nil || !strings.Contains(out, "CapEff:\t00000000a80425fb") || !strings.Contains(out, "Seccomp:\t2") {
		t.Fatalf("security state: %q %v", out, err)
	}

	// A pid is visible while a long exec runs.
	proc, _ := ExecProcessSpec(spec, "", &container.ExecCreateRequest{Cmd: []string{"sleep", "0.5"}})
	p, err := rt.Exec(ctx, id, proc, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Pid() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.Pid() == 0 {
		t.Error("no pid for a running exec")
	}
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Fatalf("sleep exec: %d %v", code, err)
	}

	if err := rt.Pause(ctx, id); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if st, _ := rt.State(ctx, id); st.Status != specs.ContainerState("paused") {
		t.Fatalf("after pause: %s", st.Status)
	}
	if err := rt.Resume(ctx, id); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if st, _ := rt.State(ctx, id); st.Status != specs.StateRunning {
		t.Fatalf("after resume: %s", st.Status)
	}

	limit := int64(128 << 20)
	if err := rt.Update(ctx, id, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &limit}}); err != nil {
		t.Fatalf("update: %v", err)
	}
	memFile := "/sys/fs/cgroup/memory" + parent + "/" + id + "/memory.limit_in_bytes"
	if cgroup2Unified() {
		memFile = "/sys/fs/cgroup" + parent + "/" + id + "/memory.max"
	}
	if got, err := os.ReadFile(memFile); err != nil || strings.TrimSpace(string(got)) != "134217728" {
		t.Fatalf("memory limit after update: %q %v", got, err)
	}

	if err := rt.Kill(ctx, id, syscall.SIGKILL, false); err != nil {
		t.Fatalf("kill: %v", err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		st, err := rt.State(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status == specs.StateStopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after SIGKILL", st.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := rt.Delete(ctx, id, false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := rt.State(ctx, id); !errdefs.IsNotFound(err) {
		t.Fatalf("state after delete: %v", err)
	}
	if err := rt.Kill(ctx, id, syscall.SIGTERM, false); !IsNotFound(err) {
		t.Fatalf("kill after delete: %v", err)
	}
}

// The options users combine most often produce a spec runc accepts, and
// they take effect inside.
func TestRuncOptionsInForce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	rt, err := New("runc", t.TempDir())
	if err != nil {
		t.Skip("runc not installed")
	}
	ctx := context.Background()
	bundle := busyboxBundle(t)
	rootfs := filepath.Join(bundle, "rootfs")
	os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"), 0o644)
	hostDir := t.TempDir()
	os.WriteFile(filepath.Join(hostDir, "f"), []byte("from host\n"), 0o644)
	id := "berth-test-" + randHex(6)
	parent := "/berth-test-" + randHex(4)
	t.Cleanup(func() { removeCgroupParent(parent) })

	spec, err := Generate(SpecInput{
		ID:     id,
		Config: &container.Config{Cmd: []string{"sleep", "1000"}, User: "app", Hostname: "box"},
		HostConfig: &container.HostConfig{
			NetworkMode:    "none",
			Privileged:     true,
			ReadonlyRootfs: true,
			Binds:          []string{hostDir + ":/data:ro"},
			Tmpfs:          map[string]string{"/run": "rw,size=1m,mode=1777"},
			Resources:      container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 512, Hard: 1024}}},
		},
		RootfsPath:  rootfs,
		CgroupsPath: parent + "/" + id,
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(spec)
	os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644)
	if err := rt.Create(ctx, id, bundle, CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { rt.Delete(context.Background(), id, true) })
	if err := rt.Start(ctx, id); err != nil {
		t.Fatalf("start: %v", err)
	}
	// The rlimit is read from the container's init (/proc/1/limits): that
	// is what the spec sets; an exec's own limits are the runtime's business.
	proc, err := ExecProcessSpec(spec, rootfs, &container.ExecCreateRequest{Cmd: []string{"sh", "-c",
		`id -u; cat /data/f; hostname; awk '/Max open files/ {print $4}' /proc/1/limits; touch /run/ok && echo tmpfs-ok; touch /x 2>/dev/null || echo rootfs-ro; touch /data/g 2>/dev/null || echo bind-ro; test -e /dev/loop-control -o -e /dev/kmsg && echo hostdev`}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p, err := rt.Exec(ctx, id, proc, ExecOptions{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Fatalf("exec: %d %v: %s", code, err, out.String())
	}
	want := "1000\nfrom host\nbox\n512\ntmpfs-ok\nrootfs-ro\nbind-ro\nhostdev\n"
	if out.String() != want {
		t.Fatalf("inside:\n%s\nwant:\n%s", out.String(), want)
	}
	if err := rt.Delete(ctx, id, true); err != nil {
		t.Fatalf("delete --force: %v", err)
	}
}
