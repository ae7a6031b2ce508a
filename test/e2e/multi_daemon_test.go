package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestTwoDaemonsSideBySide(t *testing.T) {
	a := startDaemon(t)
	b := startDaemon(t)
	a.busybox(t)
	b.busybox(t)
	a.runD(t, "--name", "same-name", "busybox", "sleep", "300")
	b.runD(t, "--name", "same-name", "busybox", "sleep", "300")
	ida := a.inspect(t, "same-name", "{{.Id}}")
	idb := b.inspect(t, "same-name", "{{.Id}}")
	if ida == idb {
		t.Fatal("two daemons gave the same container ID")
	}
	if out := a.must(t, "ps", "-aq", "--no-trunc"); strings.TrimSpace(out) != ida {
		t.Fatalf("daemon a lists %q, want only its own %s", out, ida)
	}
	if out := b.must(t, "ps", "-aq", "--no-trunc"); strings.TrimSpace(out) != idb {
		t.Fatalf("daemon b lists %q, want only its own %s", out, idb)
	}
	a.must(t, "rm", "-f", "same-name")
	if got := b.inspect(t, "same-name", "{{.State.Status}}"); got != "running" {
		t.Fatalf("removing a's container disturbed b's: %s", got)
	}
}

func TestSecondDaemonSameRootRefuses(t *testing.T) {
	d := startDaemon(t)
	other, err := newDaemon()
	if err != nil {
		t.Fatal(err)
	}
	// Only its own temp dir: its roots are d's, which d's cleanup handles.
	t.Cleanup(func() { os.RemoveAll(other.dir) })
	// Same data and exec roots, its own socket and pid file.
	other.dataRoot, other.execRoot = d.dataRoot, d.execRoot
	cmd := exec.Command(berthBin(), other.daemonArgs()...)
	cmd.Env = hostEnv()
	done := make(chan result, 1)
	go func() {
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		done <- result{Stderr: string(out), Code: code}
	}()
	select {
	case r := <-done:
		if r.Code == 0 {
			t.Fatalf("second daemon on the same root exited 0: %s", r.Stderr)
		}
		msg := strings.ToLower(r.Stderr)
		if !strings.Contains(msg, "already") && !strings.Contains(msg, "lock") && !strings.Contains(msg, "in use") {
			t.Fatalf("second daemon's error is not clear: %q", r.Stderr)
		}
		t.Logf("second daemon refused: %s", strings.TrimSpace(r.Stderr))
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("second daemon on the same root kept running")
	}
	if err := d.ping(); err != nil {
		t.Fatalf("first daemon after the refused second one: %v", err)
	}
}
