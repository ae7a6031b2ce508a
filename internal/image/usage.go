package image

import (
	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/opencontainers/go-digest"
)

// ImageDisk is one image's footprint on disk for `system df`: Size is the
// allocated bytes of everything it needs (snapshots, layer/config/manifest
// blobs, pushed gzip forms), Shared the part other images need too, Unique
// what deleting it alone would free.
type ImageDisk struct {
	Size, Shared, Unique int64
	// Retained is the part the build cache holds too: `image prune`
	// leaves it to `builder prune`.
	Retained int64
	// Objects are the blobs and snapshots it needs, each with its size.
	Objects []DiskObject
}

// DiskObject is one blob ("blob:<digest>") or snapshot ("snapshot:<chain
// ID>") and its allocated bytes.
type DiskObject struct {
	Key      string
	Size     int64
	Retained bool // the build cache holds it too
}

// OnDisk measures every image, each blob and snapshot counted once in
// total (the allocated bytes all images hold together). What only the
// build cache keeps is not here (see RetainedDiskSize).
func (s *Store) OnDisk() (perImage map[digest.Digest]ImageDisk, total int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	type object struct {
		snap bool
		d    digest.Digest
	}
	users := map[object]int{}
	owned := map[digest.Digest][]object{}
	for id, img := range s.images {
		seen := map[object]bool{}
		add := func(o object) {
			if !seen[o] {
				seen[o] = true
				users[o]++
				owned[id] = append(owned[id], o)
			}
		}
		for _, b := range s.imageBlobsLocked(img) {
			add(object{d: b})
		}
		for _, c := range img.ChainIDs {
			add(object{snap: true, d: c})
		}
	}
	sizes := map[object]int64{}
	for o := range users {
		if o.snap {
			sizes[o] = s.snaps.DiskSize(o.d)
		} else {
			sizes[o] = diskusage.Allocated(s.blobs.path(o.d))
		}
		total += sizes[o]
	}
	retainedBlobs, retainedSnaps := map[digest.Digest]bool{}, map[digest.Digest]bool{}
	s.addRetained(retainedBlobs, retainedSnaps)
	// The gzip form of a layer lives as long as the layer (releaseLocked).
	for d := range retainedBlobs {
		if desc, ok := s.CompressedLayer(d); ok {
			retainedBlobs[desc.Digest] = true
		}
	}
	perImage = map[digest.Digest]ImageDisk{}
	for id, objs := range owned {
		var u ImageDisk
		for _, o := range objs {
			key := "blob:" + o.d.String()
			if o.snap {
				key = "snapshot:" + o.d.String()
			}
			retained := (o.snap && retainedSnaps[o.d]) || (!o.snap && retainedBlobs[o.d])
			u.Objects = append(u.Objects, DiskObject{Key: key, Size: sizes[o], Retained: retained})
			u.Size += sizes[o]
			if retained {
				u.Retained += sizes[o]
			}
			if users[o] > 1 {
				u.Shared += sizes[o]
			} else {
				u.Unique += sizes[o]
			}
		}
		perImage[id] = u
	}
	return perImage, total
}

// imageBlobsLocked lists the blobs img needs, including the gzip forms of
// its layers made for pushes. Caller holds mu.
func (s *Store) imageBlobsLocked(img *Image) []digest.Digest {
	out := append([]digest.Digest{img.ID, img.ManifestDigest}, layerDigests(img)...)
	for _, diffID := range img.Config.RootFS.DiffIDs {
		if desc, ok := s.CompressedLayer(diffID); ok {
			out = append(out, desc.Digest)
		}
	}
	return out
}

// LayerDiskSize is what removing one layer (its blob, gzip form and
// snapshot) would free, and whether an image needs any of it: the build
// cache's share of `system df`.
func (s *Store) LayerDiskSize(l Layer) (size int64, usedByImage bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, img := range s.images {
		for _, c := range img.ChainIDs {
			if c == l.ChainID {
				usedByImage = true
			}
		}
	}
	c := diskusage.NewCounter()
	c.Add(s.blobs.path(l.Desc.Digest))
	if desc, ok := s.CompressedLayer(l.DiffID); ok {
		c.Add(s.blobs.path(desc.Digest))
		c.Add(s.compressedPath(l.DiffID))
	}
	return c.Total + s.snaps.DiskSize(l.ChainID), usedByImage
}
