package daemon

import (
	"errors"
	"os"

	"github.com/berth-dev/berth/internal/runtime"
)

// deleteContainerFiles is a removal's slow half: the runtime's state
// (usually the shim deleted it already), the bundle and the container's
// directory with its rw layer. The caller has marked the record Removing,
// saved it and taken the container out of the store, and holds no lock.
func (d *Daemon) deleteContainerFiles(rt *runtime.Runtime, id, bundle string) error {
	rt.DeleteIfPresent(id)
	os.RemoveAll(bundle)
	if err := d.containers.RemoveFiles(id); err != nil && !errors.Is(err, os.ErrNotExist) {
		d.log.Warn("removing container files (finished at next start)", "id", id, "err", err)
		return err
	}
	return nil
}
