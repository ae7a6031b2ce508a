package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxManifestSize bounds a manifest body (the spec asks registries to take at least 4 MiB).
const MaxManifestSize = 8 << 20

// Manifest is a stored manifest.
type Manifest struct {
	Digest    digest.Digest
	MediaType string
	Content   []byte
}

// manifestFields are the parts of any manifest or index the registry looks at.
type manifestFields struct {
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType"`
	Config       *ocispec.Descriptor  `json:"config"`
	Layers       []ocispec.Descriptor `json:"layers"`
	Manifests    []ocispec.Descriptor `json:"manifests"`
	Subject      *ocispec.Descriptor  `json:"subject"`
	Annotations  map[string]string    `json:"annotations"`
}

func parseManifest(content []byte) (manifestFields, error) {
	var m manifestFields
	if err := json.Unmarshal(content, &m); err != nil {
		return m, ErrManifestInvalid
	}
	return m, nil
}

// References lists every digest a manifest needs: config, layers, child manifests.
func References(content []byte) []digest.Digest {
	m, err := parseManifest(content)
	if err != nil {
		return nil
	}
	var out []digest.Digest
	if m.Config != nil {
		out = append(out, m.Config.Digest)
	}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	for _, c := range m.Manifests {
		out = append(out, c.Digest)
	}
	return out
}

// PutManifest stores content under its digest d (the algorithm of d is used) in repository
// name, tags it with each of tags, and records it as a referrer of its subject. It returns
// the manifest's subject digest, if any.
func (s *Store) PutManifest(name string, d digest.Digest, mediaType string, content []byte, tags []string) (digest.Digest, error) {
	if d.Algorithm().FromBytes(content) != d {
		return "", ErrDigestInvalid
	}
	m, err := parseManifest(content)
	if err != nil {
		return "", err
	}
	if mediaType == "" {
		mediaType = m.MediaType
	}
	if m.MediaType != "" && mediaType != m.MediaType {
		return "", ErrManifestInvalid
	}
	if !s.HasBlob(d) {
		u, err := s.newUploadFile()
		if err != nil {
			return "", err
		}
		defer u.discard()
		if _, err := u.f.Write(content); err != nil {
			return "", err
		}
		if err := s.commit(u, name, d); err != nil {
			return "", err
		}
	} else {
		touch(s.blobPath(d))
		if err := s.link(name, d); err != nil {
			return "", err
		}
	}
	if err := writeLink(s.manifestLinkPath(name, d), []byte(mediaType)); err != nil {
		return "", err
	}
	var subject digest.Digest
	if m.Subject != nil && m.Subject.Digest.Validate() == nil {
		subject = m.Subject.Digest
		p := filepath.Join(s.referrerDir(name, subject), string(d.Algorithm())+"-"+d.Encoded())
		if err := writeLink(p, nil); err != nil {
			return "", err
		}
	}
	for _, t := range tags {
		if err := writeLink(s.tagPath(name, t), []byte(d.String())); err != nil {
			return "", err
		}
	}
	return subject, nil
}

// Resolve turns a tag or digest reference into a digest present in repository name.
func (s *Store) Resolve(name, ref string) (digest.Digest, error) {
	if strings.Contains(ref, ":") {
		d, err := ParseDigest(ref)
		if err != nil {
			return "", err
		}
		if _, err := os.Lstat(s.manifestLinkPath(name, d)); err != nil {
			return "", ErrManifestUnknown
		}
		return d, nil
	}
	b, err := os.ReadFile(s.tagPath(name, ref))
	if err != nil {
		return "", ErrManifestUnknown
	}
	d, err := digest.Parse(string(bytes.TrimSpace(b)))
	if err != nil {
		return "", ErrManifestUnknown
	}
	return d, nil
}

