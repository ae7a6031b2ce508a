package runtime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// readlinkRuntime is a Runtime whose "binary" is a copy of readlink(1), so that running
// it with /proc/self/exe shows what was executed.
func readlinkRuntime(t *testing.T) *Runtime {
	t.Helper()
	src, err := exec.LookPath("readlink")
	if err != nil {
		t.Skip("no readlink on this host")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fake-runtime")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return &Runtime{Name: "fake-runtime", Binary: bin, sealed: &sealedExe{}}
}

func TestCmdRunsTheSealedCopy(t *testing.T) {
	r := readlinkRuntime(t)
	cmd := r.Cmd(context.Background(), "/proc/self/exe")
	if cmd.Args[0] != r.Binary {
		t.Errorf("argv[0] = %q, want the binary's path %q", cmd.Args[0], r.Binary)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if exe := strings.TrimSpace(string(out)); !strings.HasPrefix(exe, "/memfd:berth-runtime") {
		t.Fatalf("the runtime ran from %q, not from the sealed memfd", exe)
	}
	f := r.SealedFile()
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil || seals != runtimeSeals {
		t.Fatalf("seals = %#x (%v), want exactly %#x: anything else and runc/crun copy themselves again", seals, err, runtimeSeals)
	}
	if int(f.Fd()) < sealedFDMin {
		t.Fatalf("sealed copy at fd %d: a child's ExtraFiles could take that number first", f.Fd())
	}
	if flags, _ := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
		t.Fatal("sealed copy is not close-on-exec: every child would inherit it")
	}
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("the sealed copy took a write")
	}
}

func TestSealedCopyFollowsAnUpgradedBinary(t *testing.T) {
	r := readlinkRuntime(t)
	first := r.SealedFile()
	if again := r.SealedFile(); again != first {
		t.Fatal("an unchanged binary was copied again")
	}
	// An upgrade replaces the file (a new inode, as dpkg does).
	data, err := os.ReadFile(r.Binary)
	if err != nil {
		t.Fatal(err)
	}
	tmp := r.Binary + ".new"
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(tmp, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, r.Binary); err != nil {
		t.Fatal(err)
	}
	second := r.SealedFile()
	if second == nil || second == first {
		t.Fatal("the upgraded binary was not copied")
	}
	// The old copy stays usable: a command built just before may still execute it.
	if _, err := unix.FcntlInt(first.Fd(), unix.F_GET_SEALS, 0); err != nil {
		t.Fatalf("the replaced copy was closed: %v", err)
	}
}

func TestCmdWithoutSealedCopyRunsThePath(t *testing.T) {
	r := readlinkRuntime(t)
	r.sealed = nil // a Runtime not made by New
	out, err := r.Cmd(context.Background(), "/proc/self/exe").Output()
	if err != nil {
		t.Fatal(err)
	}
	if exe := strings.TrimSpace(string(out)); exe != r.Binary {
		t.Fatalf("ran %q, want %q", exe, r.Binary)
	}
}
