package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunFlags runs one short container per flag and checks what the process saw.
func TestRunFlags(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\nOTHER=two words\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(hostDir, "host.txt"), []byte("from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostname, _ := os.Hostname()

	cases := []struct {
		name     string
		args     []string // between "run --rm" and the image
		cmd      []string
		want     string // exact stdout unless contains is set
		contains bool
		code     int
	}{
		{"env", []string{"-e", "A=1", "--env", "B=x y"}, []string{"sh", "-c", `echo "$A|$B"`}, "1|x y\n", false, 0},
		{"env-file", []string{"--env-file", envFile}, []string{"sh", "-c", `echo "$FROM_FILE|$OTHER"`}, "yes|two words\n", false, 0},
		{"default env", nil, []string{"sh", "-c", `echo "$PATH|$HOME"`}, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root\n", false, 0},
		{"workdir", []string{"-w", "/some/new/dir"}, []string{"pwd"}, "/some/new/dir\n", false, 0},
		{"user uid:gid", []string{"-u", "1000:1000"}, []string{"id"}, "uid=1000 gid=1000 groups=1000\n", false, 0},
		{"user name", []string{"-u", "nobody"}, []string{"id", "-u"}, "65534\n", false, 0},
		{"group-add", []string{"-u", "1000:1000", "--group-add", "2000", "--group-add", "3000"}, []string{"id", "-G"}, "1000 2000 3000\n", false, 0},
		{"entrypoint", []string{"--entrypoint", "echo"}, []string{"from", "entrypoint"}, "from entrypoint\n", false, 0},
		{"hostname", []string{"--hostname", "berth-host"}, []string{"hostname"}, "berth-host\n", false, 0},
		{"read-only", []string{"--read-only"}, []string{"sh", "-c", "touch /x 2>&1; echo rc=$?"}, "Read-only file system", true, 0},
		{"read-only tmp writable with tmpfs", []string{"--read-only", "--tmpfs", "/tmp"}, []string{"sh", "-c", "touch /tmp/x && echo ok"}, "ok\n", false, 0},
		{"tmpfs", []string{"--tmpfs", "/run"}, []string{"sh", "-c", "grep ' /run ' /proc/mounts | cut -d' ' -f3"}, "tmpfs\n", false, 0},
		{"bind mount", []string{"-v", hostDir + ":/data"}, []string{"cat", "/data/host.txt"}, "from-host\n", false, 0},
		{"bind mount ro", []string{"-v", hostDir + ":/data:ro"}, []string{"sh", "-c", "touch /data/new 2>&1; echo rc=$?"}, "Read-only file system", true, 0},
		{"ulimit", []string{"--ulimit", "nofile=1024:1024"}, []string{"sh", "-c", "ulimit -n; ulimit -Hn"}, "1024\n1024\n", false, 0},
		{"network none", []string{"--network", "none"}, []string{"sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"}, "lo\n", false, 0},
		{"default network is bridge", nil, []string{"sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort"}, "eth0\nlo\n", false, 0},
		{"network host", []string{"--network", "host"}, []string{"hostname"}, hostname + "\n", false, 0},
		{"init pid 1", []string{"--init"}, []string{"sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo self=$$"}, "init", true, 0},
		{"no init", nil, []string{"sh", "-c", "echo $$"}, "1\n", false, 0},
		{"exit code", nil, []string{"sh", "-c", "exit 9"}, "", false, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, c.args...), "busybox")
			args = append(args, c.cmd...)
			r := d.dk(args...)
			ok := r.Code == c.code && (r.Stdout == c.want || (c.contains && strings.Contains(r.Stdout, c.want)))
			if !ok {
				t.Fatalf("docker %s: %s\nwant exit %d, stdout %q (contains=%v)", strings.Join(args, " "), r, c.code, c.want, c.contains)
			}
		})
	}
	// The rw bind mount writes through to the host.
	d.must(t, "run", "--rm", "-v", hostDir+":/data", "busybox", "sh", "-c", "echo back > /data/back.txt")
	if b, err := os.ReadFile(filepath.Join(hostDir, "back.txt")); err != nil || string(b) != "back\n" {
		t.Fatalf("file written through the bind mount: %q %v", b, err)
	}
}

func TestNetworkHostSeesHostInterfaces(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	hostNames := func() map[string]bool {
		b, err := os.ReadFile("/proc/net/dev")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, n := range netDevNames(string(b)) {
			m[n] = true
		}
		return m
	}
	// Other tests add and remove veths meanwhile (one may even come and go
	// during the read): the container must see every interface the host
	// had both before and after.
	before := hostNames()
	out := d.must(t, "run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/dev")
	after := hostNames()
	got := map[string]bool{}
	for _, n := range netDevNames(out) {
		got[n] = true
	}
	for n := range before {
		if after[n] && !got[n] {
			t.Errorf("--network host misses the host's %s (it sees %v)", n, netDevNames(out))
		}
	}
}

func netDevNames(procNetDev string) []string {
	var names []string
	for _, l := range strings.Split(procNetDev, "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok {
			names = append(names, strings.TrimSpace(name))
		}
	}
	return names
}

