package archive

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// TarOptions tune Tar.
type TarOptions struct {
	// Contents archives what is inside path with names relative to it (a
	// layer tar), instead of path itself under its base name (docker cp).
	Contents bool
	// OverlayWhiteouts writes overlayfs whiteouts (char 0/0) as OCI
	// ".wh.NAME" files and opaque dirs with a ".wh..wh..opq" entry.
	OverlayWhiteouts bool
}

// Tar streams a tar of path (resolved inside root; a symlink as the last
// component is archived as the link itself, as docker cp does).
func Tar(root, p string, opts TarOptions) (io.ReadCloser, error) {
	rootfd, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	rel, err := cleanRel(p)
	if err != nil {
		unix.Close(rootfd)
		return nil, err
	}
	pfd, base, err := openEntryParent(rootfd, p, rel)
	unix.Close(rootfd)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		unix.Close(pfd)
		return nil, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	pr, pw := io.Pipe()
	go func() {
		defer unix.Close(pfd)
		tw := &treeWriter{tw: tar.NewWriter(pw), opts: opts, links: map[[2]uint64]string{}}
		var err error
		if opts.Contents {
			err = tw.children(pfd, base, "")
		} else {
			name := base
			if rel == "." || endsInDot(p) {
				// "DIR/." names the directory's contents (docker cp
				// ctr:/dir/. out): entries are "./...", as dockerd's.
				name = "."
			}
			err = tw.add(pfd, base, name)
		}
		if err == nil {
			err = tw.tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

type treeWriter struct {
	tw    *tar.Writer
	opts  TarOptions
	links map[[2]uint64]string
}

// children archives the entries of directory base (in pfd) as prefix/child.
func (w *treeWriter) children(pfd int, base, prefix string) error {
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		name := n
		if prefix != "" {
			name = prefix + "/" + n
		}
		if err := w.add(fd, n, name); err != nil {
			return err
		}
	}
	return nil
}

func (w *treeWriter) add(pfd int, base, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil // removed while we walked
		}
		return err
	}
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()),
		Format:  tar.FormatPAX,
	}
	typ := st.Mode & unix.S_IFMT
	if w.opts.OverlayWhiteouts && typ == unix.S_IFCHR && st.Rdev == 0 {
		dir, b := path.Split(name)
		return w.tw.WriteHeader(&tar.Header{Name: dir + WhiteoutPrefix + b, Typeflag: tar.TypeReg, ModTime: hdr.ModTime, Format: tar.FormatPAX})
	}
	switch typ {
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		xattrs := readXattrs(fd)
		unix.Close(fd)
		opaque := false
		for k, v := range xattrs {
			if strings.HasPrefix(k, "trusted.overlay.") {
				opaque = opaque || (k == OpaqueXattr && v == "y")
				continue
			}
			setPAX(hdr, k, v)
		}
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		if w.opts.OverlayWhiteouts && opaque {
			if err := w.tw.WriteHeader(&tar.Header{Name: name + "/" + WhiteoutOpaque, Typeflag: tar.TypeReg, ModTime: hdr.ModTime, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		return w.children(pfd, base, name)
	case unix.S_IFREG:
		key := [2]uint64{st.Dev, st.Ino}
		if st.Nlink > 1 {
			if first, ok := w.links[key]; ok {
				hdr.Typeflag = tar.TypeLink
				hdr.Linkname = first
				return w.tw.WriteHeader(hdr)
			}
			w.links[key] = name
		}
		fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		for k, v := range readXattrs(fd) {
			setPAX(hdr, k, v)
		}
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := io.CopyN(w.tw, f, st.Size)
		if err == io.EOF {
			return fmt.Errorf("%s: file shrank while archiving (%d of %d bytes)", name, n, st.Size)
		}
		return err
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(pfd, base, buf)
		if err != nil {
			return err
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = string(buf[:n])
		return w.tw.WriteHeader(hdr)
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
		switch typ {
		case unix.S_IFCHR:
			hdr.Typeflag = tar.TypeChar
		case unix.S_IFBLK:
			hdr.Typeflag = tar.TypeBlock
		default:
			hdr.Typeflag = tar.TypeFifo
		}
		hdr.Devmajor = int64(unix.Major(st.Rdev))
		hdr.Devminor = int64(unix.Minor(st.Rdev))
		return w.tw.WriteHeader(hdr)
	default:
		return nil // sockets have no tar form
	}
}

func setPAX(hdr *tar.Header, k, v string) {
	if hdr.PAXRecords == nil {
		hdr.PAXRecords = map[string]string{}
	}
	hdr.PAXRecords[paxXattr+k] = v
}

// readXattrs lists the extended attributes of an open file.
func readXattrs(fd int) map[string]string {
	sz, err := unix.Flistxattr(fd, nil)
	if err != nil || sz <= 0 {
		return nil
	}
	buf := make([]byte, sz)
	sz, err = unix.Flistxattr(fd, buf)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		if k == "" {
			continue
		}
		vsz, err := unix.Fgetxattr(fd, k, nil)
		if err != nil {
			continue
		}
		v := make([]byte, vsz)
		vsz, err = unix.Fgetxattr(fd, k, v)
		if err != nil {
			continue
		}
		out[k] = string(v[:vsz])
	}
	return out
}

// openEntryParent opens the directory holding p's last component and
// returns it with that component's name. For "DIR/." the component is the
// directory itself ("." in DIR, symlinks on the way followed inside root,
// as dockerd resolves it).
func openEntryParent(rootfd int, p, rel string) (int, string, error) {
	if endsInDot(p) {
		fd, err := openDir(rootfd, rel)
		return fd, ".", err
	}
	fd, err := openDir(rootfd, path.Dir(rel))
	return fd, path.Base(rel), err
}

// endsInDot reports whether p ends with "/." (or is "."): docker cp's way
// of asking for a directory's contents rather than the directory.
func endsInDot(p string) bool {
	return p == "." || strings.HasSuffix(p, "/.")
}
