package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRunRmEcho(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	out := d.must(t, "run", "--rm", "busybox", "echo", "hello", "world")
	if out != "hello world\n" {
		t.Fatalf("stdout = %q, want %q", out, "hello world\n")
	}
	// --rm: nothing is left behind.
	name := uniqueName(t)
	d.must(t, "run", "--rm", "--name", name, "busybox", "true")
	if _, _, code := d.docker("inspect", name); code == 0 {
		t.Fatalf("container %s still exists after run --rm", name)
	}
}

// A --rm container's rw layer is mounted volatile (its writes go with it, and its
// unmount then does not sync the whole disk on the way to run --rm returning); a kept
// container's is not. `restart` keeps a --rm container, as Docker does, and it mounts
// again over the marker its volatile mount left.
func TestRunRmLayerIsVolatileAndRestartKeepsIt(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	rootfsOpts := func(id string) string {
		data, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 4 && strings.HasSuffix(f[4], id+"/rootfs") {
				return line
			}
		}
		t.Fatalf("no rootfs mount for %s", id)
		return ""
	}
	rm := uniqueName(t)
	id := d.runD(t, "--rm", "--name", rm, "busybox", "sh", "-c", "echo run >> /f; sleep 300")
	if opts := rootfsOpts(id); !strings.Contains(opts, "volatile") {
		t.Fatalf("--rm container's rootfs is not volatile: %s", opts)
	}
	kept := d.runD(t, "--name", uniqueName(t), "busybox", "sleep", "300")
	if opts := rootfsOpts(kept); strings.Contains(opts, "volatile") {
		t.Fatalf("a kept container's rootfs is volatile: %s", opts)
	}
	d.must(t, "rm", "-f", kept)

	d.must(t, "restart", "-t", "1", rm)
	if st := d.inspect(t, rm, "{{.State.Status}}"); st != "running" {
		t.Fatalf("--rm container after restart: %q, want running (Docker keeps it)", st)
	}
	// The same rw layer, mounted again: the first run's line is still there.
	waitFor(t, 10*time.Second, "both runs' lines in /f", func() bool {
		out, _, _ := d.docker("exec", rm, "cat", "/f")
		return out == "run\nrun\n"
	})
	d.must(t, "stop", "-t", "1", rm)
	waitFor(t, 10*time.Second, "the --rm container removed after its stop", func() bool {
		_, _, code := d.docker("inspect", rm)
		return code != 0
	})
}

func TestDetachedLifecycle(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "busybox", "sleep", "300")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex ID", id)
	}

	ps := d.must(t, "ps")
	lines := strings.Split(strings.TrimRight(ps, "\n"), "\n")
	header := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(lines[0]), -1)
	want := []string{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}
	if strings.Join(header, "|") != strings.Join(want, "|") {
		t.Fatalf("ps header = %q, want columns %v", lines[0], want)
	}
	row := psRow(t, ps, name)
	if !strings.HasPrefix(row, id[:12]) || !strings.Contains(row, "Up ") || !strings.Contains(row, "busybox") {
		t.Fatalf("ps row for %s = %q, want short ID, busybox, Up", name, row)
	}

	d.must(t, "stop", "-t", "1", name)
	if st := d.inspect(t, name, "{{.State.Status}}"); st != "exited" {
		t.Fatalf("status after stop = %q, want exited", st)
	}
	if strings.Contains(d.must(t, "ps", "-q", "--no-trunc"), id) {
		t.Fatal("stopped container still listed by ps without -a")
	}
	if !strings.Contains(d.must(t, "ps", "-aq", "--no-trunc"), id) {
		t.Fatal("stopped container missing from ps -a")
	}

	d.must(t, "start", name)
	if st := d.inspect(t, name, "{{.State.Status}}"); st != "running" {
		t.Fatalf("status after start = %q, want running", st)
	}
	pid1 := d.inspect(t, name, "{{.State.Pid}}")
	d.must(t, "restart", "-t", "1", name)
	if st := d.inspect(t, name, "{{.State.Status}}"); st != "running" {
		t.Fatalf("status after restart = %q, want running", st)
	}
	if pid2 := d.inspect(t, name, "{{.State.Pid}}"); pid2 == pid1 || pid2 == "0" {
		t.Fatalf("pid after restart = %s (before %s): want a new process", pid2, pid1)
	}

	if r := d.dk("rm", name); r.Code == 0 {
		t.Fatal("rm of a running container succeeded without -f")
	}
	d.must(t, "rm", "-f", name)
	if _, _, code := d.docker("inspect", name); code == 0 {
		t.Fatal("container still exists after rm -f")
	}
}

// psRow returns the ps line whose NAMES column is name.
func psRow(t testing.TB, ps, name string) string {
	t.Helper()
	for _, l := range strings.Split(ps, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[len(f)-1] == name {
			return l
		}
	}
	t.Fatalf("no ps row for %s in:\n%s", name, ps)
	return ""
}

func TestExitCodes(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"exit 3", []string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, 3},
		{"command not found", []string{"run", "--rm", "busybox", "nonexistent-cmd"}, 127},
		{"not executable", []string{"run", "--rm", "busybox", "/etc/passwd"}, 126},
		{"bad flag", []string{"run", "--rm", "--no-such-flag", "busybox", "true"}, 125},
		{"unknown image", []string{"run", "--rm", "no-such-image-e2e", "true"}, 125},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.dk(c.args...)
			if r.Code != c.want {
				t.Fatalf("docker %s: exit %d, want %d\n%s", strings.Join(c.args, " "), r.Code, c.want, r)
			}
			// One error, as with dockerd: the removal's wait carries none.
			if strings.Contains(r.Stderr, "Error waiting for container") {
				t.Fatalf("docker %s: a second error from the wait:\n%s", strings.Join(c.args, " "), r)
			}
		})
	}
}

