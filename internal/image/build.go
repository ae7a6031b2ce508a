package image

import (
	"context"
	"io"

	"github.com/berth-dev/berth/internal/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The builder's entry points: it stores layers and publishes images whose
// config it computed itself (history, deterministic timestamps).

// Layer is one stored layer: its blob, diff ID and snapshot chain ID.
type Layer struct {
	Desc    ocispec.Descriptor
	DiffID  digest.Digest
	ChainID digest.Digest
}

// StoreLayerFromDir stores the diff tar read from r as a blob and adopts dir
// (the overlay upper dir the tar was made from) as the snapshot on top of
// parentChainID, so the layer is never unpacked a second time.
func (s *Store) StoreLayerFromDir(ctx context.Context, parentChainID digest.Digest, r io.Reader, dir string) (Layer, error) {
	bw, err := s.blobs.writer()
	if err != nil {
		return Layer{}, err
	}
	if _, err := io.Copy(bw, &ctxReader{ctx, r}); err != nil {
		bw.abort()
		return Layer{}, err
	}
	d, n, err := bw.commit("")
	if err != nil {
		return Layer{}, err
	}
	// The blob is uncompressed: its digest is the diff ID.
	snap, err := s.snaps.Adopt(parentChainID, d, dir)
	if err != nil {
		return Layer{}, err
	}
	return Layer{Desc: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: n}, DiffID: d, ChainID: snap.ChainID}, nil
}

// HasLayer reports whether the blob and the snapshot of a layer still exist
// (an image delete may have removed a layer only the build cache knew).
func (s *Store) HasLayer(desc ocispec.Descriptor, chainID digest.Digest) bool {
	if !s.blobs.has(desc.Digest) {
		return false
	}
	_, err := s.snaps.Get(chainID)
	return err == nil
}

// CreateImage publishes an image with the given config (whose RootFS lists
// layers' diff IDs) and tags it with refs (any form docker accepts).
func (s *Store) CreateImage(cfg dockerspec.DockerOCIImage, layers []ocispec.Descriptor, refs []string) (*Image, error) {
	var norm []string
	for _, r := range refs {
		n, err := normalize(r)
		if err != nil {
			return nil, errdefs.Invalid("invalid reference format: %s", err.Error())
		}
		norm = append(norm, n)
	}
	data, err := marshalConfig(cfg)
	if err != nil {
		return nil, err
	}
	return s.addImage(data, layers, norm)
}

// RemoveUnusedLayers removes the blobs, compressed forms and snapshots of
// layers no image uses (the build cache's own layers) and returns the bytes
// the data root loses.
func (s *Store) RemoveUnusedLayers(layers []Layer) (int64, error) {
	s.mu.Lock()
	var blobs, diffIDs, chains []digest.Digest
	for _, l := range layers {
		blobs = append(blobs, l.Desc.Digest)
		diffIDs = append(diffIDs, l.DiffID)
		chains = append(chains, l.ChainID)
	}
	_, rel, err := s.releaseLocked(blobs, diffIDs, chains)
	s.mu.Unlock()
	// Deleting runs unlocked (see release).
	freed, ferr := rel.finish()
	if err == nil {
		err = ferr
	}
	return freed, err
}

// Retainer reports the layer blobs and snapshots another owner still
// needs, so deleting an image keeps them (the build cache outlives rmi,
// as in Docker; `builder prune` frees them).
type Retainer func() (blobs, snapshots map[digest.Digest]bool)

// SetRetainer registers r.
func (s *Store) SetRetainer(r Retainer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retain = r
}

// addRetained marks what the retainer keeps as used. Caller holds mu.
func (s *Store) addRetained(blobs, snaps map[digest.Digest]bool) {
	if s.retain == nil {
		return
	}
	b, sn := s.retain()
	for d := range b {
		blobs[d] = true
	}
	for d := range sn {
		snaps[d] = true
	}
}
