package archive

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// Stat describes path inside root without following its last component;
// for a symlink, LinkTarget is where it resolves to inside root.
func Stat(root, p string) (*container.PathStat, error) {
	rootfd, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rootfd)
	rel, err := cleanRel(p)
	if err != nil {
		return nil, err
	}
	pfd, base, err := openEntryParent(rootfd, p, rel)
	if err != nil {
		return nil, err
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	ps := &container.PathStat{
		Name:  base, // "." for "DIR/.", as dockerd
		Size:  st.Size,
		Mode:  FileMode(st.Mode),
		Mtime: time.Unix(st.Mtim.Unix()),
	}
	if rel == "." {
		ps.Name = "/"
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		ps.LinkTarget = resolveInRoot(rootfd, root, rel)
	}
	// "FILE/" names a directory, as lstat(2) reads it: a file there is
	// ENOTDIR (else `docker cp x C:/etc/passwd/` would overwrite the file).
	if strings.HasSuffix(p, "/") && rel != "." && !isDirIn(rootfd, rel, st) {
		return nil, &os.PathError{Op: "lstat", Path: p, Err: unix.ENOTDIR}
	}
	return ps, nil
}

// resolveInRoot returns the absolute in-root path rel leads to.
func resolveInRoot(rootfd int, root, rel string) string {
	fd, err := openInRoot(rootfd, rel, unix.O_PATH)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	full, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return ""
	}
	rootReal, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(rootfd))
	if err != nil {
		return ""
	}
	in := strings.TrimPrefix(full, rootReal)
	if !strings.HasPrefix(in, "/") {
		in = "/" + in
	}
	return in
}

// FileMode converts a stat mode to Go's os.FileMode.
func FileMode(m uint32) os.FileMode {
	fm := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		fm |= os.ModeDir
	case unix.S_IFLNK:
		fm |= os.ModeSymlink
	case unix.S_IFCHR:
		fm |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		fm |= os.ModeDevice
	case unix.S_IFIFO:
		fm |= os.ModeNamedPipe
	case unix.S_IFSOCK:
		fm |= os.ModeSocket
	}
	if m&unix.S_ISUID != 0 {
		fm |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		fm |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

// isDirIn reports whether rel (with lstat result st) is a directory or a
// symlink that resolves, inside the root, to one.
func isDirIn(rootfd int, rel string, st unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return true
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return false
	}
	fd, err := openInRoot(rootfd, rel, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
