package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestRunInteractiveStdin(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	r := d.dockerIn(strings.NewReader("line one\nline two\n"), "run", "--rm", "-i", "busybox", "cat")
	if r.Code != 0 || r.Stdout != "line one\nline two\n" {
		t.Fatalf("run -i cat: %s", r)
	}
	// The container sees EOF when stdin closes and its exit code comes back.
	r = d.dockerIn(strings.NewReader("a\nb\nc\n"), "run", "--rm", "-i", "busybox", "sh", "-c", "wc -l; exit 4")
	if r.Code != 4 || strings.TrimSpace(r.Stdout) != "3" {
		t.Fatalf("run -i wc -l: %s; want 3 and exit 4", r)
	}
}

func TestAttachSeesNewOutput(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done")

	cmd := exec.Command(dockerCLI, "attach", "--no-stdin", name)
	cmd.Env = d.dockerEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < 3 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("attach ended early; got %q", got)
			}
			if !strings.HasPrefix(l, "tick-") {
				t.Fatalf("attach line %q", l)
			}
			got = append(got, l)
		case <-timeout:
			t.Fatalf("attach showed %q in 20s, want 3 new lines", got)
		}
	}
}

func TestAttachStdinToRunningContainer(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "-i", "--name", name, "busybox", "sh", "-c", "read x; echo got-$x; exit 5")
	cmd := exec.Command(dockerCLI, "attach", name)
	cmd.Env = d.dockerEnv()
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	io.WriteString(stdin, "hello\n")
	out, _ := io.ReadAll(stdout)
	err := cmd.Wait()
	if string(out) != "got-hello\n" {
		t.Fatalf("attach output = %q (err %v), want got-hello", out, err)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Fatalf("docker attach exit = %v, want 5 (the container's code)", err)
	}
}

// TestStreamsEndWhenProcessExits: with stdin still open (a terminal nobody types into), the
// client must return as soon as the process exits.
func TestStreamsEndWhenProcessExits(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	for _, args := range [][]string{
		{"exec", "-i", name, "sh", "-c", "echo done; exit 3"},
		{"run", "--rm", "-i", "busybox", "sh", "-c", "echo done; exit 3"},
	} {
		// An *os.File, not an io.Reader: exec hands it to docker directly, so no copying
		// goroutine can keep Wait waiting.
		pr, pw, err := os.Pipe() // never written, closed only at the end
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := d.dockerIn(pr, args...)
		pw.Close()
		pr.Close()
		if r.Code != 3 || r.Stdout != "done\n" {
			t.Errorf("docker %s with open stdin: %s", strings.Join(args, " "), r)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("docker %s took %s with stdin open: the stream did not end at exit", strings.Join(args, " "), el)
		}
	}
}

// ctrl-p ctrl-q in an attached TTY session detaches the client and leaves
// the container running; the daemon watches for the sequence.
func TestDetachKeysLeaveContainerRunning(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.rmOnCleanup(t, name)
	runWithPTY(t, d.dockerEnv(), "echo typed\r\x10\x11", dockerCLI, "run", "-it", "--name", name, "busybox", "sh")
	if got := d.inspect(t, name, "{{.State.Status}}"); got != "running" {
		t.Fatalf("after the detach keys the container is %q, want running", got)
	}
}
