// Package image is the local image store: content-addressed blobs, image
// records, references, import, save/load, commit, history, delete, prune.
package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one image of the store. Values handed out are copies.
type Image struct {
	ID             digest.Digest // digest of the config JSON
	Config         dockerspec.DockerOCIImage
	ManifestDigest digest.Digest
	RepoTags       []string // familiar form, sorted
	Created        time.Time
	Size           int64
	ChainIDs       []digest.Digest      // bottom layer first
	Layers         []ocispec.Descriptor // layer blobs, bottom first
	LastTagTime    time.Time
	RepoDigests    []string // "name@sha256:..." of manifests pulled or pushed, familiar form
}

// record is what image/records/<hex>.json keeps; the rest comes from blobs.
type record struct {
	ID             digest.Digest `json:"id"`
	ManifestDigest digest.Digest `json:"manifest"`
	LastTagTime    time.Time     `json:"lastTagTime,omitzero"`
	RepoDigests    []string      `json:"repoDigests,omitempty"`
}

// repositories is image/repositories.json: normalized reference → image.
type repositories struct {
	Refs map[string]digest.Digest `json:"refs"`
}

// Store is the image store.
type Store struct {
	root  string
	blobs *blobs
	snaps *snapshot.Store

	mu     sync.RWMutex
	images map[digest.Digest]*Image
	refs   map[string]digest.Digest // normalized ref → image ID

	retain Retainer // layers another owner (the build cache) keeps; build.go
}

