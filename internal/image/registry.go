package image

// The store's side of pull and push (internal/distribution): raw blob
// access, images recorded from a registry manifest with their repo digests,
// and the compressed form of layers that were stored uncompressed.

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobWriter streams one blob into a temp file of the content store; Commit
// verifies digest and size before the blob becomes visible.
type BlobWriter struct{ w *blobWriter }

// NewBlobWriter starts a blob.
func (s *Store) NewBlobWriter() (*BlobWriter, error) {
	w, err := s.blobs.writer()
	if err != nil {
		return nil, err
	}
	return &BlobWriter{w: w}, nil
}

func (w *BlobWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

// Digest and Size describe what was written so far.
func (w *BlobWriter) Digest() digest.Digest { return w.w.dg.Digest() }
func (w *BlobWriter) Size() int64           { return w.w.n }

// Verify checks the written bytes against the expected digest and size
// (size < 0: not checked) without committing anything.
func (w *BlobWriter) Verify(expected digest.Digest, size int64) error {
	if size >= 0 && w.w.n != size {
		return errdefs.Invalid("size mismatch for %s: expected %d bytes, got %d", expected, size, w.w.n)
	}
	if got := w.w.dg.Digest(); got != expected {
		return errdefs.Invalid("digest mismatch: expected %s, got %s", expected, got)
	}
	return nil
}

// Commit publishes the blob under expected (after Verify's checks).
func (w *BlobWriter) Commit(expected digest.Digest, size int64) error {
	if err := w.Verify(expected, size); err != nil {
		w.w.abort()
		return err
	}
	_, _, err := w.w.commit(expected)
	return err
}

// Abort drops the temp file.
func (w *BlobWriter) Abort() { w.w.abort() }

// HasBlob reports whether the content store holds d.
func (s *Store) HasBlob(d digest.Digest) bool { return s.blobs.has(d) }

// OpenBlob opens a stored blob.
func (s *Store) OpenBlob(d digest.Digest) (*os.File, error) { return s.blobs.open(d) }

// ReadBlob reads a (small) stored blob.
func (s *Store) ReadBlob(d digest.Digest) ([]byte, error) { return s.blobs.read(d) }

// PutBlob stores data and returns its digest.
func (s *Store) PutBlob(data []byte) (digest.Digest, error) { return s.blobs.put(data) }

// Snapshots is the snapshot store the images' layers are unpacked into.
func (s *Store) Snapshots() *snapshot.Store { return s.snaps }

// AddPulled records an image whose config, manifest and layer blobs and
// snapshots are all stored: the manifest as the registry served it (so a
// push sends the same bytes), refs pointing at it and repoDigest
// ("host/name@sha256:...") added. If the image exists already it keeps its
// manifest and only gains the reference and digest. created tells whether
// the image is new to the store.
func (s *Store) AddPulled(configDigest, manifestDigest digest.Digest, refs []string, repoDigest string) (img *Image, created bool, err error) {
	fresh, err := s.materialize(record{ID: configDigest, ManifestDigest: manifestDigest})
	if err != nil {
		return nil, false, err
	}
	rel := &release{}
	defer rel.finish() // after the deferred unlock (see release)
	s.mu.Lock()
	defer s.mu.Unlock()
	img, ok := s.images[configDigest]
	if !ok {
		img, created = fresh, true
		s.images[img.ID] = img
	} else if fresh.ManifestDigest != img.ManifestDigest {
		// The image keeps its manifest: the pulled one and layer blobs
		// only it names would be left on disk with nothing naming them.
		_, r, _ := s.releaseLocked(append([]digest.Digest{fresh.ManifestDigest}, layerDigests(fresh)...), nil, nil)
		rel.merge(r)
	}
	if repoDigest != "" {
		img.RepoDigests = withRepoDigest(img.RepoDigests, repoDigest)
	}
	if err := s.writeRecord(img); err != nil {
		if created {
			delete(s.images, img.ID)
		}
		return nil, false, err
	}
	for _, ref := range refs {
		if s.refs[ref] == img.ID {
			continue
		}
		if err := s.setRefLocked(ref, img); err != nil {
			return nil, false, err
		}
	}
	return clone(img), created, nil
}

// AddRepoDigest remembers that repoDigest names image id (after a push).
func (s *Store) AddRepoDigest(id digest.Digest, repoDigest string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	img, ok := s.images[id]
	if !ok {
		return errdefs.NotFound("No such image: %s", id)
	}
	img.RepoDigests = withRepoDigest(img.RepoDigests, repoDigest)
	return s.writeRecord(img)
}

// withRepoDigest keeps one digest per repository, as Docker does.
func withRepoDigest(list []string, rd string) []string {
	repo, _, _ := strings.Cut(familiar(rd), "@")
	out := []string{}
	for _, d := range list {
		if r, _, _ := strings.Cut(d, "@"); r != repo {
			out = append(out, d)
		}
	}
	return append(out, familiar(rd))
}

// byRepoDigestLocked finds the image a "name@sha256:..." reference names.
func (s *Store) byRepoDigestLocked(ref string) *Image {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil
	}
	if _, ok := named.(reference.Canonical); !ok {
		return nil
	}
	want := reference.FamiliarString(named)
	for _, img := range s.images {
		for _, d := range img.RepoDigests {
			if d == want {
				return img
			}
		}
	}
	return nil
}

