package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// --ipc container:X and --pid container:X join a running donor's
// namespaces; an --ipc shareable donor's /dev/shm is shared, as in Docker.
func TestJoinIpcAndPidOfAnotherContainer(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	donor, private := uniqueName(t), uniqueName(t)
	d.runD(t, "--name", donor, "--ipc", "shareable", "--shm-size", "8m", "busybox", "sh", "-c", "echo from-donor > /dev/shm/f; exec sleep 300")
	defer d.dk("rm", "-f", donor)
	d.runD(t, "--name", private, "busybox", "sleep", "300")
	defer d.dk("rm", "-f", private)

	donorIpc := d.must(t, "exec", donor, "readlink", "/proc/self/ns/ipc")
	out := d.must(t, "run", "--rm", "--ipc", "container:"+donor, "busybox", "sh", "-c",
		"readlink /proc/self/ns/ipc; cat /dev/shm/f; echo from-joiner > /dev/shm/g; df -k /dev/shm | tail -1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0]+"\n" != donorIpc || lines[1] != "from-donor" || !strings.Contains(lines[2], " 8192 ") {
		t.Fatalf("joiner saw %q, want the donor's ipc namespace %q, its /dev/shm file and its 8 MiB size", out, donorIpc)
	}
	if got := d.must(t, "exec", donor, "cat", "/dev/shm/g"); got != "from-joiner\n" {
		t.Fatalf("the donor sees the joiner's /dev/shm file as %q", got)
	}

	// --pid container: the donor's init is PID 1 of the joiner.
	if got := d.must(t, "run", "--rm", "--pid", "container:"+donor, "busybox", "cat", "/proc/1/cmdline"); !strings.HasPrefix(got, "sleep") {
		t.Fatalf("PID 1 seen from a --pid container: joiner: %q, want the donor's sleep", got)
	}

	// Docker's refusals.
	if r := d.dk("run", "--rm", "--ipc", "container:"+private, "busybox", "true"); r.Code != 125 || !strings.Contains(r.Stderr, "non-shareable IPC (hint: use IpcMode:shareable for the donor container)") {
		t.Fatalf("joining a private IPC namespace: %s", r)
	}
	d.must(t, "stop", "-t", "0", private)
	if r := d.dk("run", "--rm", "--pid", "container:"+private, "busybox", "true"); r.Code != 125 || !strings.Contains(r.Stderr, "is not running") {
		t.Fatalf("joining a stopped container's PID namespace: %s", r)
	}

	// The shareable tmpfs goes with the donor.
	d.must(t, "rm", "-f", donor)
	if left := mountsUnder(filepath.Join(d.execRoot, "containers")); len(left) > 0 {
		for _, m := range left {
			if strings.HasSuffix(m, "/shm") {
				t.Fatalf("shareable /dev/shm still mounted after rm: %v", left)
			}
		}
	}
}