func TestKillExitCode137(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	waitCh := make(chan result, 1)
	go func() { waitCh <- d.dk("wait", name) }()
	time.Sleep(300 * time.Millisecond) // let wait register before the kill
	d.must(t, "kill", name)
	select {
	case r := <-waitCh:
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != "137" {
			t.Fatalf("docker wait after kill: %s; want 137 on stdout", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("docker wait did not return after docker kill")
	}
	if code := d.inspect(t, name, "{{.State.ExitCode}}"); code != "137" {
		t.Fatalf("inspect ExitCode = %s, want 137", code)
	}
	if st := d.inspect(t, name, "{{.State.Status}}"); st != "exited" {
		t.Fatalf("status = %s, want exited", st)
	}
	// wait on an exited container answers at once with the same code.
	if out := strings.TrimSpace(d.must(t, "wait", name)); out != "137" {
		t.Fatalf("second docker wait = %q, want 137", out)
	}
}

func TestWaitExitCode(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "sleep 1; exit 42")
	if out := strings.TrimSpace(d.must(t, "wait", name)); out != "42" {
		t.Fatalf("docker wait = %q, want 42", out)
	}
	if fin := d.inspect(t, name, "{{.State.FinishedAt}}"); strings.HasPrefix(fin, "0001-") {
		t.Fatalf("FinishedAt not set: %s", fin)
	}
}

func TestRename(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	oldName, newName := uniqueName(t), uniqueName(t)
	id := d.runD(t, "--name", oldName, "busybox", "sleep", "300")
	d.must(t, "rename", oldName, newName)
	if got := d.inspect(t, id, "{{.Name}}"); got != "/"+newName {
		t.Fatalf("name after rename = %q, want /%s", got, newName)
	}
	if _, _, code := d.docker("inspect", oldName); code == 0 {
		t.Fatal("old name still resolves after rename")
	}
	// The old name is free again.
	d.runD(t, "--name", oldName, "busybox", "true")
}

func TestPauseUnpause(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	d.must(t, "pause", name)
	if st := d.inspect(t, name, "{{.State.Status}} {{.State.Paused}}"); st != "paused true" {
		t.Fatalf("after pause: %q, want \"paused true\"", st)
	}
	if row := psRow(t, d.must(t, "ps"), name); !strings.Contains(row, "(Paused)") {
		t.Fatalf("ps row = %q, want (Paused)", row)
	}
	if r := d.dk("exec", name, "true"); r.Code == 0 {
		t.Fatal("exec in a paused container succeeded")
	}
	d.must(t, "unpause", name)
	if st := d.inspect(t, name, "{{.State.Status}} {{.State.Paused}}"); st != "running false" {
		t.Fatalf("after unpause: %q, want \"running false\"", st)
	}
	if out := d.must(t, "exec", name, "echo", "alive"); out != "alive\n" {
		t.Fatalf("exec after unpause = %q", out)
	}
}

func TestNameConflict(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "busybox", "sleep", "300")
	r := d.dk("run", "-d", "--name", name, "busybox", "true")
	if r.Code != 125 {
		t.Fatalf("second run with the same name: %s; want exit 125", r)
	}
	want := `Conflict. The container name "/` + name + `" is already in use by container "` + id + `"`
	if !strings.Contains(r.Stderr, want) {
		t.Fatalf("stderr = %q, want it to contain %q", r.Stderr, want)
	}
	r = d.dk("create", "--name", name, "busybox")
	if r.Code == 0 || !strings.Contains(r.Stderr, want) {
		t.Fatalf("create with the same name: %s", r)
	}
}

func TestUnknownContainer(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	for _, verb := range [][]string{{"container", "inspect"}, {"start"}, {"stop"}, {"logs"}, {"rm"}, {"kill"}} {
		t.Run(strings.Join(verb, " "), func(t *testing.T) {
			r := d.dk(append(verb, "nope")...)
			if r.Code != 1 {
				t.Fatalf("docker %s nope: %s; want exit 1", strings.Join(verb, " "), r)
			}
			if !strings.Contains(r.Stderr, "No such container: nope") {
				t.Fatalf("docker %s nope stderr = %q", strings.Join(verb, " "), r.Stderr)
			}
		})
	}
	r := d.dk("stop", "nope")
	if strings.TrimSpace(r.Stderr) != "Error response from daemon: No such container: nope" {
		t.Fatalf("docker stop nope stderr = %q", r.Stderr)
	}
}

func TestInspectFormat(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "-e", "FOO=bar", "busybox", "sleep", "300")
	cases := map[string]string{
		"{{.State.Status}}":    "running",
		"{{.State.Running}}":   "true",
		"{{.Id}}":              id,
		"{{.Config.Image}}":    "busybox",
		"{{json .Config.Cmd}}": `["sleep","300"]`,
	}
	for format, want := range cases {
		if got := d.inspect(t, name, format); got != want {
			t.Errorf("inspect -f %s = %q, want %q", format, got, want)
		}
	}
	if env := d.inspect(t, name, "{{json .Config.Env}}"); !strings.Contains(env, `"FOO=bar"`) {
		t.Errorf("Config.Env = %s, want FOO=bar", env)
	}
	if pid := d.inspect(t, name, "{{.State.Pid}}"); pid == "0" || pid == "" {
		t.Errorf("State.Pid = %q for a running container", pid)
	}
}
