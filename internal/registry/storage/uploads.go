package storage

import (
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
)

// uploadFile is a temp file under uploads/ that becomes a blob by rename.
type uploadFile struct {
	path string
	f    *os.File
}

func (s *Store) newUploadFile() (*uploadFile, error) {
	f, err := os.CreateTemp(filepath.Join(s.root, "uploads"), ".mono-")
	if err != nil {
		return nil, err
	}
	return &uploadFile{path: f.Name(), f: f}, nil
}

// discard removes whatever commit did not publish.
func (u *uploadFile) discard() {
	if u.f != nil {
		u.f.Close()
	}
	if u.path != "" {
		os.Remove(u.path)
	}
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyBuffered(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(w, r, *bp)
}

// Upload is a resumable upload session (POST, then PATCHes, then PUT). Its data lives in
// uploads/<id>; the sha256 state is kept in memory so the final PUT does not re-read the
// data (a session resumed after a restart, or a sha512 one, is re-hashed from disk).
type Upload struct {
	ID   string
	Repo string

	mu     sync.Mutex
	size   int64
	sha256 hash.Hash // nil when the state was lost (restart)
}

// Uploads tracks the sessions of one store.
type Uploads struct {
	s        *Store
	mu       sync.Mutex
	sessions map[string]*Upload
}

// NewUploads returns the session table of s.
func NewUploads(s *Store) *Uploads {
	return &Uploads{s: s, sessions: map[string]*Upload{}}
}

func (s *Store) uploadPath(id string) string { return filepath.Join(s.root, "uploads", id) }

// Start opens a new session for repository repo.
func (us *Uploads) Start(repo string) (*Upload, error) {
	id := newID()
	f, err := os.OpenFile(us.s.uploadPath(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	u := &Upload{ID: id, Repo: repo, sha256: digest.SHA256.Hash()}
	us.mu.Lock()
	us.sessions[id] = u
	us.mu.Unlock()
	return u, nil
}

// Get returns the session id of repository repo.
func (us *Uploads) Get(repo, id string) (*Upload, error) {
	us.mu.Lock()
	u, ok := us.sessions[id]
	us.mu.Unlock()
	if ok {
		if u.Repo != repo {
			return nil, ErrUploadUnknown
		}
		return u, nil
	}
	if !validID(id) {
		return nil, ErrUploadUnknown
	}
	// A session of an earlier server process: its data survived, its hash state did not.
	fi, err := os.Stat(us.s.uploadPath(id))
	if err != nil {
		return nil, ErrUploadUnknown
	}
	u = &Upload{ID: id, Repo: repo, size: fi.Size()}
	us.mu.Lock()
	if cur, ok := us.sessions[id]; ok {
		u = cur
	} else {
		us.sessions[id] = u
	}
	us.mu.Unlock()
	return u, nil
}

func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Size is the number of bytes received so far.
func (u *Upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

// Append writes r at offset start (which must be the current size; -1 means "wherever it
// is", a streamed PATCH). It returns the new size.
func (us *Uploads) Append(u *Upload, start int64, r io.Reader) (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if start >= 0 && start != u.size {
		return u.size, ErrRangeInvalid
	}
	f, err := os.OpenFile(us.s.uploadPath(u.ID), os.O_WRONLY, 0)
	if err != nil {
		return u.size, ErrUploadUnknown
	}
	defer f.Close()
	if _, err := f.Seek(u.size, io.SeekStart); err != nil {
		return u.size, err
	}
	var w io.Writer = f
	if u.sha256 != nil {
		w = io.MultiWriter(f, u.sha256)
	}
	n, err := copyBuffered(w, r)
	u.size += n
	if err != nil {
		// A client gone mid-chunk: drop what it sent of this chunk, keep the session usable.
		u.size -= n
		_ = f.Truncate(u.size)
		u.sha256 = nil
		return u.size, err
	}
	return u.size, nil
}

// Finish appends the last bytes (if any), checks the digest and publishes the blob in the
// session's repository. The session ends either way except on a range error.
func (us *Uploads) Finish(u *Upload, d digest.Digest, start int64, r io.Reader) error {
	if r != nil {
		if _, err := us.Append(u, start, r); err != nil {
			return err
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	defer us.end(u)
	p := us.s.uploadPath(u.ID)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return ErrUploadUnknown
	}
	var got digest.Digest
	if d.Algorithm() == digest.SHA256 && u.sha256 != nil {
		got = digest.NewDigest(digest.SHA256, u.sha256)
	} else {
		h := d.Algorithm().Hash()
		if _, err := copyBuffered(h, f); err != nil {
			f.Close()
			return err
		}
		got = digest.NewDigest(d.Algorithm(), h)
	}
	if got != d {
		f.Close()
		return ErrDigestInvalid
	}
	uf := &uploadFile{path: p, f: f}
	defer uf.discard()
	return us.s.commit(uf, u.Repo, d)
}

// Cancel ends a session and removes its data.
func (us *Uploads) Cancel(u *Upload) {
	u.mu.Lock()
	defer u.mu.Unlock()
	us.end(u)
}

func (us *Uploads) end(u *Upload) {
	os.Remove(us.s.uploadPath(u.ID))
	us.mu.Lock()
	delete(us.sessions, u.ID)
	us.mu.Unlock()
}
