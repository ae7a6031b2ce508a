package volume

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// While Remove deletes a volume's files the store is unlocked: Get (which
// container start and exit call under a container lock) answers at once,
// and the volume being deleted is already gone from it.
func TestRemoveDeletesWithoutHoldingTheStoreLock(t *testing.T) {
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"big", "other"} {
		if _, _, err := s.Create(n, "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(s.Path("big"), "f"), []byte("data"), 0o644)
	deleting, release := make(chan struct{}), make(chan struct{})
	removeAll = func(p string) error {
		close(deleting)
		<-release
		return os.RemoveAll(p)
	}
	defer func() { removeAll = os.RemoveAll }()
	done := make(chan error, 1)
	go func() { done <- s.Remove("big") }()
	<-deleting
	got := make(chan error, 1)
	go func() {
		if _, err := s.Get("big"); err == nil {
			got <- os.ErrExist
			return
		}
		_, err := s.Get("other")
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Get during removal: %v", err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Get waited for a volume's deletion")
	}
	// A new volume of the same name is a fresh, empty one.
	if _, _, err := s.Create("big", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Path("big"), "f")); !os.IsNotExist(err) {
		t.Fatalf("old data in the new volume: %v", err)
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.Name()[0] == '.' {
			t.Fatalf("trash left: %s", e.Name())
		}
	}
}

// A removal a crash interrupted (renamed, not yet deleted) is finished at
// start-up and never loaded as a volume.
func TestNewSweepsInterruptedRemovals(t *testing.T) {
	root := t.TempDir()
	trash := filepath.Join(root, trashPrefix+"123", "v", dataDir)
	if err := os.MkdirAll(trash, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if vs := s.List(); len(vs) != 0 {
		t.Fatalf("volumes: %+v", vs)
	}
	if _, err := os.Stat(filepath.Join(root, trashPrefix+"123")); !os.IsNotExist(err) {
		t.Fatalf("leftover not swept: %v", err)
	}
}
