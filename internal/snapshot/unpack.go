package snapshot

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/opencontainers/go-digest"
)

// Unpacked is a layer extracted into a temp dir, not yet visible: the
// caller verifies what else it must (the compressed blob's digest) and then
// commits it under its chain ID, or discards it.
type Unpacked struct {
	s      *Store
	tmp    string
	DiffID digest.Digest
	Size   int64
}

// Unpack extracts an uncompressed layer tar into its own temp dir. Unlike
// Apply it does not need the parent snapshot: each layer is an overlay
// lower dir of its own, so the layers of a pull unpack in parallel. The
// stream is read to its end; its digest must equal diffID.
func (s *Store) Unpack(ctx context.Context, diffID digest.Digest, layer io.Reader) (*Unpacked, error) {
	tmp, err := os.MkdirTemp(s.root, tmpPrefix+"unpack-")
	if err != nil {
		return nil, err
	}
	u := &Unpacked{s: s, tmp: tmp}
	fs := filepath.Join(tmp, "fs")
	if err := os.Mkdir(fs, 0o755); err != nil {
		u.Discard()
		return nil, err
	}
	dg := digest.Canonical.Digester()
	r := io.TeeReader(&ctxReader{ctx, layer}, dg.Hash())
	size, err := archive.Extract(fs, r, archive.ExtractOptions{Whiteouts: true})
	if err == nil {
		// The tar's trailing padding belongs to the digest too.
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		u.Discard()
		return nil, fmt.Errorf("apply layer: %w", err)
	}
	if got := dg.Digest(); got != diffID {
		u.Discard()
		return nil, errdefs.Invalid("layer digest mismatch: expected %s, got %s", diffID, got)
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, "size"), []byte(strconv.FormatInt(size, 10)), 0o600); err != nil {
		u.Discard()
		return nil, err
	}
	u.DiffID, u.Size = diffID, size
	return u, nil
}

// Commit publishes the layer as chainID (kept as is if it exists already).
func (u *Unpacked) Commit(chainID digest.Digest) (*Snapshot, error) {
	final := u.s.dir(chainID)
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if _, err := os.Stat(final); err != nil {
		if err := os.Rename(u.tmp, final); err != nil {
			os.RemoveAll(u.tmp)
			return nil, err
		}
	} else {
		os.RemoveAll(u.tmp)
	}
	return &Snapshot{ChainID: chainID, DiffID: u.DiffID, Dir: filepath.Join(final, "fs"), Size: u.Size}, nil
}

// Discard removes the temp dir.
func (u *Unpacked) Discard() { os.RemoveAll(u.tmp) }
