package gc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/registry/storage"
	"github.com/opencontainers/go-digest"
)

func put(t *testing.T, s *storage.Store, repo string, data []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(data)
	if err := s.PutBlob(repo, d, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	return d
}

// age makes a blob look older than any grace period.
func age(t *testing.T, s *storage.Store, repo string, d digest.Digest) {
	t.Helper()
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{s.BlobPath(d), s.BlobLinkPath(repo, d)} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCollectKeepsReferencedAndInFlight(t *testing.T) {
	s, err := storage.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	config := put(t, s, "app", []byte(`{"architecture":"amd64"}`))
	layer := put(t, s, "app", []byte("layer bytes"))
	orphan := put(t, s, "app", []byte("nobody needs me"))
	recent := put(t, s, "app", []byte("pushed a moment ago, manifest to come"))
	for _, d := range []digest.Digest{config, layer, orphan} {
		age(t, s, "app", d)
	}
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":1}]}`, config, layer))
	md := digest.FromBytes(man)
	if _, err := s.PutManifest("app", md, "", man, []string{"latest"}); err != nil {
		t.Fatal(err)
	}
	age(t, s, "app", md)
	// An upload session in flight: its bytes are not in the blob store yet.
	us := storage.NewUploads(s)
	u, err := us.Start("app")
	if err != nil {
		t.Fatal(err)
	}
	inflight := []byte("half of a layer")
	if _, err := us.Append(u, 0, bytes.NewReader(inflight[:5])); err != nil {
		t.Fatal(err)
	}

	dry, err := Run(s, Options{DryRun: true, Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dry.Deleted, []digest.Digest{orphan}) {
		t.Fatalf("dry run would delete %v, want only %s", dry.Deleted, orphan)
	}
	if !s.HasBlob(orphan) {
		t.Fatal("dry run deleted a blob")
	}

	// An abandoned session from yesterday.
	stale, err := us.Start("app")
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(s.Root(), "uploads", stale.ID), old, old); err != nil {
		t.Fatal(err)
	}

	res, err := Run(s, Options{Grace: time.Hour, UploadTTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExpiredUploads != 1 {
		t.Fatalf("expired %d uploads, want the stale one only", res.ExpiredUploads)
	}
	if _, err := us.Append(stale, 0, bytes.NewReader([]byte("late"))); err == nil {
		t.Fatal("an expired session took more data")
	}
	if !slices.Equal(res.Deleted, []digest.Digest{orphan}) || res.RemovedLinks != 1 {
		t.Fatalf("deleted %v (%d links), want only %s", res.Deleted, res.RemovedLinks, orphan)
	}
	for _, d := range []digest.Digest{config, layer, md, recent} {
		if !s.HasBlob(d) {
			t.Errorf("%s was collected", d)
		}
	}
	if _, err := s.StatBlob("app", orphan); err == nil {
		t.Error("the orphan is still visible in the repository")
	}
	// The upload in flight finishes after the collection and is intact.
	if err := us.Finish(u, digest.FromBytes(inflight), 5, bytes.NewReader(inflight[5:])); err != nil {
		t.Fatalf("in-flight upload after gc: %v", err)
	}
	if m, err := s.GetManifest("app", "latest"); err != nil || m.Digest != md {
		t.Fatalf("manifest after gc: %v %v", m.Digest, err)
	}
}

func TestCollectDeletedManifestFreesItsBlobs(t *testing.T) {
	s, _ := storage.Open(t.TempDir())
	layer := put(t, s, "app", []byte("layer"))
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"layers":[{"digest":%q,"size":5}]}`, layer))
	md := digest.FromBytes(man)
	if _, err := s.PutManifest("app", md, "application/vnd.oci.image.manifest.v1+json", man, nil); err != nil {
		t.Fatal(err)
	}
	age(t, s, "app", layer)
	age(t, s, "app", md)
	if err := s.DeleteManifest("app", md.String()); err != nil {
		t.Fatal(err)
	}
	res, err := Run(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deleted) != 2 || s.HasBlob(layer) || s.HasBlob(md) {
		t.Fatalf("deleted %v", res.Deleted)
	}
}
