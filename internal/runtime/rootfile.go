package runtime

import (
	"errors"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// readInRoot reads name (an absolute path inside the container) with every
// path component, symlinks included, resolved inside root, the way the
// container itself would see it. The rootfs is untrusted: a symlinked
// /etc/passwd -> /etc/shadow or ../../../etc/passwd can never reach the host.
// A missing file is reported with os.ErrNotExist.
func readInRoot(root, name string) ([]byte, error) {
	dir, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	rel := strings.TrimLeft(name, "/")
	fd, err := unix.Openat2(int(dir.Fd()), rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) {
		// Old kernels: os.Root refuses any escape instead of clamping it.
		r, err := os.OpenRoot(root)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return readRegular(r.Open(rel))
	}
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	return readRegular(os.NewFile(uintptr(fd), name), nil)
}

// readRegular refuses fifos and devices, which could block or be huge.
func readRegular(f *os.File, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: f.Name(), Err: errors.New("not a regular file")}
	}
	return io.ReadAll(io.LimitReader(f, 64<<20))
}
