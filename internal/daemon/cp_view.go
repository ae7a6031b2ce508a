package daemon

import (
	"fmt"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/container"
	ociruntime "github.com/berth-dev/berth/internal/runtime"
	"golang.org/x/sys/unix"
)

// withMountedView runs fn on the container's filesystem as its processes
// see it: the rootfs with its volumes and bind mounts on top, which is what
// docker cp reads and writes. The mounts are made in a private mount
// namespace of one locked OS thread, so no one else sees them and nothing
// is left to unmount: the namespace goes with the thread when fn returns.
// fn must be done with the tree when it returns (descriptors opened inside
// keep working from other threads until then: a walk from an open
// directory follows the mounts of the namespace it was opened in).
func (d *Daemon) withMountedView(c *container.Container, fn func(rootfs string) error) error {
	c.Mu.Lock()
	binds := viewBinds(c)
	var vols []string
	for _, mp := range c.MountPoints {
		if mp.Type == "volume" && mp.Name != "" {
			vols = append(vols, mp.Name)
		}
	}
	c.Mu.Unlock()
	// A volume whose options name a device (a bind, an NFS export) is
	// mounted only while someone uses it: a stopped container's is
	// mounted for the copy, as dockerd does, and let go after.
	var held []string
	defer func() { d.releaseVolumeNames(held) }()
	for _, name := range vols {
		v, err := d.volumes.Get(name)
		if err != nil {
			continue // removed since: nothing to see there
		}
		if err := d.holdVolume(v); err != nil {
			return err
		}
		held = append(held, name)
	}
	return d.withRootfs(c, func(rootfs string) error {
		if len(binds) == 0 {
			return fn(rootfs)
		}
		errc := make(chan error, 1)
		onThrowawayThread(func() {
			errc <- func() error {
				if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
					return fmt.Errorf("mount namespace for the container's volumes: %w", err)
				}
				// Slave: nothing mounted here reaches the daemon's namespace.
				if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
					return fmt.Errorf("mount namespace for the container's volumes: %w", err)
				}
				for _, b := range binds {
					if err := bindInto(rootfs, b); err != nil {
						return err
					}
				}
				return fn(rootfs)
			}()
		})
		return <-errc
	})
}

// onThrowawayThread runs f on an OS thread of its own that ends with it,
// taking along whatever f changed about the thread (its mount namespace).
// A goroutine that exits while locked to its thread ends that thread,
// except the main thread, which Go parks for ever instead: f must never run
// there, or the process's main thread (whose view /proc/self shows) would
// stay in f's namespace. So on the main thread, f goes to another goroutine
// while this one keeps the main thread locked and waiting.
func onThrowawayThread(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runThrowaway(f)
	}()
	<-done
}

// runThrowaway is onThrowawayThread's goroutine body: it locks its thread
// and, unless that is the main thread, runs f there and leaves it locked.
func runThrowaway(f func()) {
	runtime.LockOSThread()
	if unix.Gettid() != unix.Getpid() {
		f() // the thread ends when the calling goroutine returns, still locked
		return
	}
	inner := make(chan struct{})
	go func() {
		defer close(inner)
		runtime.LockOSThread() // not the main thread: it is locked to us
		f()
	}()
	<-inner
	runtime.UnlockOSThread() // the main thread goes back to work, untouched
}

// viewBind is one volume or bind mount of the container.
type viewBind struct {
	source, dest string
	readOnly     bool
}

// viewBinds lists the container's volumes and bind mounts, parents before
// the mounts nested in them. tmpfs mounts have no content outside the
// running container (Docker's cp does not see them either).
func viewBinds(c *container.Container) []viewBind {
	var out []viewBind
	// The files the daemon prepares for the container, as the runtime
	// mounts them (a user mount on the same path wins): cp sees their
	// content, not the empty mount points in the rootfs.
	user := map[string]bool{}
	for _, mp := range c.MountPoints {
		user[path.Clean(mp.Destination)] = true
	}
	for _, f := range ociruntime.NetworkFiles(c.ResolvConfPath, c.HostnamePath, c.HostsPath, user) {
		if _, err := os.Stat(f.Src); err == nil {
			out = append(out, viewBind{source: f.Src, dest: f.Dest, readOnly: c.HostConfig.ReadonlyRootfs})
		}
	}
	for _, mp := range c.MountPoints {
		if mp.Type != "volume" && mp.Type != "bind" {
			continue
		}
		src, err := mp.SourcePath()
		if err != nil || src == "" {
			continue
		}
		out = append(out, viewBind{source: src, dest: mp.Destination, readOnly: !mp.RW})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].dest, "/") < strings.Count(out[j].dest, "/")
	})
	return out
}

// bindInto mounts b.source on its destination inside rootfs. The
// destination is resolved inside rootfs (a symlink the container made
// cannot point the mount outside) and mounted through its descriptor. A
// missing destination (a container that never started) is made for a
// directory, as start would make it; a file's is skipped.
func bindInto(rootfs string, b viewBind) error {
	fd, err := archive.OpenPathInRoot(rootfs, b.dest)
	if err != nil && os.IsNotExist(err) {
		if st, serr := os.Stat(b.source); serr != nil || !st.IsDir() {
			return nil
		}
		fd, err = archive.MakeDirInRoot(rootfs, b.dest)
	}
	if err != nil {
		return fmt.Errorf("mounting %s for copy: %w", b.dest, err)
	}
	defer unix.Close(fd)
	// open_tree + move_mount: the clone can be made read-only before it
	// is attached, and it is attached to the very directory resolved above.
	tree, err := unix.OpenTree(unix.AT_FDCWD, b.source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("mounting %s for copy: %w", b.dest, err)
	}
	defer unix.Close(tree)
	if b.readOnly {
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
			return fmt.Errorf("mounting %s read-only for copy: %w", b.dest, err)
		}
	}
	if err := unix.MoveMount(tree, "", fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("mounting %s for copy: %w", b.dest, err)
	}
	return nil
}

// mountAt reports whether p is on a volume or bind mount and whether that
// mount is writable (the innermost one holding p decides): docker cp may
// write into a writable one even when the rootfs is read-only, and never
// into a read-only one.
func (d *Daemon) mountAt(c *container.Container, p string) (onMount, writable bool) {
	c.Mu.Lock()
	binds := viewBinds(c)
	c.Mu.Unlock()
	p = path.Clean("/" + p)
	writable, depth := false, -1
	for _, b := range binds { // the innermost mount holding p decides
		dest := path.Clean("/" + b.dest)
		if (p == dest || strings.HasPrefix(p, dest+"/")) && len(dest) > depth {
			writable, depth = !b.readOnly, len(dest)
		}
	}
	return depth >= 0, writable
}
