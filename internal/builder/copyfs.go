package builder

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"
)

// resolvedSource is one COPY source: rel inside root (never outside it:
// every access goes through os.Root, so symlinks cannot lead out).
type resolvedSource struct {
	root *os.Root
	rel  string // "." for the root itself
	host string // heredoc sources: a plain file
	// known are content hashes computed while the context was unpacked.
	known map[string]string
}

func relClean(p string) string {
	r := strings.TrimPrefix(path.Clean("/"+p), "/")
	if r == "" {
		return "."
	}
	return r
}

// resolveSources expands the COPY source patterns inside rootDir.
func resolveSources(rootDir string, patterns []string) ([]resolvedSource, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return nil, err
	}
	var out []resolvedSource
	for _, p := range patterns {
		rel := relClean(p)
		if strings.ContainsAny(rel, "*?[") {
			matches, err := fs.Glob(root.FS(), rel)
			if err != nil {
				return nil, err
			}
			if len(matches) == 0 {
				return nil, errors.New("no source files were specified")
			}
			for _, m := range matches {
				out = append(out, resolvedSource{root: root, rel: m})
			}
			continue
		}
		if _, err := root.Lstat(rel); err != nil {
			return nil, fmt.Errorf("file not found in build context or excluded by .dockerignore: stat %s: file does not exist", p)
		}
		out = append(out, resolvedSource{root: root, rel: rel})
	}
	return out, nil
}

// hashSources hashes what a COPY would read: names, types, permission
// bits, owners, sizes, link targets and contents. Not mtimes: a touch or
// a fresh checkout keeps the hash.
func hashSources(sources []resolvedSource, excl *patternmatcher.PatternMatcher, add bool) (string, error) {
	h := sha256.New()
	bw := bufio.NewWriter(h)
	for _, s := range sources {
		if s.host != "" {
			data, err := os.ReadFile(s.host)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(bw, "heredoc %s %d\n", s.rel, len(data))
			bw.Write(data)
			continue
		}
		err := fs.WalkDir(s.root.FS(), s.rel, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if excl != nil && p != s.rel {
				rel, _ := filepath.Rel(s.rel, p)
				if m, _ := excl.MatchesOrParentMatches(rel); m {
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
			uid, gid := owner(fi)
			fmt.Fprintf(bw, "%s\x00%o\x00%d:%d\x00%d\x00", p, fi.Mode(), uid, gid, fi.Size())
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				t, _ := s.root.Readlink(p)
				fmt.Fprintf(bw, "->%s", t)
			case fi.Mode().IsRegular():
				if h, ok := s.known[p]; ok {
					if sum, err := hex.DecodeString(h); err == nil {
						bw.Write(sum)
						break
					}
				}
				f, err := s.root.Open(p)
				if err != nil {
					return err
				}
				fh := sha256.New()
				_, err = io.Copy(fh, f)
				f.Close()
				if err != nil {
					return err
				}
				bw.Write(fh.Sum(nil))
			}
			bw.WriteByte('\n')
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	if add {
		bw.WriteString("add")
	}
	bw.Flush()
	return hex.EncodeToString(h.Sum(nil)), nil
}

func owner(fi fs.FileInfo) (int, int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return 0, 0
}

// ids is a resolved --chown.
type ids struct{ uid, gid int }

// resolveChown resolves --chown against the destination's /etc/passwd and
// /etc/group. No --chown: root, as in Docker.
func resolveChown(root *os.Root, spec string) (ids, error) {
	if spec == "" {
		return ids{}, nil
	}
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, primary, err := lookupID(root, "etc/passwd", u, 2, 3)
	if err != nil {
		return ids{}, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
	}
	gid := uid
	if primary >= 0 {
		gid = primary
	}
	if hasGroup {
		if gid, _, err = lookupID(root, "etc/group", g, 2, -1); err != nil {
			return ids{}, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
		}
	}
	return ids{uid, gid}, nil
}

// lookupID is name's numeric id in a passwd-style file (or name itself if
// numeric); extra is the column of a second id (the primary group).
func lookupID(root *os.Root, file, name string, col, extra int) (int, int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, -1, nil
	}
	data, err := root.ReadFile(file)
	if err != nil {
		return 0, 0, fmt.Errorf("can't find uid for user %s: no such user: %s", name, name)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > col && f[0] == name {
			id, err := strconv.Atoi(f[col])
			if err != nil {
				break
			}
			second := -1
			if extra > 0 && len(f) > extra {
				second, _ = strconv.Atoi(f[extra])
			}
			return id, second, nil
		}
	}
	kind := "user"
	if strings.Contains(file, "group") {
		kind = "group"
	}
	return 0, 0, fmt.Errorf("no such %s: %s", kind, name)
}

func parseChmod(s string) (*fs.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return nil, fmt.Errorf("invalid chmod parameter: %s (berth supports octal modes)", s)
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return &m, nil
}

// copier writes COPY sources into the destination rootfs.
type copier struct {
	dst  *os.Root
	own  ids
	mode *fs.FileMode
	excl *patternmatcher.PatternMatcher
	add  bool
	tmp  string
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
	if c.mode != nil && fi.Mode()&fs.ModeSymlink == 0 {
		mode = (mode &^ (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)) | *c.mode
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
	if c.mode != nil {
		mode = *c.mode
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

// bindSource is the host directory a RUN --mount=type=bind shows, and its
// cache identity. A writable bind gets an overlay whose writes are dropped.
func (j *job) bindSource(ctx context.Context, i int, m *instructions.Mount) (string, string, func(), error) {
	cs, err := j.copySource(ctx, i, m.From)
	if err != nil {
		return "", "", nil, err
	}
	rel := relClean(m.Source)
	root, err := os.OpenRoot(cs.root)
	if err != nil {
		cs.release()
		return "", "", nil, err
	}
	defer root.Close()
	// Every component must be a real directory or file: a bind mount
	// follows symlinks on the host, so one in the context could lead out.
	if rel != "." {
		parts := strings.Split(rel, "/")
		for k := range parts {
			fi, err := root.Lstat(strings.Join(parts[:k+1], "/"))
			if err != nil {
				cs.release()
				return "", "", nil, fmt.Errorf("mount source %s: %w", m.Source, err)
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				cs.release()
				return "", "", nil, fmt.Errorf("mount source %s: symbolic links are not followed", m.Source)
			}
		}
	}
	host := filepath.Join(cs.root, rel)
	key := cs.key
	if key == "" {
		var known map[string]string
		if m.From == "" {
			known = j.bc.Hashes
		}
		h, err := hashSources([]resolvedSource{{root: root, rel: rel, known: known}}, nil, false)
		if err != nil {
			cs.release()
			return "", "", nil, err
		}
		key = "context:" + h
	}
	key += ":" + rel
	if m.ReadOnly {
		return host, key, cs.release, nil
	}
	fi, err := os.Stat(host)
	if err != nil || !fi.IsDir() {
		return host, key, cs.release, nil
	}
	w, err := j.b.mountDirs([]string{host}, true)
	if err != nil {
		cs.release()
		return "", "", nil, err
	}
	return w.rootfs, key, func() { w.cleanup(); cs.release() }, nil
}
