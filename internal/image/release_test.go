package image

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/filters"
)

// While a prune deletes snapshots and blobs, the store is unlocked:
// readers (a container start resolving its image, ps --size) do not wait
// for the deletion. removeAll is held until the reader has answered.
func TestPruneDeletesWithoutHoldingTheStoreLock(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	img, err := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Ref: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	deleting, release := make(chan struct{}), make(chan struct{})
	removeAll = func(p string) error {
		select {
		case deleting <- struct{}{}:
		default:
		}
		<-release
		return os.RemoveAll(p)
	}
	defer func() { removeAll = os.RemoveAll }()
	done := make(chan error, 1)
	go func() {
		_, err := s.Prune(ctx, false, filters.Args{}, nil)
		done <- err
	}()
	select {
	case <-deleting:
	case err := <-done:
		t.Fatalf("prune ended without deleting anything: %v", err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := s.Resolve(img.ID.String())
		read <- err
	}()
	select {
	case err := <-read:
		// Gone from the index before its files are.
		if err == nil {
			t.Fatal("the pruned image is still visible while its files are deleted")
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("a reader waited for prune's deletion")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