// HasReference reports whether the normalized ref points at id already.
func (s *Store) HasReference(ref string, id digest.Digest) bool {
	norm, err := normalize(ref)
	if err != nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.refs[norm] == id
}

// compressedPath keeps, per diff ID, the descriptor of the layer's gzip
// form made for a push, so it is compressed once.
func (s *Store) compressedPath(diffID digest.Digest) string {
	return filepath.Join(s.root, "image", "compressed", diffID.Encoded()+".json")
}

// CompressedLayer returns the stored compressed form of the layer diffID.
func (s *Store) CompressedLayer(diffID digest.Digest) (ocispec.Descriptor, bool) {
	if diffID.Validate() != nil {
		return ocispec.Descriptor{}, false
	}
	var desc ocispec.Descriptor
	if err := atomicfile.ReadJSON(s.compressedPath(diffID), &desc); err != nil || !s.blobs.has(desc.Digest) {
		return ocispec.Descriptor{}, false
	}
	return desc, true
}

// SetCompressedLayer remembers desc (a stored blob) as diffID's compressed form.
func (s *Store) SetCompressedLayer(diffID digest.Digest, desc ocispec.Descriptor) error {
	p := s.compressedPath(diffID)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteJSON(p, desc, 0o600)
}

// ManifestOf returns img's stored manifest bytes.
func (s *Store) ManifestOf(img *Image) ([]byte, error) { return s.blobs.read(img.ManifestDigest) }

// NormalizeRef is Docker's normalisation of a name[:tag] ("bb" →
// "docker.io/library/bb:latest"), refusing digests.
func NormalizeRef(ref string) (string, error) { return normalize(ref) }

// digestRef reports whether s is a "name@sha256:..." reference and gives
// its familiar form.
func digestRef(s string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", false
	}
	if _, ok := named.(reference.Canonical); !ok {
		return "", false
	}
	return reference.FamiliarString(named), true
}

// deleteRepoDigestLocked is rmi NAME@DIGEST: the digest reference goes, and
// the image with it when nothing else names it and no container uses it.
func (s *Store) deleteRepoDigestLocked(img *Image, rd, ctr string, rel *release) ([]image.DeleteResponse, error) {
	var kept []string
	for _, d := range img.RepoDigests {
		if d != rd {
			kept = append(kept, d)
		}
	}
	img.RepoDigests = kept
	if err := s.writeRecord(img); err != nil {
		return nil, err
	}
	records := []image.DeleteResponse{{Untagged: rd}}
	if len(img.RepoTags) > 0 || len(img.RepoDigests) > 0 || ctr != "" {
		return records, nil
	}
	deleted, r, err := s.removeImageLocked(img)
	rel.merge(r)
	return append(records, deleted...), err
}
