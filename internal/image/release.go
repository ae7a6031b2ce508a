package image

import (
	"os"
	"path/filepath"

	"github.com/berth-dev/berth/internal/diskusage"
)

// release is what an image delete or prune frees, detached from the store
// while it was locked (blobs renamed into a private dir under image/tmp,
// snapshots renamed by the snapshot store) and deleted after unlocking.
// Deleting a snapshot can mean walking gigabytes; doing it under the write
// lock stalled every reader (container start, ps --size, inspect) because
// Go's RWMutex blocks new readers once a writer waits. Renames are cheap
// and crash-safe: image/tmp and the snapshot store's temp names are swept
// at start-up, so a crash never leaves a half-deleted blob or snapshot
// visible.
type release struct {
	freed int64 // bytes already gone while locked (records)
	// trash are detached paths, each alone in a private dir (so two
	// releases of one name never collide); finish measures and deletes the
	// path, then drops the dir, which is not counted (it was made after
	// the caller's bytes were counted).
	trash []string
}

// removeAll is os.RemoveAll; tests swap it for a slow one to prove the
// store is not locked while trash is deleted.
var removeAll = os.RemoveAll

// detachFile renames path into a private dir under image/tmp so it
// leaves the store's namespace at once.
func (r *release) detachFile(s *Store, path string) error {
	dir, err := os.MkdirTemp(s.tmpDir(), "rm-")
	if err != nil {
		return err
	}
	if err := os.Rename(path, filepath.Join(dir, filepath.Base(path))); err != nil {
		os.Remove(dir)
		return err
	}
	r.trash = append(r.trash, filepath.Join(dir, filepath.Base(path)))
	return nil
}

// merge takes o's work into r (prune collects one release per image).
func (r *release) merge(o *release) {
	if o == nil {
		return
	}
	r.freed += o.freed
	r.trash = append(r.trash, o.trash...)
}

// finish deletes the detached trash and returns every byte the data root
// lost. Call it without holding the store's lock.
func (r *release) finish() (int64, error) {
	freed := r.freed
	var first error
	for _, p := range r.trash {
		size := diskusage.Allocated(p)
		if err := removeAll(p); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		os.Remove(filepath.Dir(p))
		freed += size
	}
	r.trash = nil
	return freed, first
}
