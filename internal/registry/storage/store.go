// Package storage is the registry server's content store on plain files: content-addressed
// blobs (sha256 and sha512), per-repository blob and manifest links, tags, referrers and
// upload sessions. Every write lands in a temp file that is fsynced and renamed into place,
// so a crash or a client that dies mid-upload never leaves a partial object visible.
//
// Layout under the data root:
//
//	blobs/<alg>/<hh>/<hex>                         blob content (layers, configs, manifests)
//	uploads/<uuid>                                 data of an upload session in flight
//	repositories/<name>/_blobs/<alg>/<hex>         empty link: the blob is visible in <name>
//	repositories/<name>/_manifests/<alg>/<hex>     link holding the manifest's media type
//	repositories/<name>/_tags/<tag>                the digest the tag points to
//	repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex>  link: referrer of a subject
package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	_ "crypto/sha256" // registers sha256 with go-digest
	_ "crypto/sha512" // registers sha512 with go-digest

	"github.com/opencontainers/go-digest"
)

// Errors the server maps to the distribution spec's error codes.
var (
	ErrBlobUnknown      = errors.New("blob unknown to registry")
	ErrManifestUnknown  = errors.New("manifest unknown")
	ErrNameUnknown      = errors.New("repository name not known to registry")
	ErrUploadUnknown    = errors.New("blob upload unknown to registry")
	ErrDigestInvalid    = errors.New("provided digest did not match uploaded content")
	ErrRangeInvalid     = errors.New("invalid content range")
	ErrNameInvalid      = errors.New("invalid repository name")
	ErrTagInvalid       = errors.New("invalid tag")
	ErrManifestInvalid  = errors.New("manifest invalid")
	ErrUnsupportedAlgo  = errors.New("unsupported digest algorithm")
	ErrSizeInvalid      = errors.New("provided length did not match content length")
	ErrManifestTooLarge = errors.New("manifest too large")
)

var (
	nameRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// Store is a registry data root. It is safe for concurrent use: it keeps no global lock,
// every object is published by an atomic rename.
type Store struct {
	root string
}

// Open prepares (creates if needed) a data root.
func Open(root string) (*Store, error) {
	for _, d := range []string{"blobs", "uploads", "repositories"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
	}
	return &Store{root: root}, nil
}

// Root is the data root directory.
func (s *Store) Root() string { return s.root }

// ValidName reports whether name is a valid repository name (distribution spec regexp).
func ValidName(name string) bool { return len(name) <= 255 && nameRE.MatchString(name) }

// ValidTag reports whether tag is a valid tag.
func ValidTag(tag string) bool { return tagRE.MatchString(tag) }

// ParseDigest parses a digest of a supported algorithm (sha256, sha512).
func ParseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		if errors.Is(err, digest.ErrDigestUnsupported) {
			return "", ErrUnsupportedAlgo
		}
		return "", err
	}
	if a := d.Algorithm(); a != digest.SHA256 && a != digest.SHA512 {
		return "", ErrUnsupportedAlgo
	}
	return d, nil
}

func (s *Store) blobPath(d digest.Digest) string {
	h := d.Encoded()
	return filepath.Join(s.root, "blobs", string(d.Algorithm()), h[:2], h)
}

func (s *Store) repoPath(name string, parts ...string) string {
	return filepath.Join(append([]string{s.root, "repositories", filepath.FromSlash(name)}, parts...)...)
}

func (s *Store) blobLinkPath(name string, d digest.Digest) string {
	return s.repoPath(name, "_blobs", string(d.Algorithm()), d.Encoded())
}

func (s *Store) manifestLinkPath(name string, d digest.Digest) string {
	return s.repoPath(name, "_manifests", string(d.Algorithm()), d.Encoded())
}

func (s *Store) tagPath(name, tag string) string { return s.repoPath(name, "_tags", tag) }

func (s *Store) referrerDir(name string, subject digest.Digest) string {
	return s.repoPath(name, "_referrers", string(subject.Algorithm()), subject.Encoded())
}

// RepoExists reports whether anything was ever pushed to name.
func (s *Store) RepoExists(name string) bool {
	fi, err := os.Stat(s.repoPath(name))
	return err == nil && fi.IsDir()
}

// Repositories lists every repository name, sorted.
func (s *Store) Repositories() ([]string, error) {
	base := filepath.Join(s.root, "repositories")
	var names []string
	err := filepath.WalkDir(base, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if !de.IsDir() {
			return nil
		}
		if strings.HasPrefix(de.Name(), "_") {
			if de.Name() == "_manifests" || de.Name() == "_blobs" || de.Name() == "_tags" {
				rel, _ := filepath.Rel(base, filepath.Dir(p))
				name := filepath.ToSlash(rel)
				if len(names) == 0 || names[len(names)-1] != name {
					names = append(names, name)
				}
			}
			return filepath.SkipDir
		}
		return nil
	})
	return dedupSorted(names), err
}

func dedupSorted(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, n := range in {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeLink publishes a small file atomically (temp + fsync + rename), creating parents.
func writeLink(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
