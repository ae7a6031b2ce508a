package builder

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/moby/moby/api/types/build"
)

// DiskRecords is the build cache as `system df` shows it, measured on disk:
// a step's Size is what `builder prune` frees for it (its layer's blob,
// gzip form and snapshot, allocated blocks), and 0 with InUse and Shared
// set when an image holds the layer too (pruning the cache keeps it). Each
// RUN --mount=type=cache dir is one record of its own.
func (b *Builder) DiskRecords() []build.CacheRecord {
	var out []build.CacheRecord
	for key, e := range b.cache.Snapshot() {
		last := e.LastUsed
		r := build.CacheRecord{ID: key.Encoded()[:25], Type: "regular", Description: e.Description,
			CreatedAt: e.Created, LastUsedAt: &last, UsageCount: e.UsageCount}
		if e.Own != nil {
			size, used := b.images.LayerDiskSize(*e.Own)
			if used {
				r.InUse, r.Shared = true, true
			} else {
				r.Size = size
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
