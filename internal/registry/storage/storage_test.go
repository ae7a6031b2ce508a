package storage

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// leftovers lists the files under uploads/ (there must be none once an upload ended).
func leftovers(t *testing.T, s *Store) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.Root(), "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPutBlobWrongDigestStoresNothing(t *testing.T) {
	s := newStore(t)
	data := randomBytes(t, 4096)
	wrong := digest.FromBytes([]byte("something else"))
	err := s.PutBlob("a/b", wrong, bytes.NewReader(data), int64(len(data)))
	if !errors.Is(err, ErrDigestInvalid) {
		t.Fatalf("err = %v, want ErrDigestInvalid", err)
	}
	if s.HasBlob(wrong) || s.HasBlob(digest.FromBytes(data)) {
		t.Fatal("a blob was stored despite the digest mismatch")
	}
	if _, err := s.StatBlob("a/b", wrong); !errors.Is(err, ErrBlobUnknown) {
		t.Fatalf("stat after failed put: %v", err)
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Fatalf("upload leftovers: %v", l)
	}
}

// failingReader delivers some bytes, then fails as a client that died would.
type failingReader struct {
	data []byte
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestClientDyingMidUploadLeavesNothingVisible(t *testing.T) {
	s := newStore(t)
	data := randomBytes(t, 1<<20)
	d := digest.FromBytes(data)
	if err := s.PutBlob("r", d, &failingReader{data: data[:1000]}, int64(len(data))); err == nil {
		t.Fatal("a truncated monolithic upload succeeded")
	}
	if s.HasBlob(d) {
		t.Fatal("truncated content became visible")
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Fatalf("upload leftovers: %v", l)
	}

	// Chunked: a chunk cut short keeps the session where it was, and the blob invisible.
	us := NewUploads(s)
	u, err := us.Start("r")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.Append(u, 0, bytes.NewReader(data[:1000])); err != nil {
		t.Fatal(err)
	}
	if _, err := us.Append(u, 1000, &failingReader{data: data[1000:5000]}); err == nil {
		t.Fatal("a chunk cut short succeeded")
	}
	if got := u.Size(); got != 1000 {
		t.Fatalf("size after a failed chunk = %d, want 1000", got)
	}
	if s.HasBlob(d) {
		t.Fatal("partial content became visible")
	}
	// The client comes back and finishes from where the server says it is.
	if err := us.Finish(u, d, 1000, bytes.NewReader(data[1000:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StatBlob("r", d); err != nil {
		t.Fatalf("blob after finish: %v", err)
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Fatalf("upload leftovers: %v", l)
	}
}

func TestChunkOutOfOrderIsRefused(t *testing.T) {
	s := newStore(t)
	us := NewUploads(s)
	u, _ := us.Start("r")
	if _, err := us.Append(u, 10, bytes.NewReader([]byte("x"))); !errors.Is(err, ErrRangeInvalid) {
		t.Fatalf("err = %v, want ErrRangeInvalid", err)
	}
}

func TestUploadSurvivesRestartAndSha512(t *testing.T) {
	s := newStore(t)
	data := randomBytes(t, 70000)
	d := digest.SHA512.FromBytes(data)
	u, err := NewUploads(s).Start("r")
	if err != nil {
		t.Fatal(err)
	}
	us := NewUploads(s)
	if _, err := us.Append(mustGet(t, us, u.ID), 0, bytes.NewReader(data[:30000])); err != nil {
		t.Fatal(err)
	}
	// A new process: the hash state is gone, the data is not.
	us2 := NewUploads(s)
	u2 := mustGet(t, us2, u.ID)
	if u2.Size() != 30000 {
		t.Fatalf("resumed size = %d", u2.Size())
	}
	if err := us2.Finish(u2, d, 30000, bytes.NewReader(data[30000:])); err != nil {
		t.Fatal(err)
	}
	f, _, err := s.OpenBlob("r", d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(f)
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

func mustGet(t *testing.T, us *Uploads, id string) *Upload {
	t.Helper()
	u, err := us.Get("r", id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestConcurrentPushesOfTheSameBlobBothSucceed(t *testing.T) {
	s := newStore(t)
	us := NewUploads(s)
	data := randomBytes(t, 2<<20)
	d := digest.FromBytes(data)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := []string{"one", "two"}[i%2]
			if i%4 < 2 {
				errs[i] = s.PutBlob(repo, d, bytes.NewReader(data), int64(len(data)))
				return
			}
			u, err := us.Start(repo)
			if err != nil {
				errs[i] = err
				return
			}
			if _, err := us.Append(u, 0, bytes.NewReader(data[:1<<20])); err != nil {
				errs[i] = err
				return
			}
			errs[i] = us.Finish(u, d, 1<<20, bytes.NewReader(data[1<<20:]))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("push %d: %v", i, err)
		}
	}
	for _, repo := range []string{"one", "two"} {
		info, err := s.StatBlob(repo, d)
		if err != nil || info.Size != int64(len(data)) {
			t.Errorf("%s: %+v %v", repo, info, err)
		}
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Fatalf("upload leftovers: %v", l)
	}
}

func TestManifestTagsAndReferrers(t *testing.T) {
	s := newStore(t)
	subject := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`)
	sd := digest.FromBytes(subject)
	if _, err := s.PutManifest("r", sd, "application/vnd.oci.image.manifest.v1+json", subject, []string{"v1", "latest"}); err != nil {
		t.Fatal(err)
	}
	ref := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-sig","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + sd.String() + `","size":1}}`)
	rd := digest.SHA512.FromBytes(ref)
	subj, err := s.PutManifest("r", rd, "", ref, nil)
	if err != nil || subj != sd {
		t.Fatalf("put referrer: %v %v", subj, err)
	}
	if _, err := s.PutManifest("r", digest.FromBytes(ref), "", append(ref, ' '), nil); !errors.Is(err, ErrDigestInvalid) {
		t.Fatalf("mismatched manifest digest: %v", err)
	}
	tags, _ := s.Tags("r")
	if len(tags) != 2 || tags[0] != "latest" || tags[1] != "v1" {
		t.Fatalf("tags = %v", tags)
	}
	refs, _ := s.Referrers("r", sd, "")
	if len(refs) != 1 || refs[0].Digest != rd || refs[0].ArtifactType != "application/x-sig" {
		t.Fatalf("referrers = %+v", refs)
	}
	if refs, _ := s.Referrers("r", sd, "application/other"); len(refs) != 0 {
		t.Fatalf("filtered referrers = %+v", refs)
	}
	// Deleting by digest removes its tags and its referrer entry.
	if err := s.DeleteManifest("r", sd.String()); err != nil {
		t.Fatal(err)
	}
	if tags, _ := s.Tags("r"); len(tags) != 0 {
		t.Fatalf("tags after delete = %v", tags)
	}
	if err := s.DeleteManifest("r", rd.String()); err != nil {
		t.Fatal(err)
	}
	if refs, _ := s.Referrers("r", sd, ""); len(refs) != 0 {
		t.Fatalf("referrers after delete = %+v", refs)
	}
	if _, err := s.Tags("nope"); !errors.Is(err, ErrNameUnknown) {
		t.Fatalf("tags of unknown repo: %v", err)
	}
}
