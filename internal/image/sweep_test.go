package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A crash between storing a layer and writing the record that names it
// leaves a blob and a snapshot; the start-up sweep removes them and
// nothing an image needs.
func TestSweepUnreferenced(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	img, err := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Ref: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	snap, desc, err := s.storeLayer(ctx, "", "", bytes.NewReader(tarOf(t, file{name: "orphan", body: "x", typ: '0'})))
	if err != nil {
		t.Fatal(err)
	}
	if n := s.SweepUnreferenced(); n != 2 {
		t.Errorf("swept %d objects, want 2 (the orphan layer's blob and snapshot)", n)
	}
	if s.blobs.has(desc.Digest) {
		t.Error("orphan blob still there")
	}
	if _, err := os.Stat(filepath.Join(root, "snapshots", snap.ChainID.Encoded())); !os.IsNotExist(err) {
		t.Errorf("orphan snapshot: %v", err)
	}
	got, err := s.Resolve("kept")
	if err != nil || got.ID != img.ID {
		t.Fatalf("Resolve kept: %v, %v", got, err)
	}
	if _, err := s.LayerDirs(got); err != nil {
		t.Fatalf("LayerDirs of the kept image: %v", err)
	}
	if n := s.SweepUnreferenced(); n != 0 {
		t.Errorf("second sweep removed %d objects", n)
	}
}
