package archive

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Every path of a tar is resolved with openat2(RESOLVE_IN_ROOT): ".." and
// symlinks (absolute ones included) are evaluated as if root were "/", so
// nothing a tar says can reach outside root, even through a symlink made by
// an earlier entry. The last component is then handled with *at calls that
// never follow it.

func openRoot(root string) (int, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: root, Err: err}
	}
	return fd, nil
}

// openInRoot opens rel (resolved inside rootfd) with flags.
func openInRoot(rootfd int, rel string, flags int) (int, error) {
	if rel == "" {
		rel = "."
	}
	how := &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(rootfd, rel, how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: rel, Err: err}
		}
		return fd, nil
	}
}

// openDir opens directory rel inside rootfd as an O_PATH fd.
func openDir(rootfd int, rel string) (int, error) {
	return openInRoot(rootfd, rel, unix.O_PATH|unix.O_DIRECTORY)
}

// ensureDir opens directory rel, creating missing components (mode 0755).
// A dangling symlink on the way is followed (inside root) and its target
// created, as Docker's FollowSymlinkInScope + MkdirAll does.
func ensureDir(rootfd int, rel string) (int, error) {
	return ensureDirDepth(rootfd, rel, 0)
}

func ensureDirDepth(rootfd int, rel string, depth int) (int, error) {
	fd, err := openDir(rootfd, rel)
	if err == nil || !errors.Is(err, unix.ENOENT) || rel == "." || rel == "" {
		return fd, err
	}
	if depth > 40 {
		return -1, &os.PathError{Op: "mkdir", Path: rel, Err: unix.ELOOP}
	}
	pfd, err := ensureDirDepth(rootfd, path.Dir(rel), depth+1)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	base := path.Base(rel)
	err = unix.Mkdirat(pfd, base, 0o755)
	if err == unix.EEXIST {
		buf := make([]byte, unix.PathMax)
		n, lerr := unix.Readlinkat(pfd, base, buf)
		if lerr != nil {
			return -1, &os.PathError{Op: "mkdir", Path: rel, Err: err}
		}
		target := string(buf[:n])
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(rel), target)
		}
		// Clean from "/" so ".." cannot climb above root.
		t := strings.TrimPrefix(path.Clean("/"+target), "/")
		if t == "" {
			t = "."
		}
		if tfd, err := ensureDirDepth(rootfd, t, depth+1); err != nil {
			return -1, err
		} else {
			unix.Close(tfd)
		}
	} else if err != nil {
		return -1, &os.PathError{Op: "mkdir", Path: rel, Err: err}
	}
	return openDir(rootfd, rel)
}

// cleanRel turns a tar or API path into a clean path relative to root.
// Absolute paths are taken as relative to root; a path that climbs out
// with ".." is refused.
func cleanRel(name string) (string, error) {
	p := path.Clean("/" + name)
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		rel = "."
	}
	// A relative name that climbs ("../x") is a breakout attempt, refuse it.
	if !strings.HasPrefix(name, "/") {
		if c := path.Clean(name); c == ".." || strings.HasPrefix(c, "../") {
			return "", fmt.Errorf("invalid path %q: it escapes the destination", name)
		}
	}
	return rel, nil
}

// procPath names an entry relative to a dir fd for calls that have no *at form.
func procPath(dirfd int, base string) string {
	return fmt.Sprintf("/proc/self/fd/%d/%s", dirfd, base)
}

// removeAt removes base (recursively if a dir) from the directory dirfd.
func removeAt(dirfd int, base string) error {
	err := unix.Unlinkat(dirfd, base, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	// A directory: os.Root confines RemoveAll to it.
	r, err := os.OpenRoot(fmt.Sprintf("/proc/self/fd/%d", dirfd))
	if err != nil {
		return err
	}
	defer r.Close()
	return r.RemoveAll(base)
}
