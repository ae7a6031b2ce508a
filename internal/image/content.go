package image

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/opencontainers/go-digest"
)

// blobs is the content store: content/blobs/sha256/<hex>, every write
// verified against its digest before it becomes visible.
type blobs struct{ dir string }

func (b *blobs) path(d digest.Digest) string {
	return filepath.Join(b.dir, string(d.Algorithm()), d.Encoded())
}

func (b *blobs) has(d digest.Digest) bool {
	if d.Validate() != nil {
		return false
	}
	_, err := os.Stat(b.path(d))
	return err == nil
}

func (b *blobs) open(d digest.Digest) (*os.File, error) {
	if err := d.Validate(); err != nil {
		return nil, errdefs.Invalid("invalid digest %q: %v", d, err)
	}
	f, err := os.Open(b.path(d))
	if os.IsNotExist(err) {
		return nil, errdefs.NotFound("blob %s not found", d)
	}
	return f, err
}

func (b *blobs) read(d digest.Digest) ([]byte, error) {
	f, err := b.open(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// blobWriter streams a blob into a temp file; commit verifies and renames.
type blobWriter struct {
	b  *blobs
	f  *os.File
	dg digest.Digester
	n  int64
	// flushed is how far writeback has been started (writeback.go).
	flushed int64
}

func (b *blobs) writer() (*blobWriter, error) {
	dir := filepath.Join(b.dir, "sha256")
	f, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return nil, err
	}
	return &blobWriter{b: b, f: f, dg: digest.Canonical.Digester()}, nil
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.dg.Hash().Write(p[:n])
	w.n += int64(n)
	w.startWriteback()
	return n, err
}

// commit checks the digest (if expected is set) and publishes the blob.
func (w *blobWriter) commit(expected digest.Digest) (digest.Digest, int64, error) {
	defer w.abort()
	got := w.dg.Digest()
	if expected != "" && got != expected {
		return "", 0, errdefs.Invalid("digest mismatch: expected %s, got %s", expected, got)
	}
	if err := w.f.Sync(); err != nil {
		return "", 0, err
	}
	if err := w.f.Close(); err != nil {
		return "", 0, err
	}
	if err := os.Rename(w.f.Name(), w.b.path(got)); err != nil {
		return "", 0, err
	}
	return got, w.n, nil
}

func (w *blobWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// put writes data as a blob and returns its digest.
func (b *blobs) put(data []byte) (digest.Digest, error) {
	d := digest.FromBytes(data)
	if b.has(d) {
		return d, nil
	}
	w, err := b.writer()
	if err != nil {
		return "", err
	}
	if _, err := w.Write(data); err != nil {
		w.abort()
		return "", err
	}
	_, _, err = w.commit(d)
	return d, err
}

func (b *blobs) putJSON(v any) (digest.Digest, []byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", nil, err
	}
	d, err := b.put(data)
	return d, data, err
}

func (b *blobs) remove(d digest.Digest) error {
	err := os.Remove(b.path(d))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
