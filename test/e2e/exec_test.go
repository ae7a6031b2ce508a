package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func TestExec(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	cases := []struct {
		name     string
		args     []string
		wantOut  string
		wantCode int
	}{
		{"echo", []string{"exec", name, "echo", "hi"}, "hi\n", 0},
		{"exit code", []string{"exec", name, "sh", "-c", "exit 7"}, "", 7},
		{"env", []string{"exec", "-e", "FOO=bar", name, "sh", "-c", "echo $FOO"}, "bar\n", 0},
		{"user", []string{"exec", "-u", "nobody", name, "id", "-u"}, "65534\n", 0},
		{"uid:gid", []string{"exec", "-u", "1000:1000", name, "id"}, "uid=1000 gid=1000 groups=1000\n", 0},
		{"workdir", []string{"exec", "-w", "/tmp", name, "pwd"}, "/tmp\n", 0},
		{"stdin", []string{"exec", "-i", name, "cat"}, "", 0}, // stdin closed: empty echo
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.dk(c.args...)
			if r.Code != c.wantCode || r.Stdout != c.wantOut {
				t.Fatalf("docker %s: %s\nwant exit %d stdout %q", strings.Join(c.args, " "), r, c.wantCode, c.wantOut)
			}
		})
	}
	// A missing command: exit 127, and Docker's message (in runc's wording,
	// whichever runtime runs it) written into the stream, on stdout.
	r := d.dk("exec", name, "no-such-binary")
	if r.Code != 127 || !strings.HasPrefix(r.Stdout, "OCI runtime exec failed: ") ||
		!strings.Contains(r.Stdout, `exec: "no-such-binary": executable file not found in $PATH`) {
		t.Fatalf("exec of a missing command: %s; want exit 127 and Docker's message on stdout", r)
	}
	// An unknown user: dockerd's message on the stream, exit 126; a
	// detached start that fails leaves the exec over (126), not running.
	r = d.dk("exec", "-u", "nosuch", name, "true")
	if r.Code != 126 || !strings.Contains(r.Stdout, "unable to find user nosuch: no matching entries in passwd file") {
		t.Fatalf("exec -u nosuch: %s; want exit 126 and the message on the stream", r)
	}
	code, body, _ := apiCall(t, d, "POST", "/containers/"+name+"/exec", "application/json", []byte(`{"Cmd":["true"],"User":"nosuch"}`))
	if code != 201 {
		t.Fatalf("exec create: %d %s", code, body)
	}
	execID := strings.Split(body, `"`)[3]
	if code, body, _ = apiCall(t, d, "POST", "/exec/"+execID+"/start", "application/json", []byte(`{"Detach":true}`)); code < 400 {
		t.Fatalf("detached start with an unknown user: %d %s", code, body)
	}
	if _, body, _ = apiCall(t, d, "GET", "/exec/"+execID+"/json", "", nil); !strings.Contains(body, `"Running":false`) || !strings.Contains(body, `"ExitCode":126`) {
		t.Fatalf("failed exec inspect: %s", body)
	}
	// Exec processes share the container's PID namespace.
	if out := d.must(t, "exec", name, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"); out != "sleep 300 " {
		t.Fatalf("PID 1 seen from exec = %q, want the container's sleep", out)
	}
}

func TestExecStdinPiped(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	r := d.dockerIn(strings.NewReader("piped-in\n"), "exec", "-i", name, "cat")
	if r.Code != 0 || r.Stdout != "piped-in\n" {
		t.Fatalf("exec -i cat: %s", r)
	}
}

func TestExecStoppedContainer(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "true")
	d.must(t, "wait", name)
	r := d.dk("exec", name, "echo", "hi")
	if r.Code == 0 || !strings.Contains(r.Stderr, "is not running") {
		t.Fatalf("exec in a stopped container: %s; want an error saying it is not running", r)
	}
}

func TestExecTTY(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	out := runWithPTY(t, d.dockerEnv(), "tty; exit\r", dockerCLI, "exec", "-it", name, "sh")
	if !strings.Contains(out, "/dev/pts/") {
		t.Fatalf("exec -it output = %q, want a /dev/pts/N tty", out)
	}
}

func TestRunTTY(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	out := runWithPTY(t, d.dockerEnv(), "tty; stty size; exit\r", dockerCLI, "run", "--rm", "-it", "busybox", "sh")
	if !strings.Contains(out, "/dev/pts/") {
		t.Fatalf("run -it output = %q, want a /dev/pts/N tty", out)
	}
	if !strings.Contains(out, "40 100") {
		t.Fatalf("run -it output = %q, want the terminal size 40 100", out)
	}
}

