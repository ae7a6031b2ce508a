package image

import (
	"os"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// What an image owns on disk: its config and manifest blobs, its layer
// blobs, the gzip blobs made when it was pushed (image/compressed/), and its
// snapshots. Deleting images and pruning the build cache both go through
// releaseLocked, which removes the candidates nothing else needs and
// reports the allocated bytes the data root loses, so prune reports are
// what `du` sees.

// inUseLocked is every blob, diff ID and snapshot the remaining images and
// the retainer (build cache) need. Caller holds mu.
func (s *Store) inUseLocked() (blobs, diffIDs, snaps map[digest.Digest]bool) {
	blobs, diffIDs, snaps = map[digest.Digest]bool{}, map[digest.Digest]bool{}, map[digest.Digest]bool{}
	for _, o := range s.images {
		blobs[o.ID] = true
		blobs[o.ManifestDigest] = true
		for _, l := range o.Layers {
			blobs[l.Digest] = true
		}
		for _, d := range o.Config.RootFS.DiffIDs {
			diffIDs[d] = true
		}
		for _, c := range o.ChainIDs {
			snaps[c] = true
		}
	}
	s.addRetained(blobs, snaps)
	// A retained layer blob is uncompressed: its digest is its diff ID.
	for d := range blobs {
		diffIDs[d] = true
	}
	return blobs, diffIDs, snaps
}

// releaseLocked detaches, of the candidates, the blobs and snapshots no
// image or retainer needs, and the compressed forms of diff IDs no one
// needs. chainIDs are bottom first; they are detached top first. It
// returns the chain IDs detached and a release whose finish deletes them
// and reports the bytes freed on disk: call it after unlocking mu (see
// release). Caller holds mu.
func (s *Store) releaseLocked(blobCands, diffIDCands, chainIDs []digest.Digest) ([]digest.Digest, *release, error) {
	usedBlobs, usedDiffIDs, usedSnaps := s.inUseLocked()
	rel := &release{}
	removeBlob := func(d digest.Digest) {
		if usedBlobs[d] || !s.blobs.has(d) {
			return
		}
		rel.detachFile(s, s.blobs.path(d))
		usedBlobs[d] = true // once
	}
	for _, d := range blobCands {
		removeBlob(d)
	}
	for _, diffID := range diffIDCands {
		if usedDiffIDs[diffID] || diffID.Validate() != nil {
			continue
		}
		usedDiffIDs[diffID] = true
		p := s.compressedPath(diffID)
		var desc ocispec.Descriptor
		if atomicfile.ReadJSON(p, &desc) == nil {
			removeBlob(desc.Digest)
		}
		// A small record: removed here, so no later lookup finds it.
		size := diskusage.Allocated(p)
		if err := os.Remove(p); err == nil {
			rel.freed += size
		}
	}
	var removed []digest.Digest
	for i := len(chainIDs) - 1; i >= 0; i-- {
		c := chainIDs[i]
		if usedSnaps[c] || c.Validate() != nil {
			continue
		}
		tmp, err := s.snaps.Detach(c)
		if err != nil {
			return removed, rel, err
		}
		if tmp == "" {
			continue
		}
		usedSnaps[c] = true
		rel.trash = append(rel.trash, tmp)
		removed = append(removed, c)
	}
	return removed, rel, nil
}
