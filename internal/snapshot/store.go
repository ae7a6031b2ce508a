// Package snapshot keeps unpacked image layers (one directory per OCI chain
// ID, used as overlay lower dirs) and mounts, diffs and inspects overlays.
package snapshot

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/opencontainers/go-digest"
)

// Snapshot is one unpacked layer on top of its parents.
type Snapshot struct {
	ChainID digest.Digest
	DiffID  digest.Digest
	// Dir is the unpacked layer: an overlay lower dir.
	Dir  string
	Size int64
}

// Store keeps snapshots under root/<chain id hex>/{fs,size}.
type Store struct {
	root string
	mu   sync.Mutex // serialises the publish step of Apply
}

const tmpPrefix = ".tmp-"

// New opens (creating) a store and removes what interrupted applies left.
func New(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
	return &Store{root: root}, nil
}

// Root is the directory holding the snapshots.
func (s *Store) Root() string { return s.root }

// ChainID is the OCI chain ID of diffID on top of parent (empty for a base layer).
func ChainID(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(parent.String() + " " + diffID.String())
}

func (s *Store) dir(chainID digest.Digest) string {
	return filepath.Join(s.root, chainID.Encoded())
}

// Get returns the snapshot of chainID.
func (s *Store) Get(chainID digest.Digest) (*Snapshot, error) {
	if chainID.Validate() != nil {
		return nil, errdefs.Invalid("invalid chain ID %q", chainID)
	}
	d := s.dir(chainID)
	if _, err := os.Stat(filepath.Join(d, "fs")); err != nil {
		return nil, errdefs.NotFound("snapshot %s not found", chainID)
	}
	return &Snapshot{ChainID: chainID, Dir: filepath.Join(d, "fs"), Size: s.Size(chainID)}, nil
}

// Apply unpacks an uncompressed layer tar on top of parentChainID. diffID
// may be empty: it is then computed from the stream; if given it is
// verified. The layer is unpacked into a temp dir and renamed into place, so
// a snapshot that exists is always complete. The stream is always read to
// its end (callers tee it into the blob store).
func (s *Store) Apply(ctx context.Context, parentChainID, diffID digest.Digest, layer io.Reader) (*Snapshot, error) {
	if parentChainID != "" {
		if _, err := s.Get(parentChainID); err != nil {
			return nil, err
		}
	}
	if diffID != "" {
		if snap, err := s.Get(ChainID(parentChainID, diffID)); err == nil {
			if _, err := io.Copy(io.Discard, layer); err != nil {
				return nil, err
			}
			snap.DiffID = diffID
			return snap, nil
		}
	}
	tmp, err := os.MkdirTemp(s.root, tmpPrefix+"apply-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	fs := filepath.Join(tmp, "fs")
	if err := os.Mkdir(fs, 0o755); err != nil {
		return nil, err
	}
	dg := digest.Canonical.Digester()
	r := io.TeeReader(&ctxReader{ctx, layer}, dg.Hash())
	size, err := archive.Extract(fs, r, archive.ExtractOptions{Whiteouts: true})
	if err != nil {
		return nil, fmt.Errorf("apply layer: %w", err)
	}
	// The tar's trailing padding belongs to the digest too.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, err
	}
	got := dg.Digest()
	if diffID != "" && got != diffID {
		return nil, errdefs.Invalid("layer digest mismatch: expected %s, got %s", diffID, got)
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, "size"), []byte(strconv.FormatInt(size, 10)), 0o600); err != nil {
		return nil, err
	}
	chainID := ChainID(parentChainID, got)
	final := s.dir(chainID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(final); err != nil {
		if err := os.Rename(tmp, final); err != nil {
			return nil, err
		}
	}
	return &Snapshot{ChainID: chainID, DiffID: got, Dir: filepath.Join(final, "fs"), Size: size}, nil
}

// Dirs returns the lower dirs of chainIDs, in the order given.
func (s *Store) Dirs(chainIDs []digest.Digest) ([]string, error) {
	out := make([]string, 0, len(chainIDs))
	for _, c := range chainIDs {
		snap, err := s.Get(c)
		if err != nil {
			return nil, err
		}
		out = append(out, snap.Dir)
	}
	return out, nil
}

// Remove deletes a snapshot. It is first renamed to a temp name, so a crash
// midway leaves a leftover New sweeps, never a half snapshot.
func (s *Store) Remove(chainID digest.Digest) error {
	tmp, err := s.Detach(chainID)
	if err != nil || tmp == "" {
		return err
	}
	err = os.RemoveAll(tmp)
	os.Remove(filepath.Dir(tmp))
	return err
}

// Detach renames the snapshot of chainID out of the store and returns
// where it went (alone in a private temp dir that New sweeps), or "" if
// it did not exist. The caller deletes it, then the dir, when it holds no
// lock: the rename is instant, the deletion may walk gigabytes.
func (s *Store) Detach(chainID digest.Digest) (string, error) {
	if chainID.Validate() != nil {
		return "", errdefs.Invalid("invalid chain ID %q", chainID)
	}
	dir, err := os.MkdirTemp(s.root, tmpPrefix+"rm-")
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, chainID.Encoded())
	s.mu.Lock()
	err = os.Rename(s.dir(chainID), tmp)
	s.mu.Unlock()
	if err != nil {
		os.Remove(dir)
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", err
	}
	return tmp, nil
}

// Size is the sum of the layer's regular file sizes (0 if unknown).
func (s *Store) Size(chainID digest.Digest) int64 {
	b, err := os.ReadFile(filepath.Join(s.dir(chainID), "size"))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}

// EmptyDir returns an empty directory usable as the only lower dir of an
// image without layers.
func (s *Store) EmptyDir() (string, error) {
	d := filepath.Join(s.root, "empty")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	return d, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
