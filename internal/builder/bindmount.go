package builder

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

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
