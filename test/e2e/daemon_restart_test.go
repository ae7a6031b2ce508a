package e2e

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDaemonKill9KeepsContainers kills the daemon with SIGKILL while containers run, then
// checks that they kept running and logging, and that a restarted daemon picks them up.
func TestDaemonKill9KeepsContainers(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	logger := d.runD(t, "--name", "logger", "busybox", "sh", "-c", "i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.2; done")
	sleeper := d.runD(t, "--name", "sleeper", "busybox", "sleep", "300")
	d.runD(t, "--name", "exiter", "busybox", "sh", "-c", "sleep 2; exit 7")
	d.runD(t, "--name", "always", "--restart", "always", "busybox", "sleep", "300")
	d.must(t, "create", "--name", "created", "busybox", "true")
	d.rmOnCleanup(t, "created")
	d.runD(t, "--name", "done", "busybox", "sh", "-c", "exit 3")
	d.must(t, "wait", "done")

	before := strings.Fields(d.must(t, "ps", "-aq"))
	pids := map[string]int{}
	for _, n := range []string{"logger", "sleeper", "exiter", "always"} {
		pids[n], _ = strconv.Atoi(d.inspect(t, n, "{{.State.Pid}}"))
		if !pidAlive(pids[n]) {
			t.Fatalf("%s: pid %d not alive before the kill", n, pids[n])
		}
	}
	logsBefore := strings.Count(d.must(t, "logs", "logger"), "\n")

	d.kill9(t)
	// While the daemon is down: processes keep running, "exiter" exits, "always" is killed.
	if err := syscall.Kill(pids["always"], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	for _, n := range []string{"logger", "sleeper"} {
		if !pidAlive(pids[n]) {
			t.Fatalf("%s (pid %d) died with the daemon", n, pids[n])
		}
	}

	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	after := strings.Fields(d.must(t, "ps", "-aq"))
	if len(after) != len(before) {
		t.Fatalf("ps -a after restart lists %d containers, before %d", len(after), len(before))
	}
	ps := d.must(t, "ps")
	for _, n := range []string{"logger", "sleeper"} {
		if row := psRow(t, ps, n); !strings.Contains(row, "Up ") {
			t.Fatalf("%s after daemon restart: %q, want Up", n, row)
		}
		if pid, _ := strconv.Atoi(d.inspect(t, n, "{{.State.Pid}}")); pid != pids[n] {
			t.Fatalf("%s pid after restart = %d, want the same process %d", n, pid, pids[n])
		}
	}
	// Logs written while the daemon was down are there, and new ones keep coming.
	n1 := strings.Count(d.must(t, "logs", "logger"), "\n")
	if n1 < logsBefore+10 {
		t.Fatalf("logger has %d lines after ~3s down (had %d): it stopped logging", n1, logsBefore)
	}
	waitFor(t, 10*time.Second, "new log lines after the restart", func() bool {
		out, _, _ := d.docker("logs", "logger")
		return strings.Count(out, "\n") > n1+3
	})
	// The container that exited meanwhile shows its real exit code.
	if got := d.inspect(t, "exiter", "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 7" {
		t.Fatalf("exiter after restart: %q, want \"exited 7\"", got)
	}
	if out := strings.TrimSpace(d.must(t, "wait", "exiter")); out != "7" {
		t.Fatalf("wait exiter = %q", out)
	}
	if got := d.inspect(t, "done", "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 3" {
		t.Fatalf("done after restart: %q", got)
	}
	if got := d.inspect(t, "created", "{{.State.Status}}"); got != "created" {
		t.Fatalf("created after restart: %q", got)
	}
	// The restart-always container whose process died while the daemon was down is back.
	waitFor(t, 30*time.Second, "the restart-always container to run again", func() bool {
		out, _, _ := d.docker("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", "always")
		f := strings.Fields(out)
		if len(f) != 2 || f[0] != "true" {
			return false
		}
		pid, _ := strconv.Atoi(f[1])
		return pid != pids["always"] && pidAlive(pid)
	})
	// And it can still be controlled.
	d.must(t, "stop", "-t", "1", "sleeper")
	if pidAlive(pids["sleeper"]) {
		t.Fatal("sleeper still alive after docker stop")
	}
	if got := d.inspect(t, "sleeper", "{{.State.Status}}"); got != "exited" {
		t.Fatalf("sleeper after stop: %q", got)
	}
	if out := d.must(t, "exec", "logger", "echo", "exec-ok"); out != "exec-ok\n" {
		t.Fatalf("exec after restart = %q", out)
	}
	_ = logger
	_ = sleeper
}

// TestDaemonGracefulRestart stops the daemon with SIGTERM and checks state survives.
func TestDaemonGracefulRestart(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	d.runD(t, "--name", "ctr-a", "--label", "k=v", "busybox", "sleep", "300")
	d.must(t, "create", "--name", "ctr-b", "-e", "X=1", "busybox", "true")
	d.rmOnCleanup(t, "ctr-b")
	d.must(t, "tag", "busybox", "kept:v1")
	d.restart(t)
	if got := d.inspect(t, "ctr-b", "{{.State.Status}} {{json .Config.Env}}"); !strings.HasPrefix(got, "created ") || !strings.Contains(got, "X=1") {
		t.Fatalf("ctr-b after restart: %q", got)
	}
	if got := d.inspect(t, "ctr-a", `{{index .Config.Labels "k"}}`); got != "v" {
		t.Fatalf("ctr-a's label after restart: %q", got)
	}
	if out := d.must(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "kept:v1") {
		t.Fatalf("images after restart: %q", out)
	}
	d.must(t, "start", "ctr-a") // running or not, start must leave it running
	if got := d.inspect(t, "ctr-a", "{{.State.Status}}"); got != "running" {
		t.Fatalf("ctr-a after restart + start: %q", got)
	}
	r := d.dk("start", "-a", "ctr-b")
	if r.Code != 0 {
		t.Fatalf("start -a ctr-b after restart: %s", r)
	}
}

// A container keeps the runtime it was created with: a daemon restarted
// with another default runtime still execs into, stops and removes it.
func TestContainerKeepsItsRuntimeAcrossRestart(t *testing.T) {
	other := map[string]string{"runc": "crun", "crun": "runc"}[runtimeBin]
	if _, err := exec.LookPath(other); err != nil {
		t.Skipf("needs %s besides %s", other, runtimeBin)
	}
	d := startDaemon(t)
	d.busybox(t)
	id := d.runD(t, "busybox", "sleep", "300")
	d.mu.Lock()
	d.extra = append(d.extra, "--runtime", other)
	d.mu.Unlock()
	d.restart(t)
	if got := d.inspect(t, id, "{{.HostConfig.Runtime}}"); got != runtimeBin {
		t.Fatalf("HostConfig.Runtime = %q, want %q (the runtime it was created with)", got, runtimeBin)
	}
	if out := d.must(t, "exec", id, "echo", "still-managed"); out != "still-managed\n" {
		t.Fatalf("exec after the restart = %q", out)
	}
	d.must(t, "stop", "-t", "1", id)
	d.must(t, "rm", id)
}
