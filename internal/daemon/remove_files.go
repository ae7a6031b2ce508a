package daemon

import (
	"errors"
	"os"

	"github.com/berth-dev/berth/internal/runtime"
	"golang.org/x/sys/unix"
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
// before it is finished by the store's sweep at the next start. atIdle
// runs it on a thread of its own at idle priority (SCHED_IDLE), for a
// removal nobody waits for (--rm after the exit): freeing the page cache
// of a 30 MB log and the rw layer's blocks then takes the CPU only when
// nothing else wants it, not from the next `run` starting meanwhile.
func (d *Daemon) deleteTrash(trash string, atIdle bool) {
	if trash == "" {
		return
	}
	del := func() {
		if err := os.RemoveAll(trash); err != nil {
			d.log.Warn("deleting removed container's files (finished at next start)", "dir", trash, "err", err)
		}
	}
	if !atIdle {
		del()
		return
	}
	atIdlePriority(del)
}

// atIdlePriority runs f on a thread of its own whose scheduling policy is
// SCHED_IDLE; the thread ends with f, taking its policy along. Failing to
// set the policy costs the priority only.
func atIdlePriority(f func()) {
	onThrowawayThread(func() {
		_ = unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
		f()
	})
}
