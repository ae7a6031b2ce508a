package builder

import (
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/moby/patternmatcher"
)

// copier writes COPY sources into the destination rootfs.
type copier struct {
	dst   *os.Root
	own   ids
	chmod func(fs.FileMode) fs.FileMode // --chmod; nil keeps the source's mode
	excl  *patternmatcher.PatternMatcher
	add   bool
	tmp   string
}

func (c *copier) copyAll(sources []resolvedSource, dest string, multi bool) error {
	destIsDir := strings.HasSuffix(dest, "/") || multi
	destRel := relClean(dest)
	if !destIsDir {
		if fi, err := c.dst.Stat(destRel); err == nil && fi.IsDir() {
			destIsDir = true
		}
	}
	for _, s := range sources {
		if s.host != "" {
			if err := c.copyHostFile(s.host, c.join(destRel, filepath.Base(s.host), destIsDir)); err != nil {
				return err
			}
			continue
		}
		fi, err := s.root.Lstat(s.rel)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if err := c.copyDir(s, destRel); err != nil {
				return err
			}
		case c.add && fi.Mode().IsRegular() && isArchive(s):
			if err := c.extract(s, destRel); err != nil {
				return err
			}
		default:
			if err := c.copyEntry(s.root, s.rel, c.join(destRel, path.Base(s.rel), destIsDir), fi); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *copier) join(destRel, base string, isDir bool) string {
	if !isDir {
		return destRel
	}
	return path.Join(destRel, base)
}

func (c *copier) mkdirParents(rel string) error {
	if dir := path.Dir(rel); dir != "." && dir != "/" {
		return c.dst.MkdirAll(dir, 0o755)
	}
	return nil
}

// copyDir copies the contents of s (not s itself) into destRel.
func (c *copier) copyDir(s resolvedSource, destRel string) error {
	return fs.WalkDir(s.root.FS(), s.rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.rel, p)
		if c.excl != nil && rel != "." {
			if m, _ := c.excl.MatchesOrParentMatches(rel); m {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
		}
		fi, err := s.root.Lstat(p)
		if err != nil {
			return err
		}
		return c.copyEntry(s.root, p, path.Join(destRel, rel), fi)
	})
}

// copyEntry copies one file, dir or symlink, setting owner and mode.
func (c *copier) copyEntry(src *os.Root, srcRel, dstRel string, fi fs.FileInfo) error {
	if err := c.mkdirParents(dstRel); err != nil {
		return err
	}
	mode := fi.Mode()
	if c.chmod != nil && fi.Mode()&fs.ModeSymlink == 0 {
		mode = c.chmod(mode)
	}
	switch {
	case fi.IsDir():
		if dstRel == "." {
			return nil
		}
		if err := c.dst.MkdirAll(dstRel, 0o755); err != nil {
			return err
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := src.Readlink(srcRel)
		if err != nil {
			return err
		}
		c.dst.Remove(dstRel)
		if err := c.dst.Symlink(target, dstRel); err != nil {
			return err
		}
		return c.dst.Lchown(dstRel, c.own.uid, c.own.gid)
	case fi.Mode().IsRegular():
		in, err := src.Open(srcRel)
		if err != nil {
			return err
		}
		defer in.Close()
		if err := c.writeFile(in, dstRel); err != nil {
			return err
		}
	default:
		return nil // devices, fifos and sockets are not copied
	}
	if err := c.dst.Lchown(dstRel, c.own.uid, c.own.gid); err != nil {
		return err
	}
	if err := c.dst.Chmod(dstRel, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return c.dst.Chtimes(dstRel, fi.ModTime(), fi.ModTime())
}

func (c *copier) writeFile(in io.Reader, dstRel string) error {
	if fi, err := c.dst.Lstat(dstRel); err == nil && !fi.IsDir() {
		c.dst.Remove(dstRel)
	}
	out, err := c.dst.OpenFile(dstRel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (c *copier) copyHostFile(hostPath, dstRel string) error {
	if err := c.mkdirParents(dstRel); err != nil {
		return err
	}
	in, err := os.Open(hostPath)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := c.writeFile(in, dstRel); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if c.chmod != nil {
		mode = c.chmod(mode)
	}
	if err := c.dst.Lchown(dstRel, c.own.uid, c.own.gid); err != nil {
		return err
	}
	return c.dst.Chmod(dstRel, mode)
}

// isArchive tells a local tar (plain, gzip, bzip2, xz, zstd) ADD unpacks.
func isArchive(s resolvedSource) bool {
	f, err := s.root.Open(s.rel)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	for _, magic := range [][]byte{{0x1f, 0x8b}, []byte("BZh"), {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if len(head) >= len(magic) && string(head[:len(magic)]) == string(magic) {
			return true
		}
	}
	return n >= 262 && string(head[257:262]) == "ustar"
}

func (c *copier) extract(s resolvedSource, destRel string) error {
	f, err := s.root.Open(s.rel)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := archive.DecompressStream(f)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := c.dst.MkdirAll(destRel, 0o755); err != nil {
		return err
	}
	_, err = archive.Extract(c.dst.Name(), r, archive.ExtractOptions{Dir: destRel})
	return err
}
