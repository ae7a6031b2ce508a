package runtime

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// The runtimes guard against CVE-2019-5736 (a container overwriting the host's runtime
// binary through /proc/self/exe) by running from a copy it cannot write: crun re-executes
// itself from one on every call (a bind mount, a second exec and dynamic link: ~3 ms each,
// three calls per `run --rm`), runc makes one for every `runc init`. Both skip that step
// when /proc/self/exe already is a memfd carrying exactly these seals, so berth makes
// that copy once and runs the runtime from it: the same protection, paid once per daemon.
const runtimeSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// sealedFDMin keeps the copy's descriptor above those a child is given: exec.Cmd moves
// ExtraFiles to 3, 4, ... in the child before it executes the copy by its descriptor, so
// a low number could be taken by one of them first.
const sealedFDMin = 256

// A copy is executed through a symlink LINKS/fd<N>/<runc|crun> → /proc/self/fd/<N>,
// resolved by the process that executes it. Executing /proc/self/fd/<N> directly would
// name the process "<N>" (the kernel takes the name from the path): ps would show a
// number, and the daemon would not know its orphaned runtime children (orphans.go).

// sealedExe is the sealed copy of one runtime binary, remade when the binary on disk
// changes (an upgrade) so that new containers get the new runtime.
type sealedExe struct {
	links  string     // directory of the symlinks
	linkMu sync.Mutex // one maker of a link at a time

	mu     sync.Mutex
	file   *os.File
	exe    string      // the symlink that executes file
	stat   os.FileInfo // of the binary when copied
	broken bool        // no copy could be made: run the binary by its path
	// Replaced copies stay open: a command built a moment ago may still be about to
	// execute one. One copy per upgrade of the runtime.
	old []*os.File
}

func newSealedExe(name, root string) *sealedExe {
	if root == "" {
		return nil // a Runtime only looked up, never run
	}
	// Beside the runtime's own --root, never inside it: the runtime lists that directory.
	return &sealedExe{links: filepath.Join(filepath.Dir(root), "."+name+"-sealed")}
}

// sealedCopy returns the current sealed copy of r's binary and the path that executes it,
// or nil when there is none (the Runtime was not made by New with a root, or memfds are
// not available here).
func (r *Runtime) sealedCopy() (*os.File, string) {
	s := r.sealed
	if s == nil {
		return nil, ""
	}
	st, err := os.Stat(r.Binary)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.broken || (s.file != nil && sameFile(s.stat, st)) {
		return s.file, s.exe
	}
	f, err := copySealed(r.Binary)
	if err != nil {
		s.broken = s.file == nil // never worked: stop trying; a failed remake keeps the old copy
		return s.file, s.exe
	}
	exe, err := r.execLink(int(f.Fd()))
	if err != nil {
		f.Close()
		s.broken = s.file == nil
		return s.file, s.exe
	}
	if s.file != nil {
		s.old = append(s.old, s.file)
	}
	s.file, s.exe, s.stat = f, exe, st
	return f, exe
}

// execLink makes (or finds) the symlink that executes descriptor fd of whichever process
// executes it, named after the runtime.
func (r *Runtime) execLink(fd int) (string, error) {
	r.sealed.linkMu.Lock()
	defer r.sealed.linkMu.Unlock()
	dir := filepath.Join(r.sealed.links, "fd"+strconv.Itoa(fd))
	link := filepath.Join(dir, filepath.Base(r.Binary))
	target := "/proc/self/fd/" + strconv.Itoa(fd)
	if got, err := os.Readlink(link); err == nil && got == target {
		return link, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return link, nil
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// copySealed copies path into a memfd sealed with runtimeSeals, at a descriptor of at
// least sealedFDMin.
func copySealed(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("berth-runtime", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, err
	}
	mem := os.NewFile(uintptr(fd), "memfd")
	defer mem.Close()
	if _, err := io.Copy(mem, src); err != nil {
		return nil, err
	}
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, runtimeSeals); err != nil {
		return nil, err
	}
	high, err := unix.FcntlInt(mem.Fd(), unix.F_DUPFD_CLOEXEC, sealedFDMin)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(high), path), nil
}

// Cmd is exec.CommandContext for the runtime: it runs the sealed copy when there is one,
// with the binary's own path as argv[0] (what ps shows in full).
func (r *Runtime) Cmd(ctx context.Context, args ...string) *exec.Cmd {
	path := r.Binary
	if _, exe := r.sealedCopy(); exe != "" {
		path = exe
	}
	c := exec.CommandContext(ctx, path, args...)
	c.Args[0] = r.Binary
	return c
}

// ForShim returns the sealed copy to hand a shim as its descriptor fd, and the path that
// executes it from there; nil and "" when there is no copy (the shim runs the binary).
// The caller must not close the file.
func (r *Runtime) ForShim(fd int) (*os.File, string) {
	f, _ := r.sealedCopy()
	if f == nil {
		return nil, ""
	}
	exe, err := r.execLink(fd)
	if err != nil {
		return nil, ""
	}
	return f, exe
}