// GetManifest reads a manifest by tag or digest.
func (s *Store) GetManifest(name, ref string) (Manifest, error) {
	d, err := s.Resolve(name, ref)
	if err != nil {
		return Manifest{}, err
	}
	mt, err := os.ReadFile(s.manifestLinkPath(name, d))
	if err != nil {
		return Manifest{}, ErrManifestUnknown
	}
	content, err := os.ReadFile(s.blobPath(d))
	if err != nil {
		return Manifest{}, ErrManifestUnknown
	}
	return Manifest{Digest: d, MediaType: string(mt), Content: content}, nil
}

// DeleteManifest deletes by digest (the manifest, every tag pointing at it, its referrer
// entry) or by tag (only the tag).
func (s *Store) DeleteManifest(name, ref string) error {
	if !strings.Contains(ref, ":") {
		if err := os.Remove(s.tagPath(name, ref)); err != nil {
			return ErrManifestUnknown
		}
		return nil
	}
	m, err := s.GetManifest(name, ref)
	if err != nil {
		return err
	}
	if err := os.Remove(s.manifestLinkPath(name, m.Digest)); err != nil {
		return ErrManifestUnknown
	}
	tags, _ := s.Tags(name)
	for _, t := range tags {
		if d, err := s.Resolve(name, t); err == nil && d == m.Digest {
			os.Remove(s.tagPath(name, t))
		}
	}
	if f, err := parseManifest(m.Content); err == nil && f.Subject != nil && f.Subject.Digest.Validate() == nil {
		os.Remove(filepath.Join(s.referrerDir(name, f.Subject.Digest), string(m.Digest.Algorithm())+"-"+m.Digest.Encoded()))
	}
	return nil
}

// Tags lists the tags of repository name, sorted; ErrNameUnknown if it does not exist.
func (s *Store) Tags(name string) ([]string, error) {
	if !s.RepoExists(name) {
		return nil, ErrNameUnknown
	}
	ents, err := os.ReadDir(s.repoPath(name, "_tags"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	tags := make([]string, 0, len(ents))
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			tags = append(tags, e.Name())
		}
	}
	sort.Strings(tags)
	return tags, nil
}

// ManifestDigests lists every manifest of repository name (for the collector).
func (s *Store) ManifestDigests(name string) ([]digest.Digest, error) {
	return s.listLinks(s.repoPath(name, "_manifests"))
}

// BlobLinks lists every blob linked into repository name (for the collector).
func (s *Store) BlobLinks(name string) ([]digest.Digest, error) {
	return s.listLinks(s.repoPath(name, "_blobs"))
}

// BlobLinkPath is the link file of a blob in a repository (for the collector).
func (s *Store) BlobLinkPath(name string, d digest.Digest) string { return s.blobLinkPath(name, d) }

func (s *Store) listLinks(dir string) ([]digest.Digest, error) {
	var out []digest.Digest
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		ents, err := os.ReadDir(filepath.Join(dir, string(alg)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			d := digest.NewDigestFromEncoded(alg, e.Name())
			if d.Validate() == nil {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// Referrers lists the descriptors of the manifests in repository name whose subject is d,
// keeping only those of artifactType when it is not empty.
func (s *Store) Referrers(name string, d digest.Digest, artifactType string) ([]ocispec.Descriptor, error) {
	ents, err := os.ReadDir(s.referrerDir(name, d))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	out := []ocispec.Descriptor{}
	for _, e := range ents {
		alg, enc, ok := strings.Cut(e.Name(), "-")
		if !ok {
			continue
		}
		rd := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
		if rd.Validate() != nil {
			continue
		}
		m, err := s.GetManifest(name, rd.String())
		if err != nil {
			continue
		}
		f, err := parseManifest(m.Content)
		if err != nil {
			continue
		}
		at := f.ArtifactType
		if at == "" && f.Config != nil {
			at = f.Config.MediaType
		}
		if artifactType != "" && at != artifactType {
			continue
		}
		out = append(out, ocispec.Descriptor{
			MediaType:    m.MediaType,
			ArtifactType: at,
			Digest:       rd,
			Size:         int64(len(m.Content)),
			Annotations:  f.Annotations,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digest < out[j].Digest })
	return out, nil
}
