package builder

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/moby/moby/api/types/build"
	"github.com/opencontainers/go-digest"
)

// DiskRecords is the build cache as `system df` shows it, measured on disk:
// a step's Size is what `builder prune` frees for it (its layer's blob,
// gzip form and snapshot, allocated blocks); layers an image holds too are
// not counted (pruning the cache keeps them). Each
// RUN --mount=type=cache dir is one record of its own.
func (b *Builder) DiskRecords() []build.CacheRecord {
	entries := b.cache.Snapshot()
	keys := make([]digest.Digest, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return entries[keys[i]].Created.Before(entries[keys[j]].Created) })
	var out []build.CacheRecord
	// A layer is counted once, with the oldest step holding it (steps
	// hold their whole stack, base layers included).
	counted := map[digest.Digest]bool{}
	for _, key := range keys {
		e := entries[key]
		last := e.LastUsed
		r := build.CacheRecord{ID: key.Encoded()[:25], Type: "regular", Description: e.Description,
			CreatedAt: e.Created, LastUsedAt: &last, UsageCount: e.UsageCount}
		for _, l := range e.Layers {
			size, used := b.images.LayerDiskSize(l)
			if !used && !counted[l.ChainID] {
				counted[l.ChainID] = true
				r.Size += size
			}
		}
		out = append(out, r)
	}
	if mounts, err := os.ReadDir(b.cacheMountsDir()); err == nil {
		for _, m := range mounts {
			p := filepath.Join(b.cacheMountsDir(), m.Name())
			r := build.CacheRecord{ID: m.Name(), Type: "exec.cachemount", Description: "cache mount " + m.Name(),
				Size: diskusage.Allocated(p)}
			if info, err := m.Info(); err == nil {
				r.CreatedAt = info.ModTime()
				mod := info.ModTime()
				r.LastUsedAt = &mod
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}
