package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// legacyManifest is one entry of docker save's manifest.json.
type legacyManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

type saveItem struct {
	img  *Image
	tags []string // normalized
}

// Save writes images as docker save (Docker 25+) does: an OCI layout plus
// manifest.json and repositories, streaming blobs from the store.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string) error {
	items, err := s.saveItems(refs)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	written := map[digest.Digest]bool{}
	mtime := time.Unix(0, 0)
	addBlob := func(d digest.Digest) error {
		if written[d] {
			return nil
		}
		written[d] = true
		f, err := s.blobs.open(d)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + d.Encoded(), Mode: 0o444, Size: st.Size(), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = io.Copy(tw, &ctxReader{ctx, f})
		return err
	}
	addJSON := func(name string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o444, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir}); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir}); err != nil {
		return err
	}
	index := ocispec.Index{Versioned: specsVersioned, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	var manifests []legacyManifest
	repos := map[string]map[string]string{}
	for _, it := range items {
		img := it.img
		for _, l := range img.Layers {
			if err := addBlob(l.Digest); err != nil {
				return err
			}
		}
		if err := addBlob(img.ID); err != nil {
			return err
		}
		if err := addBlob(img.ManifestDigest); err != nil {
			return err
		}
		mfSize, _ := s.blobSize(img.ManifestDigest)
		desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: img.ManifestDigest, Size: mfSize}
		lm := legacyManifest{Config: "blobs/sha256/" + img.ID.Encoded(), RepoTags: []string{}}
		for _, l := range img.Layers {
			lm.Layers = append(lm.Layers, "blobs/sha256/"+l.Digest.Encoded())
		}
		if len(it.tags) == 0 {
			index.Manifests = append(index.Manifests, desc)
		}
		for _, t := range it.tags {
			d := desc
			named, _ := reference.ParseNormalizedNamed(t)
			tag := ""
			if tagged, ok := named.(reference.Tagged); ok {
				tag = tagged.Tag()
			}
			d.Annotations = map[string]string{"io.containerd.image.name": t, ocispec.AnnotationRefName: tag}
			index.Manifests = append(index.Manifests, d)
			lm.RepoTags = append(lm.RepoTags, familiar(t))
			repo := reference.FamiliarName(named)
			if repos[repo] == nil {
				repos[repo] = map[string]string{}
			}
			if n := len(img.Layers); n > 0 {
				repos[repo][tag] = img.Layers[n-1].Digest.Encoded()
			}
		}
		manifests = append(manifests, lm)
	}
	if err := addJSON("index.json", index); err != nil {
		return err
	}
	if err := addJSON("manifest.json", manifests); err != nil {
		return err
	}
	if err := addJSON("oci-layout", ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}); err != nil {
		return err
	}
	if len(repos) > 0 {
		if err := addJSON("repositories", repos); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (s *Store) blobSize(d digest.Digest) (int64, error) {
	st, err := os.Stat(s.blobs.path(d))
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// saveItems resolves the arguments of docker save: a name:tag saves that
// tag, a bare repository name all its tags, an ID the image without names.
func (s *Store) saveItems(refs []string) ([]*saveItem, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []*saveItem
	byID := map[digest.Digest]*saveItem{}
	add := func(img *Image, tag string) {
		it := byID[img.ID]
		if it == nil {
			it = &saveItem{img: clone(img)}
			byID[img.ID] = it
			items = append(items, it)
		}
		if tag != "" {
			for _, t := range it.tags {
				if t == tag {
					return
				}
			}
			it.tags = append(it.tags, tag)
		}
	}
	for _, r := range refs {
		if named, err := reference.ParseNormalizedNamed(r); err == nil && reference.IsNameOnly(named) && !isIDOnly(r, s) {
			found := false
			for ref, id := range s.refs {
				if strings.HasPrefix(ref, named.Name()+":") {
					add(s.images[id], ref)
					found = true
				}
			}
			if found {
				continue
			}
		}
		img := s.resolveLocked(r)
		if img == nil {
			return nil, errdefs.NotFound("No such image: %s", r)
		}
		if norm, err := normalize(r); err == nil && s.refs[norm] == img.ID {
			add(img, norm)
		} else {
			add(img, "")
		}
	}
	return items, nil
}

// isIDOnly: r names an image by ID prefix and no repository has that name.
func isIDOnly(r string, s *Store) bool {
	norm, err := normalize(r)
	if err == nil {
		if _, ok := s.refs[norm]; ok {
			return false
		}
	}
	return s.resolveLocked(r) != nil && strings.Trim(strings.TrimPrefix(r, "sha256:"), "0123456789abcdef") == ""
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
