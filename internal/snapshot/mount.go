package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxMountData is below the page that mount(2) copies for its options.
const maxMountData = 4000

// Mount mounts an overlay of lowers (top first, overlay's order) with upper
// and work on target. Long lower lists go through the new mount API, which
// takes one lower dir per call ("lowerdir+") and has no page limit. extra
// are flag options such as "volatile".
func Mount(lowers []string, upper, work, target string, extra ...string) error {
	if len(lowers) == 0 {
		return errors.New("overlay mount needs at least one lower dir")
	}
	for _, p := range append(append([]string{}, lowers...), upper, work) {
		if strings.ContainsAny(p, ":,") {
			return fmt.Errorf("overlay path %q contains ':' or ','", p)
		}
	}
	data := "lowerdir=" + strings.Join(lowers, ":")
	if upper != "" {
		data += ",upperdir=" + upper + ",workdir=" + work
	}
	data += ",index=off"
	for _, o := range extra {
		data += "," + o
	}
	if len(data) < maxMountData {
		if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
			return fmt.Errorf("mount overlay on %s: %w", target, err)
		}
		return nil
	}
	return mountNewAPI(lowers, upper, work, target, extra)
}

// MountVolatile mounts like Mount with overlay's "volatile" option, for an upper dir whose
// contents are thrown away (a --rm container, a build step whose layer is saved as a blob).
// Unmounting a normal overlay syncs its upper filesystem, the whole of it: after a
// container that wrote 100 MB of logs to the same disk, ~10 ms of writing out other
// files on the path of every `run --rm`. Volatile skips that sync.
//
// The kernel leaves a marker in work that refuses any later mount of these dirs (a crash
// may have left the upper half-written); it is cleared first, which is right only for
// contents nobody keeps. Kernels before 5.10 get a plain mount.
func MountVolatile(lowers []string, upper, work, target string) error {
	if err := os.RemoveAll(filepath.Join(work, "work", "incompat", "volatile")); err != nil {
		return err
	}
	if err := Mount(lowers, upper, work, target, "volatile"); err != nil {
		return Mount(lowers, upper, work, target)
	}
	return nil
}

func mountNewAPI(lowers []string, upper, work, target string, extra []string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fsfd)
	set := func(k, v string) error {
		if err := unix.FsconfigSetString(fsfd, k, v); err != nil {
			return fmt.Errorf("overlay option %s=%s: %w", k, v, err)
		}
		return nil
	}
	if err := unix.FsconfigSetString(fsfd, "source", "overlay"); err != nil {
		return err
	}
	for _, l := range lowers {
		if err := set("lowerdir+", l); err != nil {
			return err
		}
	}
	if upper != "" {
		if err := set("upperdir", upper); err != nil {
			return err
		}
		if err := set("workdir", work); err != nil {
			return err
		}
	}
	if err := set("index", "off"); err != nil {
		return err
	}
	for _, o := range extra {
		if err := unix.FsconfigSetFlag(fsfd, o); err != nil {
			return fmt.Errorf("overlay option %s: %w", o, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("create overlay: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount overlay to %s: %w", target, err)
	}
	return nil
}

// Unmount unmounts target; not mounted is fine. A busy mount is retried and
// finally detached.
func Unmount(target string) error {
	for i := 0; i < 10; i++ {
		err := unix.Unmount(target, 0)
		switch err {
		case nil:
			continue // stacked mounts: go on until EINVAL
		case unix.EINVAL, unix.ENOENT:
			return nil
		case unix.EBUSY:
			time.Sleep(50 * time.Millisecond)
		default:
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}
