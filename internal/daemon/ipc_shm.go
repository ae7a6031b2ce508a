package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/runtime"
	"golang.org/x/sys/unix"
)

// A container with --ipc shareable gets its /dev/shm from a tmpfs the
// daemon mounts in the bundle dir, as dockerd does: containers that join
// its IPC namespace (--ipc container:NAME) bind the same tmpfs. A mount
// made inside the donor's mount namespace could not be bound by a
// runtime working in the host's.

func (d *Daemon) shmDir(id string) string { return filepath.Join(d.bundleDir(id), "shm") }

// mountShareableShm mounts c's shareable /dev/shm and returns its path;
// "" for other IPC modes. c.Mu is held.
func (d *Daemon) mountShareableShm(c *container.Container) (string, error) {
	if !c.HostConfig.IpcMode.IsShareable() {
		return "", nil
	}
	dir := d.shmDir(c.ID)
	d.unmountShm(c.ID) // a leftover of a run the daemon did not see end
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	size := c.HostConfig.ShmSize
	if size <= 0 {
		size = runtime.DefaultShmSize
	}
	opts := "mode=1777,size=" + strconv.FormatInt(size, 10)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return "", &os.PathError{Op: "mount shm", Path: dir, Err: err}
	}
	return dir, nil
}

// unmountShm lets go of a shareable /dev/shm. Joiners still running keep
// the tmpfs through their own bind (lazy unmount).
func (d *Daemon) unmountShm(id string) {
	dir := d.shmDir(id)
	for {
		err := unix.Unmount(dir, unix.MNT_DETACH)
		if err == nil {
			continue // stacked mounts: take them all
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			d.log.Warn("unmounting shareable /dev/shm", "id", id, "err", err)
		}
		return
	}
}