// runWithPTY runs bin with a pseudo-terminal (40x100) as its stdio, types input once the
// program is up, and returns everything it printed until it exits (or 30s pass).
func runWithPTY(t *testing.T, env []string, input, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mu sync.Mutex
	var buf bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	// Wait for the shell's prompt before typing.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		seen := strings.ContainsAny(buf.String(), "#$")
		mu.Unlock()
		if seen {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := io.WriteString(f, input); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Logf("%s %v: %v", bin, args, err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s %v did not exit; output so far: %q", bin, args, buf.String())
	}
	select {
	case <-readDone:
	case <-time.After(2 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	return buf.String()
}

// An exec whose command cannot start leaves the runtime's forked child to
// the daemon (a subreaper). It must be reaped: a zombie in the container's
// PID namespace keeps the container's init from ever finishing its exit,
// and stop then fails with "did not exit after SIGKILL".
func TestFailedExecDoesNotPinTheContainer(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	for _, args := range [][]string{{"exec", name, "nosuchcmd"}, {"exec", "-t", name, "nosuchcmd"}, {"exec", "-d", name, "nosuchcmd"}} {
		if r := d.dk(args...); r.Code == 0 {
			t.Fatalf("%v succeeded: %s", args, r)
		}
	}
	if r := d.dk("stop", "-t", "1", name); r.Code != 0 {
		t.Fatalf("stop after failed execs: %s", r)
	}
	if got := d.inspect(t, name, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 137" {
		t.Fatalf("after stop: %q, want exited 137", got)
	}
	// Exec scratch files live under the exec root and go with each exec.
	if left, _ := os.ReadDir(filepath.Join(d.execRoot, "exec")); len(left) > 0 {
		t.Fatalf("exec scratch dirs left after the execs ended: %v", left)
	}
	daemonPid := strings.TrimSpace(readFileT(t, d.pidfile))
	if z := zombiesOf(daemonPid); len(z) > 0 {
		t.Fatalf("zombie child of the daemon left: %s", z[0])
	}
}

// zombiesOf lists the /proc stat lines of the zombie children of pid.
func zombiesOf(pid string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 1 && f[0] == "Z" && f[1] == pid {
			out = append(out, s)
		}
	}
	return out
}

// A probe whose command the runtime cannot start leaves the runtime's
// forked child to the daemon, as a failed exec does; it is reaped, not
// left to pile up one per probe while the container runs.
func TestFailedProbeLeavesNoZombie(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "300"},
			Healthcheck: &container.HealthConfig{Test: []string{"CMD", "nosuchcmd"}, Interval: 200 * time.Millisecond, Retries: 1}},
		Name: uniqueName(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	defer d.dk("rm", "-f", created.ID)
	waitFor(t, 20*time.Second, "three failed probes", func() bool {
		h := d.health(t, created.ID)
		return h != nil && len(h.Log) >= 3
	})
	if last := d.health(t, created.ID).Log[0]; !strings.Contains(last.Output, "nosuchcmd") {
		t.Fatalf("probe of a missing command: %+v", last)
	}
	daemonPid := strings.TrimSpace(readFileT(t, d.pidfile))
	waitFor(t, 10*time.Second, "no zombie child of the daemon between probes", func() bool { return len(zombiesOf(daemonPid)) == 0 })
}

func readFileT(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The detach keys end a `docker exec -it` session and leave its process
// running, as in Docker. The docker CLI spots them itself and hangs up;
// a client that sends them on (the moby client here) is detached by the
// daemon, with an exec_detach event. Keys that do not parse are refused
// at create.
func TestExecDetachKeys(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "busybox", "sleep", "300")
	defer d.dk("rm", "-f", name)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	runWithPTY(t, d.dockerEnv(), "sleep 1234\r\x10\x11", dockerCLI, "exec", "-it", name, "sh")

	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ex, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: []string{"sh"}, TTY: true, AttachStdin: true, AttachStdout: true, DetachKeys: "ctrl-x",
	})
	if err != nil {
		t.Fatal(err)
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: true})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	att.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(att.Conn, "sleep 4321\r\x18"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(att.Reader); err != nil { // the daemon ends the stream
		t.Fatalf("the stream did not end at the detach keys: %v", err)
	}

	for _, want := range []string{"sleep 1234", "sleep 4321"} {
		var ps string
		for i := 0; i < 100; i++ {
			if ps = d.must(t, "exec", name, "ps", "-o", "args"); strings.Contains(ps, want) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(ps, want) {
			t.Fatalf("after detaching, %q is not running in the container:\n%s", want, ps)
		}
	}
	if insp, err := c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{}); err != nil || !insp.Running {
		t.Fatalf("the detached exec: %+v %v", insp, err)
	}
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	if got := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+name, "--filter", "event=exec_detach", "--format", "{{.Action}} {{index .Actor.Attributes \"execID\"}}"); got != "exec_detach "+ex.ID+"\n" {
		t.Fatalf("exec_detach events: %q, want one for %s", got, ex.ID)
	}
	if r := d.dk("exec", "--detach-keys", "ctrl-+", name, "true"); r.Code == 0 || !strings.Contains(r.Stderr, "Invalid escape keys (ctrl-+) provided") {
		t.Fatalf("exec with bad detach keys: %s", r)
	}
}