// New opens the store under root (content/ and image/), loading the index
// and sweeping temp files of interrupted writes.
func New(root string, snaps *snapshot.Store) (*Store, error) {
	s := &Store{
		root:   root,
		blobs:  &blobs{dir: filepath.Join(root, "content", "blobs")},
		snaps:  snaps,
		images: map[digest.Digest]*Image{},
		refs:   map[string]digest.Digest{},
	}
	for _, d := range []string{filepath.Join(s.blobs.dir, "sha256"), s.recordsDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	atomicfile.SweepTemps(filepath.Join(s.blobs.dir, "sha256"))
	atomicfile.SweepTemps(s.recordsDir())
	atomicfile.SweepTemps(filepath.Join(root, "image"))
	os.RemoveAll(s.tmpDir())
	os.MkdirAll(s.tmpDir(), 0o700)
	if err := s.loadIndex(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) recordsDir() string { return filepath.Join(s.root, "image", "records") }
func (s *Store) reposPath() string  { return filepath.Join(s.root, "image", "repositories.json") }
func (s *Store) tmpDir() string     { return filepath.Join(s.root, "image", "tmp") }

func (s *Store) loadIndex() error {
	ents, err := os.ReadDir(s.recordsDir())
	if err != nil {
		return err
	}
	for _, e := range ents {
		var rec record
		p := filepath.Join(s.recordsDir(), e.Name())
		if err := atomicfile.ReadJSON(p, &rec); err != nil {
			continue
		}
		img, err := s.materialize(rec)
		if err != nil {
			// A record whose blobs or snapshots are gone is unusable.
			os.Remove(p)
			continue
		}
		s.images[img.ID] = img
	}
	var repos repositories
	if err := atomicfile.ReadJSON(s.reposPath(), &repos); err != nil && !os.IsNotExist(err) {
		return err
	}
	for ref, id := range repos.Refs {
		if _, ok := s.images[id]; ok {
			s.refs[ref] = id
		}
	}
	s.refreshTags()
	return nil
}

// materialize builds an Image from its record and blobs.
func (s *Store) materialize(rec record) (*Image, error) {
	cfgData, err := s.blobs.read(rec.ID)
	if err != nil {
		return nil, err
	}
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return nil, err
	}
	mfData, err := s.blobs.read(rec.ManifestDigest)
	if err != nil {
		return nil, err
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(mfData, &mf); err != nil {
		return nil, err
	}
	img := &Image{ID: rec.ID, Config: cfg, ManifestDigest: rec.ManifestDigest, Layers: mf.Layers, LastTagTime: rec.LastTagTime, RepoDigests: rec.RepoDigests}
	if cfg.Created != nil {
		img.Created = *cfg.Created
	}
	var parent digest.Digest
	for i, l := range mf.Layers {
		if !s.blobs.has(l.Digest) {
			return nil, errdefs.NotFound("layer blob %s missing", l.Digest)
		}
		if i >= len(cfg.RootFS.DiffIDs) {
			return nil, errdefs.Invalid("config has fewer diff IDs than layers")
		}
		parent = snapshot.ChainID(parent, cfg.RootFS.DiffIDs[i])
		if _, err := s.snaps.Get(parent); err != nil {
			return nil, err
		}
		img.ChainIDs = append(img.ChainIDs, parent)
		img.Size += s.snaps.Size(parent)
	}
	return img, nil
}

// refreshTags recomputes every image's RepoTags from refs. Caller holds mu.
func (s *Store) refreshTags() {
	for _, img := range s.images {
		img.RepoTags = nil
	}
	for ref, id := range s.refs {
		if img := s.images[id]; img != nil {
			img.RepoTags = append(img.RepoTags, familiar(ref))
		}
	}
	for _, img := range s.images {
		sort.Strings(img.RepoTags)
	}
}

func (s *Store) saveRepos() error {
	refs := make(map[string]digest.Digest, len(s.refs))
	for k, v := range s.refs {
		refs[k] = v
	}
	return atomicfile.WriteJSON(s.reposPath(), repositories{Refs: refs}, 0o600)
}

func (s *Store) writeRecord(img *Image) error {
	rec := record{ID: img.ID, ManifestDigest: img.ManifestDigest, LastTagTime: img.LastTagTime, RepoDigests: img.RepoDigests}
	return atomicfile.WriteJSON(filepath.Join(s.recordsDir(), img.ID.Encoded()+".json"), rec, 0o600)
}

func clone(img *Image) *Image {
	c := *img
	c.RepoTags = append([]string(nil), img.RepoTags...)
	c.RepoDigests = append([]string(nil), img.RepoDigests...)
	return &c
}

// Resolve finds an image by name[:tag], full ID, hex ID or unique ID prefix.
func (s *Store) Resolve(refOrID string) (*Image, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	img := s.resolveLocked(refOrID)
	if img == nil {
		return nil, noSuchImage(refOrID)
	}
	return clone(img), nil
}

// noSuchImage is Docker's answer for a name no image has: 400 when it is no
// valid reference at all ("Db-X": "invalid reference format: repository name
// must be lowercase"), else 404 with the name in its familiar form.
func noSuchImage(refOrID string) error {
	if _, err := reference.ParseAnyReference(refOrID); err != nil {
		return errdefs.Invalid("%s", err.Error())
	}
	return errdefs.NotFound("No such image: %s", displayRef(refOrID))
}

// ResolvesTo reports whether refOrID names image id now (a cheap Resolve
// for listings: nothing is copied).
func (s *Store) ResolvesTo(refOrID string, id digest.Digest) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	img := s.resolveLocked(refOrID)
	return img != nil && img.ID == id
}

func (s *Store) resolveLocked(refOrID string) *Image {
	if d, err := digest.Parse(refOrID); err == nil {
		return s.images[d]
	}
	if img := s.byRepoDigestLocked(refOrID); img != nil {
		return img
	}
	if ref, err := normalize(refOrID); err == nil {
		if id, ok := s.refs[ref]; ok {
			return s.images[id]
		}
	}
	prefix := strings.TrimPrefix(refOrID, "sha256:")
	if prefix == "" || len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil
	}
	var found *Image
	for id, img := range s.images {
		if strings.HasPrefix(id.Encoded(), prefix) {
			if found != nil {
				return nil // ambiguous
			}
			found = img
		}
	}
	return found
}

// List returns all images, newest first.
func (s *Store) List() []*Image {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Image, 0, len(s.images))
	for _, img := range s.images {
		out = append(out, clone(img))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// LayerDirs returns the overlay lower dirs of img, top layer first. An image
// without layers gets one empty dir.
func (s *Store) LayerDirs(img *Image) ([]string, error) {
	if len(img.ChainIDs) == 0 {
		d, err := s.snaps.EmptyDir()
		if err != nil {
			return nil, err
		}
		return []string{d}, nil
	}
	dirs, err := s.snaps.Dirs(img.ChainIDs)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(dirs)-1; i < j; i, j = i+1, j-1 {
		dirs[i], dirs[j] = dirs[j], dirs[i]
	}
	return dirs, nil
}
