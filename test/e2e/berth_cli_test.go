package e2e

import (
	"strings"
	"testing"
	"time"
)

// berth's own CLI against the daemon: the same verbs, output and exit codes
// as the docker CLI for the everyday path.
func TestBerthCLI(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.rmOnCleanup(t, name)

	if out, errOut, code := d.berth("run", "--rm", "busybox", "sh", "-c", "echo hi; echo err >&2; exit 3"); code != 3 || out != "hi\n" || errOut != "err\n" {
		t.Fatalf("berth run --rm: exit %d stdout %q stderr %q; want 3, hi, err", code, out, errOut)
	}
	if _, errOut, code := d.berth("run", "--rm", "busybox", "no-such-cmd"); code != 127 || !strings.Contains(errOut, "executable file not found") {
		t.Fatalf("berth run of a missing command: exit %d stderr %q; want 127 and the runtime's message", code, errOut)
	}
	id, _, code := d.berth("run", "-d", "--name", name, "busybox", "sh", "-c", "echo started; sleep 300")
	if code != 0 || len(strings.TrimSpace(id)) != 64 {
		t.Fatalf("berth run -d: exit %d, id %q", code, id)
	}
	waitFor(t, 10*time.Second, "log line", func() bool { out, _, _ := d.berth("logs", name); return out == "started\n" })
	ps, _, _ := d.berth("ps", "--filter", "name="+name, "--format", "{{.Names}} {{.Status}}")
	if !strings.HasPrefix(ps, name+" Up ") {
		t.Fatalf("berth ps = %q, want %s Up ...", ps, name)
	}
	if out, _, code := d.berth("exec", name, "sh", "-c", "echo in; exit 5"); code != 5 || out != "in\n" {
		t.Fatalf("berth exec: exit %d stdout %q; want 5, in", code, out)
	}
	if out, _, _ := d.berth("inspect", "-f", "{{.State.Status}}", name); out != "running\n" {
		t.Fatalf("berth inspect -f = %q", out)
	}
	if _, errOut, code := d.berth("rm", name); code != 1 || !strings.Contains(errOut, "container is running") {
		t.Fatalf("berth rm of a running container: exit %d stderr %q; want 1 and Docker's refusal", code, errOut)
	}
	if _, errOut, code := d.berth("inspect", "no-such-container-"+name); code != 1 || !strings.Contains(errOut, "No such object") && !strings.Contains(errOut, "No such container") {
		t.Fatalf("berth inspect of a missing container: exit %d stderr %q", code, errOut)
	}
}
