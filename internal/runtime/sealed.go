package runtime

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// The runtimes guard against CVE-2019-5736 (a container overwriting the host's runtime
// binary through /proc/self/exe) by running from a copy it cannot write: crun re-executes
// itself from one on every call (~1.3 ms and a second dynamic link each, three calls per
// `run --rm`), runc makes one for every `runc init`. Both skip that step when
// /proc/self/exe already is a memfd carrying exactly these seals, so berth makes that copy
// once and runs the runtime from it: the same protection, paid once per daemon.
const runtimeSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// sealedFDMin keeps the copy's descriptor above those a child is given: exec.Cmd moves
// ExtraFiles to 3, 4, ... in the child before it executes /proc/self/fd/N, so a low N
// could be replaced by one of them first.
const sealedFDMin = 256

// sealedExe is the sealed copy of one runtime binary, remade when the binary on disk
// changes (an upgrade) so that new containers get the new runtime.
type sealedExe struct {
	mu     sync.Mutex
	file   *os.File
	stat   os.FileInfo // of the binary when copied
	broken bool        // the copy could not be made: run the binary by its path
	// Replaced copies stay open: a command built a moment ago may still be about to
	// execute one by its /proc/self/fd path. One copy per upgrade of the runtime.
	old []*os.File
}

// sealedFile returns the current sealed copy of r's binary, or nil when there is none
// (the Runtime was not made by New, or memfds are not available).
func (r *Runtime) sealedFile() *os.File {
	s := r.sealed
	if s == nil {
		return nil
	}
	st, err := os.Stat(r.Binary)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.broken {
		return s.file
	}
	if s.file != nil && sameFile(s.stat, st) {
		return s.file
	}
	f, err := sealedCopy(r.Binary)
	if err != nil {
		s.broken = s.file == nil // never worked: stop trying; a failed remake keeps the old copy
		return s.file
	}
	if s.file != nil {
		s.old = append(s.old, s.file)
	}
	s.file, s.stat = f, st
	return f
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// sealedCopy copies path into a memfd sealed with runtimeSeals, at a descriptor of at
// least sealedFDMin.
func sealedCopy(path string) (*os.File, error) {
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

// Cmd is exec.Command for the runtime: it runs the sealed copy when there is one, with
// the binary's own path as argv[0] (what ps shows, and what crun picks its handler from).
func (r *Runtime) Cmd(ctx context.Context, args ...string) *exec.Cmd {
	path := r.Binary
	if f := r.sealedFile(); f != nil {
		path = "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	}
	c := exec.CommandContext(ctx, path, args...)
	c.Args[0] = r.Binary
	return c
}

// SealedFile is the descriptor a shim is handed to run the runtime from the same sealed
// copy (nil: it runs the binary by path). The caller must not close it.
func (r *Runtime) SealedFile() *os.File { return r.sealedFile() }
