package snapshot

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/opencontainers/go-digest"
)

// Adopt makes dir (an overlay upper dir whose diff tar has digest diffID)
// the snapshot of diffID on top of parentChainID by renaming it into place.
// Overlay reads an upper dir's whiteouts and opaque markers as a lower dir
// too, so no unpacking is needed. dir must be on the store's filesystem; it
// is consumed (renamed or removed).
func (s *Store) Adopt(parentChainID, diffID digest.Digest, dir string) (*Snapshot, error) {
	chainID := ChainID(parentChainID, diffID)
	if snap, err := s.Get(chainID); err == nil {
		os.RemoveAll(dir)
		snap.DiffID = diffID
		return snap, nil
	}
	tmp, err := os.MkdirTemp(s.root, tmpPrefix+"adopt-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Rename(dir, filepath.Join(tmp, "fs")); err != nil {
		return nil, err
	}
	var size int64
	filepath.WalkDir(filepath.Join(tmp, "fs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	if err := atomicfile.WriteFile(filepath.Join(tmp, "size"), []byte(strconv.FormatInt(size, 10)), 0o600); err != nil {
		return nil, err
	}
	final := s.dir(chainID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(final); err != nil {
		if err := os.Rename(tmp, final); err != nil {
			return nil, err
		}
	}
	return &Snapshot{ChainID: chainID, DiffID: diffID, Dir: filepath.Join(final, "fs"), Size: size}, nil
}
