package image

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var now = time.Now

// storeLayer tees an uncompressed layer stream into the blob store and a
// snapshot on top of parent, reading it once. diffID, if set, is verified.
func (s *Store) storeLayer(ctx context.Context, parent, diffID digest.Digest, r io.Reader) (*snapshot.Snapshot, ocispec.Descriptor, error) {
	bw, err := s.blobs.writer()
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	snap, err := s.snaps.Apply(ctx, parent, diffID, io.TeeReader(r, bw))
	if err != nil {
		bw.abort()
		return nil, ocispec.Descriptor{}, err
	}
	d, n, err := bw.commit(snap.DiffID)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	return snap, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: n}, nil
}

// addImage publishes an image whose layers are already stored: config and
// manifest blobs first, then the record, then the references, so a crash
// never leaves a record or reference pointing at nothing.
func (s *Store) addImage(cfgData []byte, layers []ocispec.Descriptor, refs []string) (*Image, error) {
	id, err := s.blobs.put(cfgData)
	if err != nil {
		return nil, err
	}
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	mf := ocispec.Manifest{
		Versioned: specsVersioned,
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: id, Size: int64(len(cfgData))},
		Layers:    layers,
	}
	mfDigest, _, err := s.blobs.putJSON(mf)
	if err != nil {
		return nil, err
	}
	img, err := s.materialize(record{ID: id, ManifestDigest: mfDigest})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.images[id]; ok {
		img = old
	} else {
		if err := s.writeRecord(img); err != nil {
			return nil, err
		}
		s.images[id] = img
	}
	for _, ref := range refs {
		if err := s.setRefLocked(ref, img); err != nil {
			return nil, err
		}
	}
	return clone(img), nil
}

func marshalConfig(cfg any) ([]byte, error) { return json.Marshal(cfg) }
