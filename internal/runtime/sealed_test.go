package runtime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeRuntime is a Runtime whose "binary" is a copy of a host tool named crun, so that
// running it shows what was executed and under which name.
func fakeRuntime(t *testing.T, tool string) *Runtime {
	t.Helper()
	src, err := exec.LookPath(tool)
	if err != nil {
		t.Skip("no " + tool + " on this host")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "crun")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "runtime", "crun")
	r := &Runtime{Name: "crun", Binary: bin, Root: root, sealed: newSealedExe("crun", root)}
	s := r.sealed
	t.Cleanup(func() {
		for _, f := range append(s.old, s.file) {
			if f != nil {
				f.Close()
			}
		}
	})
	return r
}

func TestCmdRunsTheSealedCopyUnderTheRuntimesName(t *testing.T) {
	r := fakeRuntime(t, "readlink")
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
	f, _ := r.sealedCopy()
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
	if strings.HasPrefix(r.sealed.links, r.Root+"/") {
		t.Fatalf("links in %s, inside the runtime's --root, which it lists as containers", r.sealed.links)
	}
}

// The process keeps the runtime's name (the kernel names it after the executed path):
// ps shows crun, and orphans.go knows the runtime's orphaned children by that name.
func TestSealedCopyKeepsTheProcessName(t *testing.T) {
	r := fakeRuntime(t, "cat")
	out, err := r.Cmd(context.Background(), "/proc/self/comm").Output()
	if err != nil {
		t.Fatal(err)
	}
	if comm := strings.TrimSpace(string(out)); comm != "crun" {
		t.Fatalf("the runtime runs as %q, want crun", comm)
	}
}

func TestForShimExecutesTheShimsDescriptor(t *testing.T) {
	r := fakeRuntime(t, "readlink")
	const fd = 4
	f, exe := r.ForShim(fd)
	if f == nil {
		t.Fatal("no copy for the shim")
	}
	if target, err := os.Readlink(exe); err != nil || target != "/proc/self/fd/"+strconv.Itoa(fd) {
		t.Fatalf("%s → %q (%v)", exe, target, err)
	}
	if filepath.Base(exe) != "crun" {
		t.Fatalf("shim's path %s is not named after the runtime", exe)
	}
	// What a shim does: the copy at fd 4, the link executed.
	cmd := exec.Command(exe, "/proc/self/exe")
	cmd.ExtraFiles = []*os.File{os.Stdin, f} // 3, 4
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "/memfd:berth-runtime") {
		t.Fatalf("the shim's runtime ran from %q", got)
	}
}

func TestSealedCopyFollowsAnUpgradedBinary(t *testing.T) {
	r := fakeRuntime(t, "readlink")
	first, _ := r.sealedCopy()
	if again, _ := r.sealedCopy(); again != first {
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
	second, exe := r.sealedCopy()
	if second == nil || second == first {
		t.Fatal("the upgraded binary was not copied")
	}
	if target, _ := os.Readlink(exe); target != "/proc/self/fd/"+strconv.Itoa(int(second.Fd())) {
		t.Fatalf("%s → %q, not the new copy", exe, target)
	}
	// The old copy stays usable: a command built just before may still execute it.
	if _, err := unix.FcntlInt(first.Fd(), unix.F_GET_SEALS, 0); err != nil {
		t.Fatalf("the replaced copy was closed: %v", err)
	}
}

func TestCmdWithoutSealedCopyRunsThePath(t *testing.T) {
	r := fakeRuntime(t, "readlink")
	r.sealed = nil // a Runtime only looked up (New with no root)
	out, err := r.Cmd(context.Background(), "/proc/self/exe").Output()
	if err != nil {
		t.Fatal(err)
	}
	if exe := strings.TrimSpace(string(out)); exe != r.Binary {
		t.Fatalf("ran %q, want %q", exe, r.Binary)
	}
}
