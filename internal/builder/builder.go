// Package builder builds images from Dockerfiles: stages in parallel (and
// only those the target needs), RUN steps in real containers on berth's OCI
// runtime with the container's overlay upper dir becoming the layer, and a
// content-keyed step cache. Parsing and config semantics live in
// builder/dockerfile, the context in builder/buildcontext, the cache index
// in builder/cache.
package builder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/builder/buildcontext"
	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/builder/dockerfile"
	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/moby/moby/api/types/build"
)

// Options are docker build's options (the classic API's query set).
type Options struct {
	Dockerfile  string
	Tags        []string
	BuildArgs   map[string]*string
	Target      string
	Labels      map[string]string
	NoCache     bool
	Pull        bool
	NetworkMode string // default for RUN: "default" (host), "host", "none"
	Quiet       bool
	CacheFrom   []string
	Platform    string
	// PullImage fetches a FROM image that is not in the store (or every
	// FROM image with Pull), writing progress lines to out. Nil: builds
	// use local images only.
	PullImage func(ctx context.Context, name string, out io.Writer) error
}

// Builder runs builds against one image store and runtime.
type Builder struct {
	root   string // DATA_ROOT/builder
	images *image.Store
	rt     *runtime.Runtime
	cache  *cache.Index
	log    *slog.Logger
	// saveMu serialises cache index saves of concurrent builds.
	saveMu sync.Mutex
}

// New opens the builder's state under root. Leftovers of interrupted
// builds (work dirs, unpacked contexts) are removed.
func New(root string, images *image.Store, rt *runtime.Runtime, log *slog.Logger) (*Builder, error) {
	if log == nil {
		log = slog.Default()
	}
	b := &Builder{root: root, images: images, rt: rt, log: log}
	unmountUnder(b.tmpDir())
	os.RemoveAll(b.tmpDir())
	for _, d := range []string{b.tmpDir(), b.cacheMountsDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	var err error
	if b.cache, err = cache.Open(root); err != nil {
		return nil, err
	}
	images.SetRetainer(b.cache.Held)
	return b, nil
}

// tmpDir holds work dirs; it is on the data root's filesystem so upper dirs
// can be renamed into the snapshot store.
func (b *Builder) tmpDir() string         { return filepath.Join(b.root, "tmp") }
func (b *Builder) cacheMountsDir() string { return filepath.Join(b.root, "cache-mounts") }

// Build builds the context read from body and returns the image ID. Step
// output goes to out in the classic builder's format.
func (b *Builder) Build(ctx context.Context, body io.Reader, opts Options, out io.Writer) (string, error) {
	if err := checkPlatform(opts.Platform); err != nil {
		return "", err
	}
	start := time.Now()
	bc, err := buildcontext.Open(body, b.tmpDir(), opts.Dockerfile)
	if err != nil {
		return "", err
	}
	b.log.Debug("build: context unpacked", "duration", time.Since(start))
	defer bc.Close()
	df, err := dockerfile.Parse(filepath.Base(bc.DockerfileName), bc.Dockerfile)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	j := &job{b: b, opts: opts, df: df, bc: bc, out: newOutput(out, opts.Quiet), cancel: cancel}
	for _, w := range df.Warnings {
		j.out.printf("[WARNING]: %s\n", w)
	}
	id, err := j.run(ctx)
	b.log.Debug("build: done", "duration", time.Since(start), "err", err)
	b.saveMu.Lock()
	if serr := b.cache.Save(); serr != nil {
		b.log.Warn("build: saving the cache index failed", "err", serr)
	}
	b.saveMu.Unlock()
	if err != nil {
		return "", err
	}
	if unused := j.args.Unconsumed(); len(unused) > 0 {
		j.out.printf("[Warning] One or more build-args [%s] were not consumed\n", strings.Join(unused, " "))
	}
	return id, nil
}

// Prune empties the build cache and frees the layers only it kept.
func (b *Builder) Prune(ctx context.Context) (*build.CachePruneReport, error) {
	entries := b.cache.TakeAll()
	rep := &build.CachePruneReport{CachesDeleted: []string{}}
	var own []image.Layer
	for key, e := range entries {
		rep.CachesDeleted = append(rep.CachesDeleted, key.Encoded())
		// Every layer the step holds, not only its own: base layers of
		// images deleted since are held by the cache alone and would leak.
		own = append(own, e.Layers...)
	}
	freed, err := b.images.RemoveUnusedLayers(own)
	rep.SpaceReclaimed = uint64(freed)
	if err != nil {
		return rep, err
	}
	if mounts, err := os.ReadDir(b.cacheMountsDir()); err == nil {
		for _, m := range mounts {
			p := filepath.Join(b.cacheMountsDir(), m.Name())
			rep.SpaceReclaimed += uint64(diskusage.Allocated(p)) // allocated blocks: what the disk gets back
			rep.CachesDeleted = append(rep.CachesDeleted, "cache-mount:"+m.Name())
			os.RemoveAll(p)
		}
	}
	b.saveMu.Lock()
	defer b.saveMu.Unlock()
	return rep, b.cache.Save()
}

func checkPlatform(p string) error {
	if p == "" {
		return nil
	}
	host := dockerfile.PlatformArgs()["TARGETPLATFORM"]
	if p != host && p != "linux" && !strings.HasPrefix(host, p) {
		return fmt.Errorf("berth builds for the host's platform only (%s), not %s", host, p)
	}
	return nil
}

// Usage lists the cache's steps as Docker's build cache records; Size is
// the layer a step added (0 for config-only steps).
func (b *Builder) Usage() []build.CacheRecord {
	var out []build.CacheRecord
	for key, e := range b.cache.Snapshot() {
		r := build.CacheRecord{ID: key.Encoded()[:25], Type: "regular", Description: e.Description,
			CreatedAt: e.Created, UsageCount: e.UsageCount}
		last := e.LastUsed
		r.LastUsedAt = &last
		if e.Own != nil {
			r.Size = e.Own.Desc.Size
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}
