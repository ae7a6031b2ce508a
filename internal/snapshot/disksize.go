package snapshot

import (
	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/opencontainers/go-digest"
)

// DiskSize is what the snapshot of chainID occupies on disk (allocated
// blocks of its directory, size file included): what removing it frees.
// Size, by contrast, is the layer's content size that `docker images` shows.
func (s *Store) DiskSize(chainID digest.Digest) int64 {
	if chainID.Validate() != nil {
		return 0
	}
	return diskusage.Allocated(s.dir(chainID))
}
