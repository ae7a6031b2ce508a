package e2e

import (
	"strings"
	"testing"
)

// The docker CLI's system-level commands against berth: stats reads the
// container's cgroup, ps -n includes stopped containers, and system prune
// (which also calls the network and build-cache prune endpoints) works.
func TestStatsPsLimitAndSystemPrune(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	running := d.runD(t, "busybox", "sleep", "300")
	stopped := strings.TrimSpace(d.must(t, "create", "busybox", "true"))

	out := d.must(t, "stats", "--no-stream", "--format", "{{.ID}} {{.PIDs}}", running)
	if f := strings.Fields(out); len(f) != 2 || !strings.HasPrefix(running, f[0]) || f[1] != "1" {
		t.Fatalf("stats --no-stream = %q, want the container's ID and 1 PID", out)
	}
	if out := d.must(t, "ps", "-n", "1", "-q", "--no-trunc"); strings.TrimSpace(out) != stopped {
		t.Fatalf("ps -n 1 = %q, want the newest container %s even though it is not running", out, stopped)
	}
	d.must(t, "system", "prune", "-f")
	if out := d.must(t, "ps", "-aq", "--no-trunc"); strings.TrimSpace(out) != running {
		t.Fatalf("after system prune, ps -a = %q; want only the running container %s", out, running)
	}
}