func TestInitReapsZombies(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	// The orphaned sleep is re-parented to PID 1. A real init reaps it; a plain `sleep` as
	// PID 1 leaves a zombie, which shows the check can tell the two apart.
	script := "(sleep 0.2 &); exec sleep 300"
	countZombies := "n=0; for s in /proc/[0-9]*/stat; do case $(cut -d' ' -f3 $s 2>/dev/null) in Z) n=$((n+1));; esac; done; echo $n"
	for _, c := range []struct {
		init bool
		want string
	}{{true, "0"}, {false, "1"}} {
		name := uniqueName(t)
		args := []string{"--name", name}
		if c.init {
			args = append(args, "--init")
		}
		d.runD(t, append(args, "busybox", "sh", "-c", script)...)
		time.Sleep(1500 * time.Millisecond)
		got := strings.TrimSpace(d.must(t, "exec", name, "sh", "-c", countZombies))
		if got != c.want {
			t.Errorf("--init=%v: %s zombies, want %s", c.init, got, c.want)
		}
	}
}

func TestInitForwardsSignals(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--init", "--name", name, "busybox", "sleep", "300")
	start := time.Now()
	d.must(t, "stop", "-t", "20", name)
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("stop took %s: init did not forward SIGTERM to sleep", el)
	}
	if code := d.inspect(t, name, "{{.State.ExitCode}}"); code != "143" {
		t.Fatalf("exit code = %s, want 143 (sleep killed by SIGTERM)", code)
	}
}

func TestRestartOnFailure(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1")
	waitFor(t, 60*time.Second, "restart count 2 and exited", func() bool {
		out, _, _ := d.docker("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", name)
		return strings.TrimSpace(out) == "2 exited"
	})
	time.Sleep(2 * time.Second)
	if got := d.inspect(t, name, "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}"); got != "2 exited 1" {
		t.Fatalf("after settling: %q, want \"2 exited 1\"", got)
	}
	if out := d.must(t, "logs", name); out != "run\nrun\nrun\n" {
		t.Fatalf("logs = %q, want three runs", out)
	}
}

func TestRestartAlways(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "--restart", "always", "busybox", "sleep", "300")
	pid, _ := strconv.Atoi(d.inspect(t, name, "{{.State.Pid}}"))
	if !pidAlive(pid) {
		t.Fatalf("State.Pid %d is not a live process", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var newPid int
	waitFor(t, 30*time.Second, "the container to come back", func() bool {
		out, _, _ := d.docker("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", name)
		f := strings.Fields(out)
		if len(f) == 2 && f[0] == "true" {
			newPid, _ = strconv.Atoi(f[1])
		}
		return newPid != 0 && newPid != pid && pidAlive(newPid)
	})
	if rc := d.inspect(t, name, "{{.RestartCount}}"); rc == "0" {
		t.Fatalf("RestartCount = %s after an automatic restart", rc)
	}
	// An explicit stop is not undone by the policy.
	d.must(t, "stop", "-t", "1", name)
	time.Sleep(2 * time.Second)
	if st := d.inspect(t, name, "{{.State.Status}}"); st != "exited" {
		t.Fatalf("status after docker stop with --restart always = %s", st)
	}
}

func TestStopSignalAndTimeout(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	t.Run("stop-signal", func(t *testing.T) {
		name := uniqueName(t)
		d.runD(t, "--name", name, "--stop-signal", "USR1", "busybox", "sh", "-c",
			"trap 'echo got-usr1; exit 0' USR1; echo ready; while true; do sleep 0.1; done")
		waitFor(t, 10*time.Second, "ready", func() bool { o, _, _ := d.docker("logs", name); return o == "ready\n" })
		d.must(t, "stop", name)
		if out := d.must(t, "logs", name); out != "ready\ngot-usr1\n" {
			t.Fatalf("logs = %q, want the USR1 trap's line", out)
		}
		if code := d.inspect(t, name, "{{.State.ExitCode}}"); code != "0" {
			t.Fatalf("exit code = %s, want 0", code)
		}
		if sig := d.inspect(t, name, "{{.Config.StopSignal}}"); sig != "USR1" && sig != "SIGUSR1" {
			t.Fatalf("Config.StopSignal = %q", sig)
		}
	})
	t.Run("stop-timeout", func(t *testing.T) {
		name := uniqueName(t)
		// PID 1 ignores SIGTERM: only the SIGKILL after the timeout ends it.
		d.runD(t, "--name", name, "--stop-timeout", "1", "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done")
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		d.must(t, "stop", name)
		el := time.Since(start)
		if el < 900*time.Millisecond || el > 8*time.Second {
			t.Fatalf("stop took %s with --stop-timeout 1", el)
		}
		if code := d.inspect(t, name, "{{.State.ExitCode}}"); code != "137" {
			t.Fatalf("exit code = %s, want 137", code)
		}
	})
}

func TestLabelsAndPsFilter(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	a, b := uniqueName(t), uniqueName(t)
	tag := "e2e.label=" + a
	d.runD(t, "--name", a, "--label", tag, "--label", "role=web", "busybox", "sleep", "300")
	d.runD(t, "--name", b, "--label", "role=web", "busybox", "sleep", "300")
	out := d.must(t, "ps", "--filter", "label="+tag, "--format", "{{.Names}}")
	if out != a+"\n" {
		t.Fatalf("ps --filter label=%s = %q, want only %s", tag, out, a)
	}
	if got := d.inspect(t, a, `{{index .Config.Labels "role"}}`); got != "web" {
		t.Fatalf("label role = %q", got)
	}
	out = d.must(t, "ps", "--filter", "name="+b, "--format", "{{.Names}} {{.Label \"role\"}}")
	if out != b+" web\n" {
		t.Fatalf("ps --filter name= with label column = %q", out)
	}
	out = d.must(t, "ps", "-a", "--filter", "status=running", "--filter", "label=role=web", "--format", "{{.Names}}")
	if !strings.Contains(out, a) || !strings.Contains(out, b) {
		t.Fatalf("ps status+label filter = %q, want both", out)
	}
}
