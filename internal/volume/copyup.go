package volume

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CopyUp gives an empty volume directory what the image has at the mount
// point, as Docker does on a volume's first use: the files (owners, modes,
// times, symlinks, device nodes) and the ownership and mode of the image's
// directory itself, so a non-root user in the image can write to its volume.
// A non-empty dst, or an image without that directory, is left as is.
// It reports whether it copied.
func CopyUp(src, dst string) (bool, error) {
	// "/." follows src when it is a symlink (a /proc/self/fd path).
	src = filepath.Clean(src) + "/."
	entries, err := os.ReadDir(dst)
	if err != nil || len(entries) > 0 {
		return false, err
	}
	srcInfo, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !srcInfo.IsDir() {
		return false, nil
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		return copyEntry(p, filepath.Join(dst, rel))
	})
	if err != nil {
		return false, fmt.Errorf("copy image content into volume: %w", err)
	}
	if err := copyAttrs(src, dst, srcInfo); err != nil {
		return false, err
	}
	return true, nil
}

func copyEntry(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st, _ := statT(info)
	switch m := info.Mode(); {
	case m.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	case m.IsRegular():
		if err := copyFile(src, dst); err != nil {
			return err
		}
	case m&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 && st != nil:
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	default:
		return nil
	}
	return copyAttrs(src, dst, info)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyAttrs gives dst src's owner, mode and times (symlinks: owner and times).
func copyAttrs(src, dst string, info fs.FileInfo) error {
	st, ok := statT(info)
	if ok {
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		if err := os.Chmod(dst, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	if ok {
		ts := []unix.Timespec{unix.NsecToTimespec(st.Atim.Nano()), unix.NsecToTimespec(st.Mtim.Nano())}
		unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}
