package image

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// SweepUnreferenced deletes the blobs, snapshots and compressed-layer
// records that no image and no retainer (build cache) needs. An import,
// commit, load, pull or build stores its layers and config before the
// record that names them (addImage), so a crash in between leaves them
// behind with nothing that would ever delete them. The daemon calls it at
// start-up, with the retainer registered and before it serves requests.
// It returns how many objects went.
func (s *Store) SweepUnreferenced() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	blobs, diffIDs, snaps := s.inUseLocked()
	n := 0
	// A compressed form belongs to a used layer: keep it and its blob.
	recs, _ := filepath.Glob(filepath.Join(s.root, "image", "compressed", "*.json"))
	for _, p := range recs {
		diffID := digest.NewDigestFromEncoded(digest.SHA256, strings.TrimSuffix(filepath.Base(p), ".json"))
		var desc ocispec.Descriptor
		if diffIDs[diffID] && atomicfile.ReadJSON(p, &desc) == nil {
			blobs[desc.Digest] = true
			continue
		}
		if os.Remove(p) == nil {
			n++
		}
	}
	ents, _ := os.ReadDir(filepath.Join(s.blobs.dir, "sha256"))
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() != nil || blobs[d] {
			continue // temp files are atomicfile's (swept by New)
		}
		if os.Remove(s.blobs.path(d)) == nil {
			n++
		}
	}
	ents, _ = os.ReadDir(s.snaps.Root())
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if !e.IsDir() || d.Validate() != nil || snaps[d] {
			continue // temp dirs are the snapshot store's (swept by snapshot.New)
		}
		if s.snaps.Remove(d) == nil {
			n++
		}
	}
	return n
}
