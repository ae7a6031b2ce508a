package daemon

import (
	"errors"
	"os"

	"github.com/berth-dev/berth/internal/runtime"
)

// removeContainerFiles is a removal's slow half: the runtime's state
// (usually the shim deleted it already), the bundle, and the container's
// directory with its rw layer and logs, which is renamed away and returned
// for the caller to delete after telling waiters: freeing a big log's
// page cache (~10 ms per 30 MB) need not hold up `run --rm`. The caller
// has marked the record Removing, saved it and taken the container out of
// the store, and holds no lock.
func (d *Daemon) removeContainerFiles(rt *runtime.Runtime, id, bundle string) (trash string, err error) {
	rt.DeleteIfPresent(id)
	d.unmountShm(id) // never delete through a mounted tmpfs
	os.RemoveAll(bundle)
	trash, err = d.containers.MoveToTrash(id)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		d.log.Warn("removing container files (finished at next start)", "id", id, "err", err)
		return "", err
	}
	return trash, nil
}

// deleteTrash deletes what removeContainerFiles renamed away; a crash
// before it is finished by the store's sweep at the next start.
func (d *Daemon) deleteTrash(trash string) {
	if trash == "" {
		return
	}
	if err := os.RemoveAll(trash); err != nil {
		d.log.Warn("deleting removed container's files (finished at next start)", "dir", trash, "err", err)
	}
}
