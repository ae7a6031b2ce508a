package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLogs(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo out$i; done; sleep 0.2; echo err1 >&2")
	d.must(t, "wait", name)

	r := d.dk("logs", name)
	if r.Code != 0 || r.Stdout != "out1\nout2\nout3\nout4\nout5\n" || r.Stderr != "err1\n" {
		t.Fatalf("logs: %s", r)
	}
	if out := d.must(t, "logs", "--tail", "2", name); out != "out5\n" {
		// stderr's line is the last one; with --tail 2 stdout keeps only out5.
		t.Fatalf("logs --tail 2 stdout = %q, want %q", out, "out5\n")
	}
	if r := d.dk("logs", "--tail", "0", name); r.Stdout != "" || r.Stderr != "" {
		t.Fatalf("logs --tail 0: %s", r)
	}

	ts := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out1$`)
	out := d.must(t, "logs", "-t", name)
	first := strings.SplitN(out, "\n", 2)[0]
	if !ts.MatchString(first) {
		t.Fatalf("logs -t first line = %q, want RFC3339Nano timestamp then the line", first)
	}

	// --since in the future shows nothing; --since long ago shows everything.
	if out := d.must(t, "logs", "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339), name); out != "" {
		t.Fatalf("logs --since future = %q, want nothing", out)
	}
	if out := d.must(t, "logs", "--since", "1h", name); !strings.HasPrefix(out, "out1\n") {
		t.Fatalf("logs --since 1h = %q", out)
	}
}

func TestLogsSinceSplitsOutput(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "echo before; sleep 3; echo after; sleep 300")
	waitFor(t, 10*time.Second, "the first line", func() bool {
		out, _, _ := d.docker("logs", name)
		return out == "before\n"
	})
	mark := time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
	waitFor(t, 10*time.Second, "the second line", func() bool {
		out, _, _ := d.docker("logs", name)
		return strings.Contains(out, "after")
	})
	if out := d.must(t, "logs", "--since", mark, name); out != "after\n" {
		t.Fatalf("logs --since %s = %q, want %q", mark, out, "after\n")
	}
}

func TestLogsFollow(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "echo one; sleep 2; echo two; sleep 1; echo three")
	start := time.Now()
	r := d.dk("logs", "-f", name)
	if r.Code != 0 || r.Stdout != "one\ntwo\nthree\n" {
		t.Fatalf("logs -f: %s", r)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("logs -f returned after %s: it did not follow until exit", time.Since(start))
	}
}

func TestLogRotation(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "--log-opt", "max-size=1k", "--log-opt", "max-file=2",
		"busybox", "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done")
	d.must(t, "wait", name)
	dir := filepath.Join(d.dataRoot, "containers", id)
	logs, _ := filepath.Glob(filepath.Join(dir, id+"-json.log*"))
	if len(logs) != 2 {
		t.Fatalf("log files under %s = %v, want 2 (max-file=2)", dir, logs)
	}
	for _, f := range logs {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 2048 {
			t.Errorf("%s is %d bytes with max-size=1k", f, st.Size())
		}
	}
	out := d.must(t, "logs", name)
	if !strings.HasSuffix(out, "line-299-xxxxxxxxxxxxxxxxxxxxxxxx\n") {
		t.Fatalf("logs do not end with the last line: ...%q", tail(out, 80))
	}
	if strings.Contains(out, "line-0-") {
		t.Fatal("logs still hold the first line after rotation")
	}
}

func TestLogDriverNone(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "--log-driver", "none", "busybox", "echo", "hi")
	d.must(t, "wait", name)
	r := d.dk("logs", name)
	if r.Code == 0 || !strings.Contains(r.Stderr, "configured logging driver does not support reading") {
		t.Fatalf("logs with --log-driver none: %s", r)
	}
	if got := d.inspect(t, name, "{{.HostConfig.LogConfig.Type}}"); got != "none" {
		t.Fatalf("LogConfig.Type = %q, want none", got)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
