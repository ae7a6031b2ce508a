package buildcontext

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// extract unpacks the context tar into dir and returns the sha256 of every
// regular file, computed while writing it: COPY's cache key then needs no
// second read of the context. Every path goes through os.Root, so no entry
// (or symlink an earlier entry made) can lead outside dir.
func extract(dir string, r io.Reader) (map[string]string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	hashes := map[string]string{}
	type dirTimes struct {
		name string
		hdr  *tar.Header
	}
	var dirs []dirTimes
	tr := tar.NewReader(r)
	buf := make([]byte, 256<<10)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if name == "" {
			continue
		}
		if parent := path.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
		}
		mode := os.FileMode(hdr.Mode & 0o7777)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
			dirs = append(dirs, dirTimes{name, hdr})
		case tar.TypeReg:
			root.Remove(name)
			f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
			h := sha256.New()
			_, err = io.CopyBuffer(io.MultiWriter(f, h), tr, buf)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
			hashes[name] = hex.EncodeToString(h.Sum(nil))
		case tar.TypeSymlink:
			root.Remove(name)
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
		case tar.TypeLink:
			target := strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/")
			root.Remove(name)
			if err := root.Link(target, name); err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
			if h, ok := hashes[target]; ok {
				hashes[name] = h
			}
			continue
		default:
			continue // devices and fifos have no place in a build context
		}
		if err := root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
			return nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		if hdr.Typeflag != tar.TypeSymlink {
			if err := root.Chmod(name, mode); err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
			if hdr.Typeflag == tar.TypeReg {
				root.Chtimes(name, hdr.AccessTime, hdr.ModTime)
			}
		}
	}
	// Directory times last: entries written into a dir change its mtime.
	for i := len(dirs) - 1; i >= 0; i-- {
		root.Chtimes(dirs[i].name, dirs[i].hdr.AccessTime, dirs[i].hdr.ModTime)
	}
	return hashes, nil
}
