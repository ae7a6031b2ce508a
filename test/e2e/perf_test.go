package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The hot paths of docs/PERFORMANCE.md, end to end through the docker CLI:
// output read in big coalesced chunks, json-file batches, log lines merged
// into big frames, runc started through its exec fifo. No timing here: each
// test checks that the fast path delivers exactly what the plain one did.

// 20 MB through an attached `docker run --rm` arrive whole, and the same
// container's log (kept unrotated) has every line.
func TestPerfAttachedOutputAndLogAreComplete(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	bb := d.busybox(t)
	script := "head -c 20000000 /dev/zero | tr '\\0' a | fold -w 100"
	r := d.dk("run", "--rm", "--network", "none", bb, "sh", "-c", script)
	if r.Code != 0 {
		t.Fatalf("run: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if n := strings.Count(r.Stdout, "a"); n != 20000000 || strings.Count(r.Stdout, "\n") != 199999 {
		t.Fatalf("attached output: %d bytes of 'a', %d newlines", n, strings.Count(r.Stdout, "\n"))
	}

	name := uniqueName(t)
	d.runD(t, "--name", name, "--network", "none", "--log-opt", "max-size=100m", bb, "sh", "-c", script)
	d.must(t, "wait", name)
	out := d.must(t, "logs", name)
	if out != r.Stdout {
		t.Fatalf("logs: %d bytes, the attached run printed %d", len(out), len(r.Stdout))
	}
}

// Lines of one stream share frames; the docker CLI must still get every
// line on its own stream, in order, with --timestamps on each line.
func TestPerfLogsKeepStreamsApartInMergedFrames(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	bb := d.busybox(t)
	name := uniqueName(t)
	d.runD(t, "--name", name, "--network", "none", bb, "sh", "-c",
		`i=0; while [ $i -lt 5000 ]; do echo "out $i <&> \"q\""; [ $((i % 500)) = 0 ] && echo "err $i" >&2; i=$((i+1)); done`)
	d.must(t, "wait", name)

	r := d.dk("logs", name)
	if r.Code != 0 {
		t.Fatalf("logs: %s", r)
	}
	var wantOut, wantErr strings.Builder
	for i := 0; i < 5000; i++ {
		wantOut.WriteString("out " + strconv.Itoa(i) + " <&> \"q\"\n")
		if i%500 == 0 {
			wantErr.WriteString("err " + strconv.Itoa(i) + "\n")
		}
	}
	if r.Stdout != wantOut.String() || r.Stderr != wantErr.String() {
		t.Fatalf("logs: stdout %d bytes (want %d), stderr %q", len(r.Stdout), wantOut.Len(), r.Stderr)
	}

	ts := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out \d+ <&> "q"$`)
	stamped := d.dk("logs", "-t", name)
	if n := len(ts.FindAllString(stamped.Stdout, -1)); n != 5000 {
		t.Fatalf("logs -t: %d timestamped stdout lines, want 5000", n)
	}
	// --tail counts entries of both streams; which stream's last read came
	// last is not defined (two pipes, as in dockerd): three entries, each
	// stream's share being the end of that stream.
	if r := d.dk("logs", "--tail", "3", name); r.Code != 0 || strings.Count(r.Stdout, "\n")+strings.Count(r.Stderr, "\n") != 3 ||
		!strings.HasSuffix(wantOut.String(), r.Stdout) || !strings.HasSuffix(wantErr.String(), r.Stderr) {
		t.Fatalf("logs --tail 3: %s", r)
	}
}

// A runc container started through its exec fifo is a normal running
// container: runc's fifo is gone, exec and top work, and stop ends it.
func TestPerfStartedContainerIsRunning(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	bb := d.busybox(t)
	id := d.runD(t, "--network", "none", bb, "sleep", "1000")
	if out := d.must(t, "inspect", "-f", "{{.State.Running}} {{.State.Pid}}", id); !strings.HasPrefix(out, "true ") || strings.HasPrefix(out, "true 0") {
		t.Fatalf("inspect: %q", out)
	}
	if filepath.Base(runtimeBin) == "runc" {
		state, _ := filepath.Glob(filepath.Join(d.execRoot, "runtime", "*", id))
		if len(state) != 1 {
			t.Fatalf("runc's state dir for %s: %v", id, state)
		}
		if _, err := os.Lstat(filepath.Join(state[0], "exec.fifo")); !os.IsNotExist(err) {
			t.Fatalf("runc's exec fifo is still there after start: %v", err)
		}
	}
	if out := d.must(t, "exec", id, "echo", "hi"); out != "hi\n" {
		t.Fatalf("exec: %q", out)
	}
	if out := d.must(t, "top", id); !strings.Contains(out, "sleep 1000") {
		t.Fatalf("top: %q", out)
	}
	d.must(t, "stop", "-t", "1", id)
	if out := d.must(t, "inspect", "-f", "{{.State.Running}}", id); out != "false\n" {
		t.Fatalf("after stop: %q", out)
	}
}
