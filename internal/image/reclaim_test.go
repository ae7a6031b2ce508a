package image

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/berth-dev/berth/internal/filters"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Deleting the last image of a layer frees its blobs, its snapshot and the
// gzip form a push made, and reports exactly what the store root lost;
// OnDisk announced the same bytes as the image's unique size.
func TestDeleteFreesAndReportsEverythingTheImageHeld(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	empty := diskusage.Allocated(root)
	img, err := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Ref: "bb"})
	if err != nil {
		t.Fatal(err)
	}
	// What a push leaves: a gzip blob of the layer and its record.
	gz, err := s.PutBlob(bytes.Repeat([]byte("gzip form "), 50000))
	if err != nil {
		t.Fatal(err)
	}
	diffID := img.Config.RootFS.DiffIDs[0]
	if err := s.SetCompressedLayer(diffID, ocispec.Descriptor{Digest: gz, Size: 500000}); err != nil {
		t.Fatal(err)
	}
	perImage, total := s.OnDisk()
	if perImage[img.ID].Unique != total || total < 500000 {
		t.Fatalf("OnDisk: %+v, total %d", perImage[img.ID], total)
	}
	before := diskusage.Allocated(root)
	rep, err := s.Prune(ctx, false, filters.Args{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	freed := before - diskusage.Allocated(root)
	// repositories.json is rewritten, not freed: a block either way.
	if diff := int64(rep.SpaceReclaimed) - freed; diff > 4096 || diff < -4096 {
		t.Fatalf("prune reported %d, the root lost %d", rep.SpaceReclaimed, freed)
	}
	if s.HasBlob(gz) || s.HasBlob(img.ID) {
		t.Fatal("blobs left after the image went")
	}
	if _, err := os.Stat(s.compressedPath(diffID)); !os.IsNotExist(err) {
		t.Fatalf("compressed record left: %v", err)
	}
	if now := diskusage.Allocated(root); now-empty > 8192 {
		t.Fatalf("store root holds %d bytes, empty it held %d", now, empty)
	}
}
