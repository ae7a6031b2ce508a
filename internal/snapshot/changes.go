package snapshot

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// Changes lists what an overlay upper dir changed relative to lowers (as
// `docker diff`): whiteouts are deletions, entries no lower has are
// additions, everything else (opaque dirs included) a modification.
func Changes(upper string, lowers []string) ([]container.FilesystemChange, error) {
	var out []container.FilesystemChange
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel, _ := filepath.Rel(upper, p)
		name := "/" + rel
		if d.Type()&fs.ModeCharDevice != 0 {
			var st unix.Stat_t
			if unix.Lstat(p, &st) == nil && st.Rdev == 0 {
				out = append(out, container.FilesystemChange{Kind: container.ChangeDelete, Path: name})
				return nil
			}
		}
		kind := container.ChangeAdd
		for _, l := range lowers {
			if _, err := os.Lstat(filepath.Join(l, rel)); err == nil {
				kind = container.ChangeModify
				break
			}
		}
		out = append(out, container.FilesystemChange{Kind: kind, Path: name})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// DiffTar writes the upper dir as an OCI layer tar: overlay whiteouts become
// ".wh." files and opaque dirs get a ".wh..wh..opq" entry.
func DiffTar(w io.Writer, upper string, lowers []string) error {
	rc, err := archive.Tar(upper, "/", archive.TarOptions{Contents: true, OverlayWhiteouts: true})
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}
