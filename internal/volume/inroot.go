package volume

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenInRoot opens dir inside root with symlinks resolved as if root were
// "/" (openat2 RESOLVE_IN_ROOT), so an image's symlink cannot send copy-up
// to the host. It returns a /proc/self/fd path usable until close is
// called, or "" when the image has no such directory.
func OpenInRoot(root, dir string) (path string, close func(), err error) {
	rootfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	defer unix.Close(rootfd)
	fd, err := unix.Openat2(rootfd, strings.TrimLeft(dir, "/"), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, fs.ErrNotExist) {
		return "", func() {}, nil
	}
	if err != nil {
		return "", nil, err
	}
	return "/proc/self/fd/" + strconv.Itoa(fd), func() { unix.Close(fd) }, nil
}
