package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Whiteout names of the OCI / Docker layer format.
const (
	WhiteoutPrefix = ".wh."
	WhiteoutOpaque = ".wh..wh..opq"
	// OpaqueXattr marks an overlayfs directory that hides its lower dirs.
	OpaqueXattr = "trusted.overlay.opaque"
	paxXattr    = "SCHILY.xattr."
)

// ExtractOptions tune Extract.
type ExtractOptions struct {
	// Whiteouts translates OCI whiteout files into overlayfs whiteouts
	// (char device 0/0) and opaque markers (trusted.overlay.opaque=y).
	Whiteouts bool
	// NoOverwriteDirNonDir refuses to replace a directory with a
	// non-directory and the other way round (docker cp's option).
	NoOverwriteDirNonDir bool
	// NoLchown keeps the extracting user as owner.
	NoLchown bool
	// Dir places every entry under this directory of root (docker cp's
	// destination). It is resolved inside root like the entries are, so a
	// symlink on the way (/var/run -> /run) cannot lead out.
	Dir string
}

type pendingDir struct {
	rel string
	hdr *tar.Header
}

// Extract unpacks the tar stream r under root and returns the sum of the
// regular files' sizes. Nothing is ever written outside root.
func Extract(root string, r io.Reader, opts ExtractOptions) (int64, error) {
	rootfd, err := openRoot(root)
	if err != nil {
		return 0, err
	}
	defer unix.Close(rootfd)
	var size int64
	var dirs []pendingDir
	prefix := ""
	if opts.Dir != "" {
		if prefix, err = cleanRel(opts.Dir); err != nil {
			return 0, err
		}
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return size, err
		}
		rel, err := cleanRel(hdr.Name)
		if err != nil {
			return size, err
		}
		if rel == "." {
			continue
		}
		if prefix != "" && prefix != "." {
			rel = path.Join(prefix, rel)
		}
		base := path.Base(rel)
		if opts.Whiteouts && strings.HasPrefix(base, WhiteoutPrefix) {
			if err := applyWhiteout(rootfd, rel, hdr); err != nil {
				return size, err
			}
			continue
		}
		if err := extractEntry(rootfd, rel, hdr, tr, opts); err != nil {
			return size, fmt.Errorf("extract %s: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			size += hdr.Size
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, pendingDir{rel, hdr})
		}
	}
	// Directory times last: creating their children changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		pfd, err := openDir(rootfd, path.Dir(d.rel))
		if err != nil {
			return size, err
		}
		err = setTimes(pfd, path.Base(d.rel), d.hdr)
		unix.Close(pfd)
		if err != nil {
			return size, err
		}
	}
	return size, nil
}

func applyWhiteout(rootfd int, rel string, hdr *tar.Header) error {
	pfd, err := ensureDir(rootfd, path.Dir(rel))
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	base := path.Base(rel)
	if base == WhiteoutOpaque {
		dfd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(dfd)
		return unix.Fsetxattr(dfd, OpaqueXattr, []byte("y"), 0)
	}
	name := strings.TrimPrefix(base, WhiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid whiteout %q", hdr.Name)
	}
	if err := removeAt(pfd, name); err != nil {
		return err
	}
	if err := unix.Mknodat(pfd, name, unix.S_IFCHR, 0); err != nil {
		return &os.PathError{Op: "mknod whiteout", Path: rel, Err: err}
	}
	return nil
}

func extractEntry(rootfd int, rel string, hdr *tar.Header, tr io.Reader, opts ExtractOptions) error {
	pfd, err := ensureDir(rootfd, path.Dir(rel))
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	base := path.Base(rel)

	isDir := hdr.Typeflag == tar.TypeDir
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		existingDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if opts.NoOverwriteDirNonDir {
			if existingDir && !isDir {
				return fmt.Errorf("cannot overwrite directory %q with non-directory %q", "/"+rel, hdr.Name)
			}
			if !existingDir && isDir {
				return fmt.Errorf("cannot overwrite non-directory %q with directory %q", "/"+rel, hdr.Name)
			}
		}
		if !(existingDir && isDir) {
			if err := removeAt(pfd, base); err != nil {
				return err
			}
		}
	}

	mode := uint32(hdr.Mode & 0o7777)
	fd := -1
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil && err != unix.EEXIST {
			return err
		}
		fd, err = unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
	case tar.TypeReg, tar.TypeRegA:
		fd, err = unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), rel)
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		// Keep fd alive for attributes; f owns it and closes at the end.
		defer f.Close()
	case tar.TypeSymlink:
		if !path.IsAbs(hdr.Linkname) {
			t := path.Clean(path.Join(path.Dir(rel), hdr.Linkname))
			if t == ".." || strings.HasPrefix(t, "../") {
				return fmt.Errorf("invalid symlink %q -> %q: it points outside the destination", hdr.Name, hdr.Linkname)
			}
		}
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return err
		}
	case tar.TypeLink:
		c := path.Clean(hdr.Linkname)
		if c == ".." || strings.HasPrefix(c, "../") {
			return fmt.Errorf("invalid hardlink %q -> %q: it points outside the destination", hdr.Name, hdr.Linkname)
		}
		target, _ := cleanRel(hdr.Linkname)
		tfd, err := openDir(rootfd, path.Dir(target))
		if err != nil {
			return err
		}
		err = unix.Linkat(tfd, path.Base(target), pfd, base, 0)
		unix.Close(tfd)
		return err
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		t := uint32(unix.S_IFIFO)
		if hdr.Typeflag == tar.TypeChar {
			t = unix.S_IFCHR
		} else if hdr.Typeflag == tar.TypeBlock {
			t = unix.S_IFBLK
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, base, t|mode, int(dev)); err != nil {
			return err
		}
	case tar.TypeXGlobalHeader:
		return nil
	default:
		// Unknown types (sockets are never in tars) are skipped, as Docker does.
		return nil
	}

	if !opts.NoLchown {
		if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	if err := setXattrs(pfd, base, fd, hdr); err != nil {
		return err
	}
	// chmod after chown: chown clears setuid/setgid.
	switch {
	case fd >= 0:
		if err := unix.Fchmod(fd, mode); err != nil {
			return err
		}
	case hdr.Typeflag != tar.TypeSymlink:
		if err := unix.Fchmodat(pfd, base, mode, 0); err != nil {
			return err
		}
	}
	if hdr.Typeflag == tar.TypeDir {
		return nil // times are set once the whole tar is in
	}
	return setTimes(pfd, base, hdr)
}

func setXattrs(pfd int, base string, fd int, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattr)
		if !ok {
			continue
		}
		var err error
		if fd >= 0 {
			err = unix.Fsetxattr(fd, name, []byte(v), 0)
		} else {
			err = unix.Lsetxattr(procPath(pfd, base), name, []byte(v), 0)
		}
		if err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("setxattr %s: %w", name, err)
		}
	}
	return nil
}

func setTimes(pfd int, base string, hdr *tar.Header) error {
	atime := hdr.AccessTime
	if atime.IsZero() || atime.Before(time.Unix(0, 0)) {
		atime = hdr.ModTime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOTSUP {
		return nil
	}
	return err
}
