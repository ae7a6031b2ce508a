package builder

import (
	"context"

	"github.com/opencontainers/go-digest"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/snapshot"
)

// workDir is an overlay of a stage's layers, with an upper dir when
// writable, under the builder's tmp dir (same filesystem as the snapshot
// store, so the upper dir can be adopted as a snapshot by rename).
type workDir struct {
	dir, upper, work, rootfs string
	mounted                  bool
}

func (b *Builder) lowerDirs(layers []image.Layer) ([]string, error) {
	if len(layers) == 0 {
		d, err := b.images.Snapshots().EmptyDir()
		return []string{d}, err
	}
	out := make([]string, 0, len(layers))
	for i := len(layers) - 1; i >= 0; i-- {
		snap, err := b.images.Snapshots().Get(layers[i].ChainID)
		if err != nil {
			return nil, err
		}
		out = append(out, snap.Dir)
	}
	return out, nil
}

// mountLayers mounts layers (read-only unless writable) on a new work dir.
func (b *Builder) mountLayers(layers []image.Layer, writable bool) (*workDir, error) {
	lowers, err := b.lowerDirs(layers)
	if err != nil {
		return nil, err
	}
	return b.mountDirs(lowers, writable)
}

// mountDirs mounts an overlay of lowers (top first).
func (b *Builder) mountDirs(lowers []string, writable bool) (*workDir, error) {
	dir, err := os.MkdirTemp(b.tmpDir(), "work-")
	if err != nil {
		return nil, err
	}
	w := &workDir{dir: dir, rootfs: filepath.Join(dir, "rootfs")}
	if writable {
		w.upper, w.work = filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	}
	for _, d := range []string{w.rootfs, w.upper, w.work} {
		if d == "" {
			continue
		}
		if err := os.Mkdir(d, 0o755); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if !writable && len(lowers) == 1 {
		// One read-only layer needs no overlay: use it as it is.
		os.Remove(w.rootfs)
		w.rootfs = lowers[0]
		return w, nil
	}
	// A volatile overlay skips the sync of the upper dir at unmount: the
	// layer's durable copy is its blob, written (and synced) right after.
	if writable {
		err = snapshot.MountVolatile(lowers, w.upper, w.work, w.rootfs)
	} else {
		err = snapshot.Mount(lowers, w.upper, w.work, w.rootfs)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	w.mounted = true
	return w, nil
}

func (w *workDir) unmount() error {
	if !w.mounted {
		return nil
	}
	w.mounted = false
	return snapshot.Unmount(w.rootfs)
}

func (w *workDir) cleanup() {
	if err := w.unmount(); err != nil {
		return // never remove what may still be mounted
	}
	os.RemoveAll(w.dir)
}

// commitUpper unmounts w and stores its upper dir as the layer on top of
// layers: the diff tar goes to the blob store and the upper dir itself
// becomes the snapshot.
func (b *Builder) commitUpper(ctx context.Context, w *workDir, layers []image.Layer) (*image.Layer, error) {
	if err := w.unmount(); err != nil {
		return nil, err
	}
	rc, err := archive.Tar(w.upper, "/", archive.TarOptions{Contents: true, OverlayWhiteouts: true})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	t0 := time.Now()
	l, err := b.images.StoreLayerFromDir(ctx, chainTop(layers), rc, w.upper)
	b.log.Debug("build: layer stored", "duration", time.Since(t0), "size", l.Desc.Size)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func chainTop(layers []image.Layer) digest.Digest {
	if len(layers) == 0 {
		return ""
	}
	return layers[len(layers)-1].ChainID
}

// dirSize is the sum of the regular file sizes under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// unmountUnder unmounts what an interrupted build left mounted below dir
// (deepest first), so removing dir never reaches into a mount.
func unmountUnder(dir string) {
	var targets []string
	for _, mp := range snapshot.MountsUnder(dir) {
		if mp != dir {
			targets = append(targets, mp)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(targets)))
	for _, t := range targets {
		snapshot.Unmount(t)
	}
}
