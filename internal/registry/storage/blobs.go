package storage

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// BlobInfo is what a HEAD needs.
type BlobInfo struct {
	Digest  digest.Digest
	Size    int64
	ModTime time.Time
}

// StatBlob returns the blob if it is visible in repository name.
func (s *Store) StatBlob(name string, d digest.Digest) (BlobInfo, error) {
	if _, err := os.Lstat(s.blobLinkPath(name, d)); err != nil {
		return BlobInfo{}, ErrBlobUnknown
	}
	fi, err := os.Stat(s.blobPath(d))
	if err != nil {
		return BlobInfo{}, ErrBlobUnknown
	}
	return BlobInfo{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// OpenBlob opens the blob for reading if it is visible in repository name.
func (s *Store) OpenBlob(name string, d digest.Digest) (*os.File, BlobInfo, error) {
	if _, err := os.Lstat(s.blobLinkPath(name, d)); err != nil {
		return nil, BlobInfo{}, ErrBlobUnknown
	}
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, BlobInfo{}, ErrBlobUnknown
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, BlobInfo{}, err
	}
	return f, BlobInfo{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// HasBlob reports whether the content exists anywhere in the store.
func (s *Store) HasBlob(d digest.Digest) bool {
	_, err := os.Stat(s.blobPath(d))
	return err == nil
}

// Mount makes a blob visible in repository name. With from set, the blob must be visible
// there; with from empty, anywhere in the store is enough (automatic content discovery).
func (s *Store) Mount(name, from string, d digest.Digest) error {
	if from != "" {
		if _, err := os.Lstat(s.blobLinkPath(from, d)); err != nil {
			return ErrBlobUnknown
		}
	}
	p := s.blobPath(d)
	if _, err := os.Stat(p); err != nil {
		return ErrBlobUnknown
	}
	touch(p) // a mounted blob is about to be referenced: keep the collector off it
	return s.link(name, d)
}

// DeleteBlob removes the blob from repository name (the content stays until gc).
func (s *Store) DeleteBlob(name string, d digest.Digest) error {
	if err := os.Remove(s.blobLinkPath(name, d)); err != nil {
		return ErrBlobUnknown
	}
	return nil
}

// PutBlob stores r as blob d in repository name in one go (monolithic upload): the content
// is hashed while it streams to a temp file, and published only if the digest matches.
func (s *Store) PutBlob(name string, d digest.Digest, r io.Reader, size int64) error {
	u, err := s.newUploadFile()
	if err != nil {
		return err
	}
	defer u.discard()
	h := d.Algorithm().Hash()
	n, err := copyBuffered(io.MultiWriter(u.f, h), r)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return ErrSizeInvalid
	}
	if digest.NewDigest(d.Algorithm(), h) != d {
		return ErrDigestInvalid
	}
	return s.commit(u, name, d)
}

// link publishes the repository's link to blob d.
func (s *Store) link(name string, d digest.Digest) error {
	p := s.blobLinkPath(name, d)
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	return writeLink(p, nil)
}

// commit fsyncs the upload file, renames it into the blob store and links it into name.
// Two uploads of the same content both succeed: the second rename replaces identical bytes.
func (s *Store) commit(u *uploadFile, name string, d digest.Digest) error {
	if err := u.f.Sync(); err != nil {
		return err
	}
	if err := u.f.Close(); err != nil {
		return err
	}
	u.f = nil
	dst := s.blobPath(d)
	if err := os.Rename(u.path, dst); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(u.path, dst); err != nil {
			return err
		}
	}
	u.path = ""
	return s.link(name, d)
}

// TouchBlob marks a blob as recently used, so a concurrent gc leaves it alone
// (a client that saw it with HEAD will reference it without uploading).
func (s *Store) TouchBlob(d digest.Digest) { touch(s.blobPath(d)) }

func touch(p string) {
	now := time.Now()
	_ = os.Chtimes(p, now, now)
}

// BlobPath is the file of a blob's content (for the collector).
func (s *Store) BlobPath(d digest.Digest) string { return s.blobPath(d) }
