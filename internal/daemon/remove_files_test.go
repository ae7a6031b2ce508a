package daemon

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func policy(t *testing.T) uint32 {
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a.Policy
}

// The trash of an unattended removal is deleted at idle priority, on a
// thread that does not go back to the Go scheduler with that policy.
func TestDeleteTrashAtIdle(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := policy(t)
	var during uint32
	atIdlePriority(func() { during = policy(t) })
	if during != unix.SCHED_IDLE {
		t.Fatalf("policy while deleting: %d, want SCHED_IDLE (%d)", during, unix.SCHED_IDLE)
	}
	if after := policy(t); after != before {
		t.Fatalf("the caller's thread policy changed: %d → %d", before, after)
	}

	trash := filepath.Join(t.TempDir(), ".rm-x")
	if err := os.MkdirAll(filepath.Join(trash, "rw", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(trash, "x-json.log"), make([]byte, 1<<20), 0o640); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{log: slog.New(slog.DiscardHandler)}
	d.deleteTrash(trash, true)
	if _, err := os.Stat(trash); !os.IsNotExist(err) {
		t.Fatalf("trash still there: %v", err)
	}
}
