package volume

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCopyUpCopiesContentOwnerAndMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	src, dst := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(src, "sub"), 0o700)
	os.WriteFile(filepath.Join(src, "sub", "f"), []byte("hello"), 0o640)
	os.Symlink("sub/f", filepath.Join(src, "link"))
	os.Chown(filepath.Join(src, "sub", "f"), 1000, 1001)
	os.Chown(src, 1000, 1000)
	os.Chmod(src, 0o750)

	copied, err := CopyUp(src, dst)
	if err != nil || !copied {
		t.Fatalf("CopyUp = %v %v", copied, err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "sub", "f")); err != nil || string(b) != "hello" {
		t.Fatalf("copied file = %q %v", b, err)
	}
	if target, _ := os.Readlink(filepath.Join(dst, "link")); target != "sub/f" {
		t.Fatalf("symlink = %q", target)
	}
	check := func(p string, uid, gid uint32, mode os.FileMode) {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid || fi.Mode().Perm() != mode {
			t.Errorf("%s: %d:%d %o, want %d:%d %o", p, st.Uid, st.Gid, fi.Mode().Perm(), uid, gid, mode)
		}
	}
	check(dst, 1000, 1000, 0o750)
	check(filepath.Join(dst, "sub", "f"), 1000, 1001, 0o640)
	check(filepath.Join(dst, "sub"), 0, 0, 0o700)

	// Not empty any more: nothing is copied again.
	os.Remove(filepath.Join(dst, "link"))
	if copied, err := CopyUp(src, dst); err != nil || copied {
		t.Fatalf("second CopyUp = %v %v", copied, err)
	}
	if _, err := os.Lstat(filepath.Join(dst, "link")); !os.IsNotExist(err) {
		t.Fatal("second CopyUp brought a file back")
	}
}

func TestCopyUpMissingSourceAndInRoot(t *testing.T) {
	root, dst := t.TempDir(), t.TempDir()
	if copied, err := CopyUp(filepath.Join(root, "none"), dst); err != nil || copied {
		t.Fatalf("missing source: %v %v", copied, err)
	}
	// A symlink in the image pointing outside resolves inside the root.
	os.MkdirAll(filepath.Join(root, "etc-in-image"), 0o755)
	os.WriteFile(filepath.Join(root, "etc-in-image", "inside"), nil, 0o644)
	os.Symlink("/etc-in-image", filepath.Join(root, "data"))
	p, closeDir, err := OpenInRoot(root, "/data")
	if err != nil || p == "" {
		t.Fatalf("OpenInRoot = %q %v", p, err)
	}
	defer closeDir()
	if copied, err := CopyUp(p, dst); err != nil || !copied {
		t.Fatalf("CopyUp through /proc/self/fd: %v %v", copied, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "inside")); err != nil {
		t.Fatalf("content of the in-root symlink target not copied: %v", err)
	}
	if p, _, err := OpenInRoot(root, "/missing"); err != nil || p != "" {
		t.Fatalf("OpenInRoot of a missing dir = %q %v", p, err)
	}
}
